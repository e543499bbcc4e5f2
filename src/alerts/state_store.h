// Where alert state and silences survive a restart, so an alert already
// sent as firing is not sent again. The SQLite implementation keeps them in
// the store's file (<data_dir>/loupe.db), in tables of their own.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "alerts/alert.h"
#include "alerts/silence.h"

namespace loupe::alerts {

class StateStore {
 public:
  virtual ~StateStore() = default;
  virtual std::vector<Alert> load_alerts() = 0;
  virtual void save_alerts(const std::vector<Alert>& alerts) = 0;  // replaces all
  virtual std::vector<Silence> load_silences() = 0;
  virtual void save_silence(const Silence& s) = 0;  // insert or replace by id
};

// Throws store::StoreError.
std::unique_ptr<StateStore> open_sqlite_state_store(const std::string& data_dir);

}  // namespace loupe::alerts
