// The engine against the real SQLite store and state store, delivering to
// real HTTP receivers on loopback.
#include "alerts/engine.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "../store/temp_dir.h"
#include "alerts/config_file.h"
#include "logs/pattern_miner.h"
#include "pipeline/record_pipeline.h"

namespace loupe::alerts {
namespace {

constexpr uint64_t kS = 1'000'000'000ULL;
constexpr uint64_t kT0 = 1'764'000'000ULL * kS;

Record request(uint64_t start_ns, int status) {
  Record r;
  r.start_ns = start_ns;
  r.end_ns = start_ns + 2'000'000;
  r.protocol = Protocol::Http1;
  r.role = Role::Server;
  r.pid = 42;
  r.comm = "api";
  r.local_addr = "127.0.0.1:8000";
  r.remote_addr = "127.0.0.1:50000";
  r.method = "GET";
  r.route = "/pay";
  r.status = status;
  r.error = status >= 500;
  return r;
}

// An HTTP receiver on a free loopback port recording each body it gets;
// answers `status` (and sleeps `delay` first).
class TestReceiver {
 public:
  explicit TestReceiver(int status = 200, std::chrono::milliseconds delay = {}) {
    server_.Post(".*", [this, status, delay](const httplib::Request& req, httplib::Response& res) {
      std::this_thread::sleep_for(delay);
      {
        std::lock_guard lock(mu_);
        bodies_.push_back(req.body);
      }
      res.status = status;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    for (int i = 0; i < 500 && !server_.is_running(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~TestReceiver() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }
  std::vector<std::string> bodies() {
    std::lock_guard lock(mu_);
    return bodies_;
  }
  // Waits up to 5 s for `n` bodies.
  std::vector<std::string> wait_for(size_t n) {
    for (int i = 0; i < 500 && bodies().size() < n; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return bodies();
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  std::vector<std::string> bodies_;
};

Config error_rule_config(const std::string& url) {
  auto r = parse_config(R"(
receivers:
  - name: hook
    url: )" + url + R"(
    timeout: 1s
    max_attempts: 2
rules:
  - name: PayErrors
    signal: error_rate
    group_by: [route]
    op: ">"
    threshold: 0.2
    window: 10s
    min_requests: 5
    annotations: {summary: "{{ .labels.route }} fails {{ .value }}"}
)",
                        "t.yaml");
  EXPECT_TRUE(r.errors.empty()) << r.errors.front().text();
  for (auto& rule : r.config.rules)
    if (rule.builtin) rule.enabled = false;
  return r.config;
}

TEST(AlertEngine, FiresOnceResolvesAndDoesNotResendAfterRestart) {
  testing::TempDir dir;
  auto store = store::open_sqlite_store(dir.path(), {.retention_ns = 0});
  pipeline::RecordPipeline pipe(*store);
  std::vector<Record> batch;
  for (int i = 0; i < 10; ++i)
    batch.push_back(request(kT0 - 8 * kS + i * 100'000'000ULL, i % 2 ? 500 : 200));
  pipe.write(batch);
  TestReceiver hook;
  {
    Engine engine(*store, open_sqlite_state_store(dir.path()), error_rule_config(hook.url()), {});
    engine.set_ui_base("http://loupe");
    engine.evaluate(kT0);
    auto bodies = hook.wait_for(1);
    ASSERT_EQ(bodies.size(), 1u);
    auto j = nlohmann::json::parse(bodies[0]);
    EXPECT_EQ(j["status"], "firing");
    EXPECT_EQ(j["alerts"][0]["labels"]["route"], "/pay");
    EXPECT_EQ(j["alerts"][0]["annotations"]["summary"], "/pay fails 0.5");
    auto rules = engine.rules_json();
    ASSERT_EQ(rules.size(), default_config().rules.size() + 1);
    auto alerts = engine.alerts_json(AlertState::Firing);
    ASSERT_EQ(alerts.size(), 1u);
    EXPECT_EQ(alerts[0]["value"], 0.5);
    engine.evaluate(kT0 + kS);  // still firing: nothing new
  }
  // A restarted engine with the same state does not send the firing again...
  Engine engine(*store, open_sqlite_state_store(dir.path()), error_rule_config(hook.url()), {});
  engine.evaluate(kT0 + 2 * kS);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(hook.bodies().size(), 1u);
  EXPECT_EQ(engine.alerts_json(AlertState::Firing).size(), 1u);
  // ...and sends the resolution once the errors leave the window.
  engine.evaluate(kT0 + 30 * kS);
  auto bodies = hook.wait_for(2);
  ASSERT_EQ(bodies.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(bodies[1])["status"], "resolved");
  EXPECT_EQ(engine.alerts_json(AlertState::Resolved).size(), 1u);
}

TEST(AlertEngine, MinRequestsAndSilences) {
  testing::TempDir dir;
  auto store = store::open_sqlite_store(dir.path(), {.retention_ns = 0});
  pipeline::RecordPipeline pipe(*store);
  pipe.write({request(kT0 - 2 * kS, 500), request(kT0 - kS, 500)});  // 2 < min_requests
  TestReceiver hook;
  Engine engine(*store, open_sqlite_state_store(dir.path()), error_rule_config(hook.url()), {});
  engine.evaluate(kT0);
  EXPECT_TRUE(engine.alerts_json(std::nullopt).empty());

  std::vector<Record> batch;
  for (int i = 0; i < 10; ++i) batch.push_back(request(kT0 + i * 100'000'000ULL, 500));
  pipe.write(batch);
  engine.add_silence({{"matchers", {{{"name", "alertname"}, {"value", "PayErrors"}}}},
                      {"startsAt", "2025-11-24T15:00:00Z"},
                      {"endsAt", "2025-11-24T16:00:03Z"}});  // kT0 + 3 s
  engine.evaluate(kT0 + 2 * kS);
  auto alerts = engine.alerts_json(AlertState::Firing);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_TRUE(alerts[0]["silenced"]);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_TRUE(hook.bodies().empty());
  // Once the silence ends, the still-firing alert goes out.
  engine.evaluate(kT0 + 4 * kS);
  EXPECT_EQ(hook.wait_for(1).size(), 1u);
  EXPECT_FALSE(engine.alerts_json(AlertState::Firing)[0]["silenced"]);
  // Expiring a silence ends it now and keeps it listed.
  auto id = engine.add_silence(
      {{"matchers", {{{"name", "service"}, {"value", "x"}}}}, {"duration", "1h"}});
  EXPECT_EQ(engine.silences_json()[1]["status"]["state"], "active");
  ASSERT_TRUE(engine.expire_silence(id));
  EXPECT_FALSE(engine.expire_silence("nope"));
  EXPECT_EQ(engine.silences_json()[1]["status"]["state"], "expired");
}

TEST(AlertEngine, FailingAndHangingReceiversAreRetriedWithoutStallingEvaluation) {
  testing::TempDir dir;
  auto store = store::open_sqlite_store(dir.path(), {.retention_ns = 0});
  pipeline::RecordPipeline pipe(*store);
  std::vector<Record> batch;
  for (int i = 0; i < 10; ++i) batch.push_back(request(kT0 - 5 * kS + i * 100'000'000ULL, 500));
  pipe.write(batch);
  TestReceiver failing(500);
  TestReceiver hanging(200, std::chrono::milliseconds(3000));  // longer than the 1 s timeout
  Config config = error_rule_config(failing.url());
  Receiver second = config.receivers[0];
  second.name = "slow";
  second.url = hanging.url();
  config.receivers.push_back(second);
  Engine engine(*store, open_sqlite_state_store(dir.path()), config, {});
  auto started = std::chrono::steady_clock::now();
  engine.evaluate(kT0);
  engine.evaluate(kT0 + kS);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(500));
  // max_attempts 2: one retry after 1 s, then dropped.
  EXPECT_EQ(failing.wait_for(2).size(), 2u);
  for (int i = 0; i < 300; ++i) {
    auto st = engine.status()["receivers"];
    if (st[0]["dropped"] == 1 && st[1]["dropped"] == 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  auto st = engine.status()["receivers"];
  EXPECT_EQ(st[0]["failed_attempts"], 2);
  EXPECT_EQ(st[0]["dropped"], 1);
  EXPECT_NE(st[0]["last_error"].get<std::string>().find("HTTP 500"), std::string::npos);
  EXPECT_EQ(st[1]["failed_attempts"], 2);
  EXPECT_EQ(st[1]["delivered"], 0);
}

TEST(AlertEngine, MetricAndEventRulesWithNoRulesFile) {
  testing::TempDir dir;
  auto store = store::open_sqlite_store(dir.path(), {.retention_ns = 0});
  std::vector<MetricSample> samples;
  for (uint64_t t = kT0 - 50 * kS; t < kT0; t += 10 * kS) {
    samples.push_back({.time_ns = t,
                       .entity = "node",
                       .name = "n1",
                       .metric = "node_memory_total_bytes",
                       .value = 1000});
    samples.push_back({.time_ns = t,
                       .entity = "node",
                       .name = "n1",
                       .metric = "node_memory_available_bytes",
                       .value = 50});
  }
  store->write_metrics(samples);
  ClusterEvent oom;
  oom.time_ns = oom.first_ns = oom.last_ns = kT0 - 5 * kS;
  oom.namespace_ = "shop";
  oom.kind = "Pod";
  oom.name = "api-1";
  oom.container = "app";
  oom.reason = "OOMKilled";
  oom.details = {{"workload", "Deployment/api"}};
  store->write_k8s({.received_ns = kT0, .collector = "t", .events = {oom}});

  Config config = default_config();
  Engine engine(*store, nullptr, config, {});
  engine.evaluate(kT0);
  std::map<std::string, nlohmann::json> by_name;
  for (const auto& r : engine.rules_json()) by_name[r["name"]] = r;
  EXPECT_EQ(by_name["NodeMemoryHigh"]["values"][0]["value"], 0.95);
  EXPECT_EQ(by_name["NodeMemoryHigh"]["firing"], 1);
  EXPECT_EQ(by_name["ContainerOOMKilled"]["firing"], 1);
  EXPECT_TRUE(by_name["ServiceErrorRate"]["error"].is_null());
  auto firing = engine.alerts_json(AlertState::Firing);
  auto it = std::find_if(firing.begin(), firing.end(),
                         [](const auto& a) { return a["rule"] == "ContainerOOMKilled"; });
  ASSERT_NE(it, firing.end());
  EXPECT_EQ((*it)["labels"]["pod"], "api-1");
  EXPECT_EQ((*it)["labels"]["container"], "app");
  EXPECT_EQ((*it)["labels"]["workload"], "Deployment/api");
  EXPECT_EQ((*it)["labels"]["severity"], "critical");
}

TEST(AlertEngine, ChangePctFiresOnALatencyIncreaseNotOnASteadyService) {
  testing::TempDir dir;
  auto store = store::open_sqlite_store(dir.path(), {.retention_ns = 0});
  pipeline::RecordPipeline pipe(*store);
  auto at = [](uint64_t start, uint64_t dur_ms, const std::string& port) {
    Record r = request(start, 200);
    r.end_ns = start + dur_ms * 1'000'000;
    r.local_addr = "127.0.0.1:" + port;
    return r;
  };
  std::vector<Record> batch;
  for (uint64_t i = 0; i < 10; ++i) {
    uint64_t hour_ago = kT0 - 3600 * kS - 8 * kS + i * kS / 2, now = kT0 - 8 * kS + i * kS / 2;
    batch.push_back(at(hour_ago, 2, "8000"));
    batch.push_back(at(now, 6, "8000"));  // +200%
    batch.push_back(at(hour_ago, 2, "9000"));
    batch.push_back(at(now, 2, "9000"));  // steady
  }
  pipe.write(batch);
  auto r = parse_config(R"(
rules:
  - name: Slower
    signal: latency
    quantile: 0.5
    group_by: [service]
    change_pct: 100
    compare: 1h
    window: 10s
)",
                        "c.yaml");
  ASSERT_TRUE(r.errors.empty()) << r.errors.front().text();
  Engine engine(*store, nullptr, r.config, {});
  engine.evaluate(kT0);
  auto firing = engine.alerts_json(AlertState::Firing);
  std::vector<std::string> services;
  for (const auto& a : firing)
    if (a["rule"] == "Slower") services.push_back(a["labels"]["service"]);
  ASSERT_EQ(services.size(), 1u);
  EXPECT_NE(services[0].find("8000"), std::string::npos);
  for (const auto& a : firing) {
    if (a["rule"] == "Slower") {
      EXPECT_NEAR(a["value"].get<double>(), 200, 1);
    }
  }
}

// compare: baseline against a store seeded with a week of history: a
// service 4x slower than the median of its previous days fires, with the
// median, spread and days on the alert; a service with only 2 days of
// history is listed as not evaluated, saying why.
TEST(AlertEngine, BaselineNeedsHistoryAndSaysSo) {
  testing::TempDir dir;
  auto store = store::open_sqlite_store(dir.path(), {.retention_ns = 0});
  pipeline::RecordPipeline pipe(*store);
  constexpr uint64_t kDay = 24 * 3600 * kS;
  auto at = [](uint64_t start, uint64_t dur_ms, const std::string& port) {
    Record r = request(start, 200);
    r.end_ns = start + dur_ms * 1'000'000;
    r.local_addr = "127.0.0.1:" + port;
    return r;
  };
  std::vector<Record> batch;
  auto window = [&](uint64_t end, uint64_t dur_ms, const std::string& port) {
    for (uint64_t i = 0; i < 10; ++i) batch.push_back(at(end - 8 * kS + i * kS / 2, dur_ms, port));
  };
  for (uint64_t d = 1; d <= 5; ++d) window(kT0 - d * kDay, d == 3 ? 4 : 2, "8000");  // 5 days
  for (uint64_t d = 1; d <= 2; ++d) window(kT0 - d * kDay, 2, "9000");               // 2 days
  window(kT0, 8, "8000");
  window(kT0, 8, "9000");
  pipe.write(batch);
  auto r = parse_config(R"(
rules:
  - name: SlowerThanUsual
    signal: latency
    quantile: 0.5
    group_by: [service]
    change_pct: 200
    compare: baseline
    window: 10s
)",
                        "b.yaml");
  ASSERT_TRUE(r.errors.empty()) << r.errors.front().text();
  Engine engine(*store, nullptr, r.config, {});
  engine.evaluate(kT0);
  std::vector<nlohmann::json> firing;
  for (const auto& a : engine.alerts_json(AlertState::Firing))
    if (a["rule"] == "SlowerThanUsual") firing.push_back(a);
  ASSERT_EQ(firing.size(), 1u);
  EXPECT_NE(firing[0]["labels"]["service"].get<std::string>().find("8000"), std::string::npos);
  EXPECT_NEAR(firing[0]["value"].get<double>(), 300, 1);  // 8 ms against a median of 2 ms
  const auto& ref = firing[0]["compared_to"];
  EXPECT_EQ(ref["kind"], "baseline");
  EXPECT_NEAR(ref["median"].get<double>(), 2, 0.05);
  EXPECT_NEAR(ref["spread"].get<double>(), 0, 0.05);  // one odd day does not move it
  EXPECT_EQ(ref["days"], 5);

  nlohmann::json rule;
  for (const auto& j : engine.rules_json())
    if (j["name"] == "SlowerThanUsual") rule = j;
  EXPECT_NE(rule["note"].get<std::string>().find("1 label set(s) without enough history"),
            std::string::npos);
  auto skipped = std::find_if(rule["values"].begin(), rule["values"].end(),
                              [](const auto& v) { return v.contains("not_evaluated"); });
  ASSERT_NE(skipped, rule["values"].end());
  EXPECT_NE((*skipped)["labels"]["service"].get<std::string>().find("9000"), std::string::npos);
  EXPECT_EQ((*skipped)["compared_to"]["days"], 2);
  EXPECT_EQ((*skipped)["not_evaluated"],
            "not enough history: 2 of the last 7 days had data in this window, 3 needed");
}

// The built-in PodNotReady and NodeNotReady rules read readiness
// transitions as states: a pod not ready for 11 minutes fires, one not
// ready for 2 minutes or ready again does not; a NotReady node fires at
// once and resolves when it is Ready.
TEST(AlertEngine, NotReadyStatesFromReadinessEvents) {
  testing::TempDir dir;
  auto store = store::open_sqlite_store(dir.path(), {.retention_ns = 0});
  constexpr uint64_t kMin = 60 * kS;
  auto event = [](std::string kind, std::string name, std::string reason, uint64_t t) {
    ClusterEvent e;
    e.time_ns = e.first_ns = e.last_ns = t;
    e.namespace_ = kind == "Pod" ? "shop" : "";
    e.kind = std::move(kind);
    e.name = std::move(name);
    e.reason = std::move(reason);
    return e;
  };
  store->write_k8s({.received_ns = kT0,
                    .collector = "t",
                    .events = {event("Pod", "stuck-1", "PodNotReady", kT0 - 11 * kMin),
                               event("Pod", "starting-1", "PodNotReady", kT0 - 2 * kMin),
                               event("Pod", "back-1", "PodNotReady", kT0 - 30 * kMin),
                               event("Pod", "back-1", "PodReady", kT0 - 15 * kMin),
                               event("Node", "n2", "NodeNotReady", kT0 - kMin)}});
  Engine engine(*store, nullptr, default_config(), {});
  engine.evaluate(kT0);
  std::map<std::string, nlohmann::json> firing;
  for (const auto& a : engine.alerts_json(AlertState::Firing))
    firing[a["labels"].value("pod", a["labels"].value("node", ""))] = a;
  ASSERT_EQ(firing.size(), 2u);
  ASSERT_TRUE(firing.contains("stuck-1"));
  EXPECT_EQ(firing["stuck-1"]["rule"], "PodNotReady");
  EXPECT_EQ(firing["stuck-1"]["labels"]["namespace"], "shop");
  EXPECT_EQ(firing["stuck-1"]["annotations"]["summary"], "shop/stuck-1 not ready for 660 s");
  ASSERT_TRUE(firing.contains("n2"));
  EXPECT_EQ(firing["n2"]["rule"], "NodeNotReady");

  store->write_k8s({.received_ns = kT0 + kS,
                    .collector = "t",
                    .events = {event("Node", "n2", "NodeReady", kT0 + kS)}});
  engine.evaluate(kT0 + 2 * kS);
  auto resolved = engine.alerts_json(AlertState::Resolved);
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(resolved[0]["labels"]["node"], "n2");
}

// A busy service (more requests in the window than the raw-record cap):
// a rule whose window is whole minutes reads the per-minute rollups and
// counts every request; any other window reads raw records and says it saw
// only the newest.
TEST(AlertEngine, WholeMinuteWindowsReadRollupsExactly) {
  testing::TempDir dir;
  auto store = store::open_sqlite_store(dir.path(), {.retention_ns = 0});
  pipeline::RecordPipeline pipe(*store);
  constexpr uint64_t kMin = 60 * kS;
  const uint64_t now = kT0 + 30 * kS;
  const uint64_t minute = now / kMin * kMin;  // the current, incomplete minute
  const uint64_t n = kMaxRequests + 10'000;
  std::vector<Record> batch;
  for (uint64_t i = 0; i < n; ++i) {
    // The two minutes before `minute`; 1 in 10 fails; durations 1..100 ms.
    Record r = request(minute - 2 * kMin + i * (2 * kMin / n), i % 10 == 0 ? 500 : 200);
    r.end_ns = r.start_ns + (i % 100 + 1) * 1'000'000;
    batch.push_back(r);
  }
  batch.push_back(request(minute + kS, 200));  // in the current minute, read too
  pipe.write(batch);
  auto r = parse_config(R"(
rules:
  - {name: Rate, signal: request_rate, group_by: [service], threshold: 0, window: 2m}
  - {name: Errors, signal: error_rate, group_by: [route], threshold: 0.05, window: 2m}
  - {name: P95, signal: latency, quantile: 0.95, scope: {route: /pay}, threshold: 1, window: 2m}
  - {name: RawRate, signal: request_rate, threshold: 0, window: 150s}
)",
                        "r.yaml");
  ASSERT_TRUE(r.errors.empty()) << r.errors.front().text();
  for (auto& rule : r.config.rules)
    if (rule.builtin) rule.enabled = false;
  Engine engine(*store, nullptr, r.config, {});
  engine.evaluate(now);
  std::map<std::string, nlohmann::json> rules;
  for (const auto& j : engine.rules_json()) rules[j["name"]] = j;
  ASSERT_EQ(rules["Rate"]["values"].size(), 1u);
  // The window (now - 2 min .. now) overlaps 3 minutes: 150 s so far.
  EXPECT_EQ(rules["Rate"]["values"][0]["requests"], n + 1);
  EXPECT_DOUBLE_EQ(rules["Rate"]["values"][0]["value"].get<double>(),
                   static_cast<double>(n + 1) / 150);
  EXPECT_FALSE(rules["Rate"].contains("note"));
  EXPECT_EQ(rules["Errors"]["values"][0]["labels"]["route"], "/pay");
  EXPECT_DOUBLE_EQ(rules["Errors"]["values"][0]["value"].get<double>(),
                   static_cast<double>(n / 10) / static_cast<double>(n + 1));
  EXPECT_NEAR(rules["P95"]["values"][0]["value"].get<double>(), 95, 95 * 0.01);
  EXPECT_EQ(rules["RawRate"]["values"][0]["requests"], kMaxRequests);
  EXPECT_NE(rules["RawRate"]["note"].get<std::string>().find("newest were used"),
            std::string::npos);
}

// The engine saves alert state on its thread while the API saves silences
// on its own: the state store serialises them (SQLite refuses a COMMIT while
// another statement runs on the same connection).
TEST(AlertStateStore, SavesFromTwoThreadsAtOnce) {
  testing::TempDir dir;
  auto state = open_sqlite_state_store(dir.path());
  Alert a;
  a.rule = "R";
  a.labels = {{"alertname", "R"}};
  std::atomic<int> failures{0};
  std::thread engine([&] {
    for (int i = 0; i < 50; ++i) try {
        state->save_alerts({a});
      } catch (const std::exception&) {
        ++failures;
      }
  });
  for (int i = 0; i < 50; ++i) try {
      Silence s = silence_from_json(
          {{"matchers", {{{"name", "alertname"}, {"value", "R"}}}}, {"duration", "1h"}}, kT0);
      s.id = std::to_string(i);
      state->save_silence(s);
    } catch (const std::exception&) {
      ++failures;
    }
  engine.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(state->load_silences().size(), 50u);
  EXPECT_EQ(state->load_alerts().size(), 1u);
}

logs::Entry log_entry(uint64_t t, const std::string& pod, const std::string& text,
                      logs::Level level) {
  logs::Entry e;
  e.time_ns = t;
  e.offset = t - kT0 + 1'000 * kS;  // unique per source
  e.text = text;
  e.level = level;
  e.node = "n1";
  e.source = "src-" + pod;
  e.namespace_ = "shop";
  e.pod = pod;
  e.container = "app";
  e.workload = pod.starts_with("api") ? "Deployment/api" : "Deployment/worker";
  return e;
}

// log_count counts the window's entries matching words, a pattern's text or
// levels, per label set, on the log store.
TEST(AlertEngine, LogCountRulesCountMatchingEntriesPerWorkload) {
  testing::TempDir dir;
  auto store = store::open_sqlite_store(dir.path(), {.retention_ns = 0});
  std::vector<logs::Entry> entries;
  for (uint64_t i = 0; i < 3; ++i)
    entries.push_back(log_entry(kT0 - (10 + i) * kS, "api-" + std::to_string(i % 2),
                                "panic: assignment to entry in nil map", logs::Level::Fatal));
  entries.push_back(
      log_entry(kT0 - 5 * kS, "worker-0", "panic: runtime error", logs::Level::Fatal));
  entries.push_back(log_entry(kT0 - 4 * kS, "worker-0", "order 42 failed", logs::Level::Error));
  entries.push_back(log_entry(kT0 - 3 * kS, "worker-0", "order 43 failed", logs::Level::Error));
  entries.push_back(log_entry(kT0 - 2 * kS, "api-0", "GET /pay 200", logs::Level::Info));
  // Outside the 1 m window: not counted.
  entries.push_back(log_entry(kT0 - 90 * kS, "api-0", "panic: old", logs::Level::Fatal));
  logs::PatternMiner miner;
  store->write_log_patterns(miner.assign(entries));
  store->write_logs(entries);

  auto parsed = parse_config(R"(
rules:
  - {name: Panics, signal: log_count, pattern: panic, group_by: [workload], threshold: 2, window: 1m}
  - {name: Failed, signal: log_count, pattern: "order <*> failed", threshold: 0, window: 1m}
  - {name: Errors, signal: log_count, level: [error, fatal], scope: {pod: worker-0},
     threshold: 5, window: 1m}
)",
                             "logs.yaml");
  ASSERT_TRUE(parsed.errors.empty()) << parsed.errors[0].text();
  Engine engine(*store, nullptr, parsed.config, {});
  engine.evaluate(kT0);
  std::map<std::string, nlohmann::json> by_name;
  for (const auto& r : engine.rules_json()) by_name[r["name"]] = r;
  auto value_of = [&](const std::string& rule, const std::string& key, const std::string& v) {
    for (const auto& g : by_name[rule]["values"])
      if (g["labels"][key] == v) return g["value"].get<double>();
    return -1.0;
  };
  EXPECT_TRUE(by_name["Panics"]["error"].is_null());
  EXPECT_EQ(value_of("Panics", "workload", "Deployment/api"), 3);
  EXPECT_EQ(value_of("Panics", "workload", "Deployment/worker"), 1);
  EXPECT_EQ(by_name["Panics"]["firing"], 1);
  ASSERT_EQ(by_name["Failed"]["values"].size(), 1u);
  EXPECT_EQ(by_name["Failed"]["values"][0]["value"], 2);
  EXPECT_EQ(value_of("Errors", "pod", "worker-0"), 3);
  EXPECT_EQ(by_name["Errors"]["firing"], 0);
  auto firing = engine.alerts_json(AlertState::Firing);
  ASSERT_EQ(firing.size(), 2u);  // Panics for Deployment/api, Failed
}

}  // namespace
}  // namespace loupe::alerts
