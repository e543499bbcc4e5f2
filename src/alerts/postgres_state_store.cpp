// Alert state and silences in PostgreSQL, shared by server replicas: every
// replica reads the silences (so one made through any replica silences
// everywhere), one replica at a time leads (evaluates and delivers, holding
// an advisory lock for as long as its connection lives) and saves the alert
// state the others show.
#include <mutex>

#include "alerts/state_store.h"
#include "store/postgres/client.h"
#include "store/postgres/schema.h"
#include "store/store.h"

namespace loupe::alerts {
namespace {

namespace pg = store::postgres;

class PostgresStateStore : public StateStore {
 public:
  explicit PostgresStateStore(const pg::Url& url) : client_(url) {}

 private:
  // Defined before its callers, which deduce its return type.
  template <typename F>
  auto locked(F&& f) {
    std::lock_guard lock(mu_);
    try {
      return f();
    } catch (const pg::Error& e) {
      throw store::StoreError(e.what());
    }
  }

 public:
  std::vector<Alert> load_alerts() override {
    return locked([&] {
      std::vector<Alert> out;
      pg::Result r = client_.exec("SELECT alert FROM loupe_alert_state");
      for (int i = 0; i < r.rows(); ++i)
        if (auto a = stored_alert(r.text(i, 0))) out.push_back(std::move(*a));
      return out;
    });
  }

  void save_alerts(const std::vector<Alert>& alerts) override {
    locked([&] {
      client_.transaction([&] {
        // One writer at a time: a leader that just lost its lock and the
        // new one do not interleave their deletes and inserts.
        client_.exec("SELECT pg_advisory_xact_lock($1, 1)", {std::to_string(pg::kLockSpace)});
        client_.exec("DELETE FROM loupe_alert_state");
        for (const auto& a : alerts)
          client_.exec("INSERT INTO loupe_alert_state(key, alert) VALUES($1, $2)",
                       {a.key(), to_json(a).dump()});
      });
    });
  }

  std::vector<Silence> load_silences() override {
    return locked([&] {
      std::vector<Silence> out;
      pg::Result r = client_.exec("SELECT silence FROM loupe_silences ORDER BY id");
      for (int i = 0; i < r.rows(); ++i)
        if (auto s = stored_silence(r.text(i, 0))) out.push_back(std::move(*s));
      return out;
    });
  }

  void save_silence(const Silence& s) override {
    locked([&] {
      client_.exec(
          "INSERT INTO loupe_silences(id, silence) VALUES($1, $2) "
          "ON CONFLICT (id) DO UPDATE SET silence = EXCLUDED.silence",
          {s.id, to_json(s, 0).dump()});
    });
  }

  bool leads() override {
    return locked([&] {
      // The lock lives with the connection: taken again after a reconnect.
      if (leading_ && led_generation_ == client_.generation()) return true;
      leading_ =
          client_.exec("SELECT pg_try_advisory_lock($1, 2)::int", {std::to_string(pg::kLockSpace)})
              .i64(0, 0) == 1;
      led_generation_ = client_.generation();
      return leading_;
    });
  }

 private:
  // The engine's thread and the API's (silences) share the connection.
  std::mutex mu_;
  pg::Client client_;
  bool leading_ = false;
  uint64_t led_generation_ = 0;
};

}  // namespace

std::unique_ptr<StateStore> open_postgres_state_store(const std::string& url) {
  try {
    return std::make_unique<PostgresStateStore>(pg::parse_url(url));
  } catch (const pg::Error& e) {
    throw store::StoreError(e.what());
  }
}

}  // namespace loupe::alerts
