// Where alert state and silences survive a restart, so an alert already
// sent as firing is not sent again. The SQLite implementation keeps them in
// the store's file (<data_dir>/loupe.db), in tables of their own; the
// PostgreSQL one (`loupe server --state postgres://...`) in a database that
// several server replicas share.
#pragma once

#include <memory>
#include <optional>
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
  // Whether this server evaluates the rules and delivers notifications.
  // Always with one server; of replicas sharing a state store, one at a
  // time (the others show the alerts it saves). Called every evaluation.
  virtual bool leads() { return true; }
};

// Throws store::StoreError.
std::unique_ptr<StateStore> open_sqlite_state_store(const std::string& data_dir);
// url: postgres://... whose schema is there (store/postgres/schema.h).
// Throws store::StoreError.
std::unique_ptr<StateStore> open_postgres_state_store(const std::string& url);

// A stored row's JSON back; nullopt when it does not parse (a row written
// by a newer version is skipped, not fatal).
std::optional<Alert> stored_alert(const std::string& json);
std::optional<Silence> stored_silence(const std::string& json);

}  // namespace loupe::alerts
