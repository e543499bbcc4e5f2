#include "alerts/engine.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <random>

#include "alerts/notification.h"
#include "core/thread_name.h"
#include "core/time_format.h"

namespace loupe::alerts {
namespace {

constexpr uint64_t kDay = 24ULL * 3600 * 1'000'000'000ULL;
constexpr size_t kValuesShown = 50;  // per rule in /api/v1/alerts/rules
constexpr int kBaselineDays = 7, kBaselineMinDays = 3;

bool request_signal(Signal s) {
  return s == Signal::Latency || s == Signal::ErrorRate || s == Signal::RequestRate;
}

Labels alert_labels(const Rule& rule, const Labels& group) {
  Labels l = rule.labels;
  for (const auto& [k, v] : group) l[k] = v;
  l["alertname"] = rule.name;
  l["severity"] = rule.severity;
  return l;
}

std::string new_id() {
  static std::mt19937_64 rng{std::random_device{}()};
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(rng()));
  return buf;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace

Engine::Engine(store::Store& store, std::unique_ptr<StateStore> state, Config config,
               EngineOptions options)
    : store_(store), state_(std::move(state)), config_(std::move(config)), options_(options) {
  for (const auto& r : config_.receivers) deliveries_.push_back(std::make_unique<Delivery>(r));
  if (state_) {
    for (auto& a : state_->load_alerts())
      if (std::any_of(config_.rules.begin(), config_.rules.end(),
                      [&](const Rule& r) { return r.name == a.rule; }))
        alerts_[a.key()] = std::move(a);
    silences_ = state_->load_silences();
  }
}

Engine::~Engine() { stop(); }

void Engine::set_ui_base(std::string url) {
  std::lock_guard lock(mu_);
  ui_base_ = std::move(url);
}

void Engine::start() {
  thread_ = std::thread([this] {
    name_this_thread("loupe-alerts");
    loop();
  });
}

void Engine::stop() {
  {
    std::lock_guard lock(loop_mu_);
    stopping_ = true;
  }
  loop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Engine::loop() {
  std::unique_lock lock(loop_mu_);
  while (!stopping_) {
    lock.unlock();
    evaluate(now_unix_ns());
    lock.lock();
    loop_cv_.wait_for(lock, std::chrono::nanoseconds(options_.interval_ns),
                      [&] { return stopping_; });
  }
}

void Engine::reload_silences() {
  if (!state_) return;
  try {
    auto loaded = state_->load_silences();
    std::lock_guard lock(mu_);
    silences_ = std::move(loaded);
  } catch (const std::exception& e) {
    std::cerr << "loupe: alerts: cannot read silences: " << e.what() << "\n";
  }
}

bool Engine::follow() {
  if (!state_) return false;
  try {
    bool leads = state_->leads();
    {
      std::lock_guard lock(mu_);
      leading_ = leads;
    }
    if (leads) return false;
    std::map<std::string, Alert> shown;
    for (auto& a : state_->load_alerts()) shown[a.key()] = std::move(a);
    std::lock_guard lock(mu_);
    alerts_ = std::move(shown);
    ++evaluations_;
  } catch (const std::exception& e) {
    std::cerr << "loupe: alerts: cannot read the leading server's alerts: " << e.what() << "\n";
  }
  return true;
}

void Engine::evaluate(uint64_t now_ns) {
  // Silences made through another server sharing the state store count too.
  reload_silences();
  if (follow()) return;
  std::map<std::string, std::vector<Alert>> outbox;  // receiver -> alerts to send
  for (const auto& rule : config_.rules)
    if (rule.enabled) evaluate_rule(rule, now_ns, outbox);
  deliver(outbox, now_ns);
  refresh_alertmanager(now_ns);
  std::vector<Alert> keep;
  {
    std::lock_guard lock(mu_);
    ++evaluations_;
    std::erase_if(alerts_, [&](const auto& kv) {
      const Alert& a = kv.second;
      return a.state == AlertState::Inactive ||
             (a.state == AlertState::Resolved && now_ns - a.resolved_ns > options_.history_ns);
    });
    for (const auto& [_, a] : alerts_) keep.push_back(a);
  }
  if (state_) {
    try {
      state_->save_alerts(keep);
    } catch (const std::exception& e) {
      std::cerr << "loupe: alerts: cannot save alert state: " << e.what() << "\n";
    }
  }
}

Engine::Values Engine::current_values(const Rule& rule, uint64_t now_ns, RuleStatus& st) {
  store::TimeRange range{now_ns - std::min(now_ns, rule.window_ns), now_ns};
  SignalValues cur = read_signal(store_, rule, range, now_ns);
  st.error = cur.error;
  if (cur.truncated)
    st.note = "the window held more than " + std::to_string(kMaxRequests) +
              " requests; the newest were used";
  Values out;
  if (!cur.error.empty()) return out;
  if (rule.kind == ConditionKind::Threshold) {
    for (auto& g : cur.groups) out[g.labels] = g;
    return out;
  }
  std::map<Labels, double> reference;
  if (rule.kind == ConditionKind::ChangePct) {
    store::TimeRange earlier{range.from_ns - std::min(range.from_ns, rule.compare_ns),
                             range.to_ns - std::min(range.to_ns, rule.compare_ns)};
    for (auto& g : read_signal(store_, rule, earlier, now_ns).groups) reference[g.labels] = g.value;
  }
  size_t missing = 0;
  for (auto& g : cur.groups) {
    std::optional<double> ref;
    if (rule.kind == ConditionKind::ChangePct) {
      g.compared_to = {{"kind", "earlier"},
                       {"offset_s", static_cast<double>(rule.compare_ns) / 1e9}};
      if (auto it = reference.find(g.labels); it != reference.end()) {
        ref = it->second;
        g.compared_to["value"] = *ref;
      } else {
        g.not_evaluated = "no data in the compare period";
      }
    } else {
      BaselineStat b = baseline(rule, g.labels, now_ns);
      g.compared_to = {{"kind", "baseline"}, {"days", b.days}, {"days_needed", kBaselineMinDays}};
      if (b.days >= kBaselineMinDays) {
        ref = b.median;
        g.compared_to["median"] = b.median;
        g.compared_to["spread"] = b.spread;
      } else {
        g.not_evaluated = "not enough history: " + std::to_string(b.days) + " of the last " +
                          std::to_string(kBaselineDays) + " days had data in this window, " +
                          std::to_string(kBaselineMinDays) + " needed";
      }
    }
    if (ref && *ref <= 0) g.not_evaluated = "the reference value is 0";
    if (!g.not_evaluated.empty()) {
      ++missing;
      st.values.push_back(g);  // shown with its reason; no alert
      continue;
    }
    g.value = (g.value - *ref) / *ref * 100;
    out[g.labels] = g;
  }
  if (missing)
    st.note = std::to_string(missing) + " label set(s) without " +
              (rule.kind == ConditionKind::ChangePct
                   ? "data in the compare period"
                   : "enough history for a baseline (needs " + std::to_string(kBaselineMinDays) +
                         " of the last " + std::to_string(kBaselineDays) + " days)") +
              ": not evaluated";
  return out;
}

Engine::BaselineStat Engine::baseline(const Rule& rule, const Labels& labels, uint64_t now_ns) {
  Baseline& b = baselines_[rule.name];
  if (b.computed_ns == 0 || now_ns - b.computed_ns >= rule.window_ns) {
    std::map<Labels, std::vector<double>> days;
    for (int d = 1; d <= kBaselineDays; ++d) {
      uint64_t shift = static_cast<uint64_t>(d) * kDay;
      if (now_ns < shift + rule.window_ns) break;
      store::TimeRange r{now_ns - shift - rule.window_ns, now_ns - shift};
      for (auto& g : read_signal(store_, rule, r, now_ns).groups) days[g.labels].push_back(g.value);
    }
    b.stats.clear();
    for (auto& [l, v] : days) {
      BaselineStat stat{.median = median(v), .days = static_cast<int>(v.size())};
      // The spread: the median absolute deviation from the median.
      std::vector<double> deviations;
      for (double x : v) deviations.push_back(std::abs(x - stat.median));
      stat.spread = median(deviations);
      b.stats[l] = stat;
    }
    b.computed_ns = now_ns;
  }
  auto it = b.stats.find(labels);
  return it == b.stats.end() ? BaselineStat{} : it->second;
}

void Engine::evaluate_rule(const Rule& rule, uint64_t now_ns,
                           std::map<std::string, std::vector<Alert>>& outbox) {
  RuleStatus st;
  auto started = std::chrono::steady_clock::now();
  Values values;
  try {
    values = current_values(rule, now_ns, st);
  } catch (const std::exception& e) {
    st.error = std::string("evaluation failed: ") + e.what();
  }
  auto holds = [&](const GroupValue& g) {
    if (request_signal(rule.signal) && g.requests < rule.min_requests) return false;
    return compare(g.value, rule.op, rule.threshold);
  };
  Timing timing{rule.for_ns, config_.repeat_interval_ns};
  auto receivers = receivers_of(rule);

  std::lock_guard lock(mu_);
  std::vector<std::string> seen;
  size_t tracked = static_cast<size_t>(std::count_if(
      alerts_.begin(), alerts_.end(), [&](const auto& kv) { return kv.second.rule == rule.name; }));
  for (const auto& [labels, g] : values) {
    bool h = holds(g);
    std::string key;
    Labels al = alert_labels(rule, labels);
    Alert probe;
    probe.labels = al;
    key = probe.key();
    auto it = alerts_.find(key);
    if (it == alerts_.end()) {
      if (!h) continue;  // nothing to track for a label set that is fine
      if (tracked >= options_.max_alerts_per_rule) {
        ++st.untracked_groups;
        continue;
      }
      ++tracked;
      probe.rule = rule.name;
      it = alerts_.emplace(key, std::move(probe)).first;
    }
    Alert& a = it->second;
    seen.push_back(key);
    a.value = g.value;
    a.compared_to = g.compared_to;
    a.silenced = silenced(a.labels, now_ns);
    Notify n = advance(a, h, now_ns, timing);
    if (a.state != AlertState::Resolved)  // a resolved alert keeps its last text
      for (const auto& [name, text] : rule.annotations)
        a.annotations[name] = render_template(text, a.value, a.labels);
    if (n != Notify::None)
      for (const auto& r : receivers) outbox[r].push_back(a);
  }
  // Label sets with no data this round (traffic stopped, pod gone): their
  // condition no longer holds. A rule that could not be read keeps its state.
  if (st.error.empty())
    for (auto& [key, a] : alerts_) {
      if (a.rule != rule.name || std::find(seen.begin(), seen.end(), key) != seen.end()) continue;
      a.silenced = silenced(a.labels, now_ns);
      if (advance(a, false, now_ns, timing) != Notify::None)
        for (const auto& r : receivers) outbox[r].push_back(a);
    }
  st.last_eval_ns = now_ns;
  st.eval_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  for (const auto& [_, g] : values) st.values.push_back(g);
  if (st.values.size() > kValuesShown) st.values.resize(kValuesShown);
  rule_status_[rule.name] = std::move(st);
}

bool Engine::silenced(const Labels& labels, uint64_t now_ns) const {
  return std::any_of(silences_.begin(), silences_.end(),
                     [&](const Silence& s) { return s.active(now_ns) && s.matches(labels); });
}

std::vector<std::string> Engine::receivers_of(const Rule& rule) const {
  if (!rule.receivers.empty()) return rule.receivers;
  std::vector<std::string> all;
  for (const auto& r : config_.receivers) all.push_back(r.name);
  return all;
}

Delivery* Engine::delivery(const std::string& name) const {
  for (const auto& d : deliveries_)
    if (d->receiver().name == name) return d.get();
  return nullptr;
}

void Engine::deliver(const std::map<std::string, std::vector<Alert>>& outbox, uint64_t now_ns) {
  std::string ui;
  {
    std::lock_guard lock(mu_);
    ui = ui_base_;
  }
  for (const auto& [name, alerts] : outbox) {
    Delivery* d = delivery(name);
    if (!d) continue;
    // One notification per rule, as Alertmanager groups by alertname.
    std::map<std::string, std::vector<Alert>> by_rule;
    for (const auto& a : alerts) by_rule[a.rule].push_back(a);
    for (const auto& [_, group] : by_rule) {
      switch (d->receiver().type) {
        case ReceiverType::Webhook:
          d->send(webhook_body(name, group, ui));
          break;
        case ReceiverType::Slack:
          d->send(slack_body(group, ui));
          break;
        case ReceiverType::Alertmanager:
          d->send(alertmanager_body(group, ui, now_ns + 4 * options_.alertmanager_refresh_ns),
                  "/api/v2/alerts");
          break;
      }
    }
  }
}

void Engine::refresh_alertmanager(uint64_t now_ns) {
  std::map<std::string, std::vector<Alert>> outbox;
  {
    std::lock_guard lock(mu_);
    if (now_ns - last_refresh_ns_ < options_.alertmanager_refresh_ns) return;
    last_refresh_ns_ = now_ns;
    for (const auto& rule : config_.rules)
      for (const auto& name : receivers_of(rule)) {
        Delivery* d = delivery(name);
        if (!d || d->receiver().type != ReceiverType::Alertmanager) continue;
        for (const auto& [_, a] : alerts_)
          if (a.rule == rule.name && a.state == AlertState::Firing && a.last_sent_ns != 0 &&
              !a.silenced)
            outbox[name].push_back(a);
      }
  }
  deliver(outbox, now_ns);
}

nlohmann::json Engine::alerts_json(std::optional<AlertState> state) const {
  std::lock_guard lock(mu_);
  std::vector<const Alert*> list;
  for (const auto& [_, a] : alerts_)
    if (!state || a.state == *state) list.push_back(&a);
  // Firing first, then pending, then resolved (newest first).
  auto rank = [](AlertState s) {
    return s == AlertState::Firing ? 0 : s == AlertState::Pending ? 1 : 2;
  };
  std::sort(list.begin(), list.end(), [&](const Alert* x, const Alert* y) {
    if (rank(x->state) != rank(y->state)) return rank(x->state) < rank(y->state);
    return std::max(x->fired_ns, x->resolved_ns) > std::max(y->fired_ns, y->resolved_ns);
  });
  nlohmann::json out = nlohmann::json::array();
  for (const Alert* a : list) {
    auto j = to_json(*a);
    j.erase("ns");
    j["url"] = generator_url(ui_base_, *a);
    out.push_back(j);
  }
  return out;
}

nlohmann::json Engine::rules_json() const {
  std::lock_guard lock(mu_);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : config_.rules) {
    nlohmann::json j{{"name", r.name},
                     {"builtin", r.builtin},
                     {"enabled", r.enabled},
                     {"signal", to_string(r.signal)},
                     {"scope", r.scope},
                     {"group_by", r.group_by},
                     {"op", to_string(r.op)},
                     {"severity", r.severity},
                     {"window_s", static_cast<double>(r.window_ns) / 1e9},
                     {"for_s", static_cast<double>(r.for_ns) / 1e9},
                     {"min_requests", r.min_requests},
                     {"receivers", receivers_of(r)}};
    if (r.signal == Signal::Latency) j["quantile"] = r.quantile;
    if (r.signal == Signal::Metric) j["metric"] = r.metric;
    if (r.signal == Signal::Event) j["reason"] = r.reason;
    if (!r.cleared_by.empty()) j["cleared_by"] = r.cleared_by;
    if (r.signal == Signal::LogCount) {
      j["pattern"] = r.pattern;
      j["level"] = nlohmann::json::array();
      for (logs::Level l : r.levels) j["level"].push_back(std::string(logs::to_string(l)));
    }
    if (r.kind == ConditionKind::Threshold)
      j["threshold"] = r.threshold;
    else
      j["change_pct"] = r.threshold;
    if (r.kind == ConditionKind::ChangePct)
      j["compare_s"] = static_cast<double>(r.compare_ns) / 1e9;
    if (r.kind == ConditionKind::BaselinePct) j["compare"] = "baseline";
    auto st = rule_status_.find(r.name);
    if (st != rule_status_.end()) {
      const RuleStatus& s = st->second;
      nlohmann::json values = nlohmann::json::array();
      for (const auto& g : s.values) {
        nlohmann::json v{{"labels", g.labels}, {"value", g.value}};
        if (request_signal(r.signal)) v["requests"] = g.requests;
        if (!g.compared_to.is_null()) v["compared_to"] = g.compared_to;
        if (!g.not_evaluated.empty()) v["not_evaluated"] = g.not_evaluated;
        values.push_back(v);
      }
      j["last_eval"] = format_rfc3339_ns(s.last_eval_ns);
      j["eval_ms"] = s.eval_ms;
      j["values"] = values;
      j["error"] = s.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.error);
      if (!s.note.empty()) j["note"] = s.note;
      if (s.untracked_groups) j["untracked_label_sets"] = s.untracked_groups;
    } else {
      j["last_eval"] = nullptr;
      j["error"] = nullptr;
    }
    int firing = 0;
    for (const auto& [_, a] : alerts_) firing += a.rule == r.name && a.state == AlertState::Firing;
    j["firing"] = firing;
    out.push_back(j);
  }
  return out;
}

nlohmann::json Engine::silences_json() {
  reload_silences();
  std::lock_guard lock(mu_);
  uint64_t now = now_unix_ns();
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : silences_) out.push_back(to_json(s, now));
  return out;
}

