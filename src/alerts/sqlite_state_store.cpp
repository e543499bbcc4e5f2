#include <mutex>

#include "alerts/state_store.h"
#include "core/time_format.h"
#include "store/sqlite_db.h"

namespace loupe::alerts {
namespace {

class SqliteStateStore : public StateStore {
 public:
  explicit SqliteStateStore(const std::string& data_dir) : db_(data_dir + "/loupe.db") {
    db_.exec(
        "CREATE TABLE IF NOT EXISTS alert_state(key TEXT PRIMARY KEY, alert TEXT NOT NULL);"
        "CREATE TABLE IF NOT EXISTS alert_silences(id TEXT PRIMARY KEY, silence TEXT NOT NULL);");
  }

  std::vector<Alert> load_alerts() override {
    std::lock_guard lock(mu_);
    std::vector<Alert> out;
    store::Stmt st(db_, "SELECT alert FROM alert_state");
    while (st.step())
      if (auto a = stored_alert(st.text(0))) out.push_back(std::move(*a));
    return out;
  }

  void save_alerts(const std::vector<Alert>& alerts) override {
    std::lock_guard lock(mu_);
    db_.exec("BEGIN IMMEDIATE");
    try {
      db_.exec("DELETE FROM alert_state");
      store::Stmt ins(db_, "INSERT OR REPLACE INTO alert_state(key, alert) VALUES(?, ?)");
      for (const auto& a : alerts) {
        std::string key = a.key(), text = to_json(a).dump();
        ins.bind(1, key);
        ins.bind(2, text);
        ins.run();
      }
      db_.exec("COMMIT");
    } catch (...) {
      db_.exec("ROLLBACK");
      throw;
    }
  }

  std::vector<Silence> load_silences() override {
    std::lock_guard lock(mu_);
    std::vector<Silence> out;
    store::Stmt st(db_, "SELECT silence FROM alert_silences");
    while (st.step())
      if (auto s = stored_silence(st.text(0))) out.push_back(std::move(*s));
    return out;
  }

  void save_silence(const Silence& s) override {
    std::lock_guard lock(mu_);
    store::Stmt ins(db_, "INSERT OR REPLACE INTO alert_silences(id, silence) VALUES(?, ?)");
    std::string text = to_json(s, 0).dump();
    ins.bind(1, s.id);
    ins.bind(2, text);
    ins.run();
  }

 private:
  // One connection, used by the engine's thread (save_alerts) and the API's
  // (save_silence): SQLite refuses a COMMIT while another thread's
  // statement is in progress on it.
  std::mutex mu_;
  store::Db db_;
};

}  // namespace

std::unique_ptr<StateStore> open_sqlite_state_store(const std::string& data_dir) {
  return std::make_unique<SqliteStateStore>(data_dir);
}

}  // namespace loupe::alerts
