// The alert engine: evaluates every enabled rule on a timer through the
// store's query interface, moves each (rule, label set) alert through its
// states, applies silences, and hands notifications to one Delivery per
// receiver. State and silences persist in a StateStore, so a restart does
// not resend an alert already delivered as firing. Thread-safe: the API
// reads it while its own thread evaluates.
//
//   Engine engine(store, open_sqlite_state_store(dir), load_config_file(f).config, {});
//   engine.set_ui_base(api.url());
//   engine.start();
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "alerts/alert.h"
#include "alerts/delivery.h"
#include "alerts/rule.h"
#include "alerts/signals.h"
#include "alerts/silence.h"
#include "alerts/state_store.h"
#include "store/store.h"

namespace loupe::alerts {

struct EngineOptions {
  uint64_t interval_ns = 15'000'000'000ULL;
  uint64_t history_ns = 24ULL * 3600 * 1'000'000'000ULL;  // resolved alerts kept this long
  size_t max_alerts_per_rule = 1000;  // label sets beyond it are counted, not tracked
  // Alertmanager forgets a firing alert not refreshed before its endsAt:
  // firing alerts are re-posted to it this often, with endsAt 4 periods on.
  uint64_t alertmanager_refresh_ns = 60'000'000'000ULL;
};

class Engine {
 public:
  Engine(store::Store& store, std::unique_ptr<StateStore> state, Config config,
         EngineOptions options);
  ~Engine();  // stops
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // The UI's base URL, for generatorURL links ("http://127.0.0.1:8080").
  void set_ui_base(std::string url);
  void start();  // evaluates now, then every interval, on a thread of its own
  void stop();
  void evaluate(uint64_t now_ns);  // one round; start() calls it, tests may too

  nlohmann::json alerts_json(std::optional<AlertState> state) const;
  nlohmann::json rules_json() const;
  nlohmann::json silences_json();  // as stored (another server sharing the state may add)
  // Throws std::invalid_argument for a malformed silence; returns its id.
  std::string add_silence(const nlohmann::json& body);
  bool expire_silence(const std::string& id);  // false: no such silence
  nlohmann::json status() const;               // receivers' delivery counters and totals

 private:
  struct RuleStatus {
    uint64_t last_eval_ns = 0;
    double eval_ms = 0;
    std::vector<GroupValue> values;  // the last evaluation's (those not evaluated too), capped
    std::string error, note;
    uint64_t untracked_groups = 0;
  };
  using Values = std::map<Labels, GroupValue>;

  void loop();
  // Silences as the state store has them now.
  void reload_silences();
  // When another server leads (shares this state store and holds its
  // lead), shows the alerts it saved instead of evaluating; returns true.
  bool follow();
  void evaluate_rule(const Rule& rule, uint64_t now_ns,
                     std::map<std::string, std::vector<Alert>>& outbox);
  Values current_values(const Rule& rule, uint64_t now_ns, RuleStatus& st);
  // The median and spread of one label set's value in the same window on
  // each of the last days (days: how many of them had data).
  struct BaselineStat {
    double median = 0, spread = 0;
    int days = 0;
  };
  BaselineStat baseline(const Rule& rule, const Labels& labels, uint64_t now_ns);
  void deliver(const std::map<std::string, std::vector<Alert>>& outbox, uint64_t now_ns);
  void refresh_alertmanager(uint64_t now_ns);
  bool silenced(const Labels& labels, uint64_t now_ns) const;  // mu_ held
  std::vector<std::string> receivers_of(const Rule& rule) const;
  Delivery* delivery(const std::string& name) const;

  store::Store& store_;
  std::unique_ptr<StateStore> state_;
  Config config_;
  EngineOptions options_;
  std::vector<std::unique_ptr<Delivery>> deliveries_;

  mutable std::mutex mu_;
  std::string ui_base_;
  std::map<std::string, Alert> alerts_;  // by Alert::key()
  std::map<std::string, RuleStatus> rule_status_;
  std::vector<Silence> silences_;
  uint64_t evaluations_ = 0;
  bool leading_ = true;  // false: another server sharing the state store evaluates
  uint64_t last_refresh_ns_ = 0;
  // Baseline per rule and label set, recomputed once per window.
  struct Baseline {
    uint64_t computed_ns = 0;
    std::map<Labels, BaselineStat> stats;
  };
  std::map<std::string, Baseline> baselines_;

  std::mutex loop_mu_;
  std::condition_variable loop_cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace loupe::alerts