std::string Engine::add_silence(const nlohmann::json& body) {
  uint64_t now = now_unix_ns();
  Silence s = silence_from_json(body, now);
  s.id = new_id();
  if (state_) state_->save_silence(s);
  std::lock_guard lock(mu_);
  silences_.push_back(s);
  return s.id;
}

bool Engine::expire_silence(const std::string& id) {
  uint64_t now = now_unix_ns();
  reload_silences();
  Silence copy;
  {
    std::lock_guard lock(mu_);
    auto it = std::find_if(silences_.begin(), silences_.end(),
                           [&](const Silence& s) { return s.id == id; });
    if (it == silences_.end()) return false;
    if (it->ends_ns > now) it->ends_ns = std::max(now, it->starts_ns + 1);
    copy = *it;
  }
  if (state_) state_->save_silence(copy);
  return true;
}

nlohmann::json Engine::status() const {
  nlohmann::json receivers = nlohmann::json::array();
  for (const auto& d : deliveries_) receivers.push_back(d->status());
  std::lock_guard lock(mu_);
  int firing = 0, pending = 0;
  for (const auto& [_, a] : alerts_) {
    firing += a.state == AlertState::Firing;
    pending += a.state == AlertState::Pending;
  }
  return {{"rules", std::count_if(config_.rules.begin(), config_.rules.end(),
                                  [](const Rule& r) { return r.enabled; })},
          {"evaluations", evaluations_},
          {"leading", leading_},
          {"interval_s", static_cast<double>(options_.interval_ns) / 1e9},
          {"firing", firing},
          {"pending", pending},
          {"receivers", receivers}};
}

}  // namespace loupe::alerts
