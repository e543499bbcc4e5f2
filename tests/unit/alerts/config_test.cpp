#include <gtest/gtest.h>

#include <algorithm>

#include "alerts/config_file.h"

namespace loupe::alerts {
namespace {

const Rule* find(const Config& c, const std::string& name) {
  for (const auto& r : c.rules)
    if (r.name == name) return &r;
  return nullptr;
}

TEST(AlertsConfig, ParsesRulesAndReceivers) {
  auto r = parse_config(R"(
repeat_interval: 30m
receivers:
  - name: ops
    type: slack
    url: http://127.0.0.1:9/hook
    timeout: 2s
rules:
  - name: checkout-slow
    signal: latency
    quantile: 0.99
    scope: {service: checkout}
    group_by: [route]
    op: ">="
    threshold: 250
    window: 30s
    for: 1m
    min_requests: 10
    severity: critical
    labels: {team: shop}
    annotations: {summary: "p99 {{ .value }} ms"}
    receivers: [ops]
  - name: more-errors
    signal: error_rate
    change_pct: 50
    compare: 2h
)",
                        "a.yaml");
  ASSERT_TRUE(r.errors.empty()) << r.errors.front().text();
  EXPECT_EQ(r.config.repeat_interval_ns, 1800ULL * 1'000'000'000);
  ASSERT_EQ(r.config.receivers.size(), 1u);
  EXPECT_EQ(r.config.receivers[0].type, ReceiverType::Slack);
  EXPECT_EQ(r.config.receivers[0].timeout_ns, 2'000'000'000ULL);
  const Rule* slow = find(r.config, "checkout-slow");
  ASSERT_NE(slow, nullptr);
  EXPECT_EQ(slow->signal, Signal::Latency);
  EXPECT_EQ(slow->quantile, 0.99);
  EXPECT_EQ(slow->scope.at("service"), "checkout");
  EXPECT_EQ(slow->group_by, std::vector<std::string>{"route"});
  EXPECT_EQ(slow->op, Op::Ge);
  EXPECT_EQ(slow->threshold, 250);
  EXPECT_EQ(slow->window_ns, 30'000'000'000ULL);
  EXPECT_EQ(slow->for_ns, 60'000'000'000ULL);
  EXPECT_EQ(slow->min_requests, 10u);
  EXPECT_EQ(slow->labels.at("team"), "shop");
  const Rule* change = find(r.config, "more-errors");
  ASSERT_NE(change, nullptr);
  EXPECT_EQ(change->kind, ConditionKind::ChangePct);
  EXPECT_EQ(change->threshold, 50);
  EXPECT_EQ(change->compare_ns, 7200ULL * 1'000'000'000);
  // The built-in rules are there too.
  EXPECT_NE(find(r.config, "ServiceErrorRate"), nullptr);
  EXPECT_NE(find(r.config, "ContainerOOMKilled"), nullptr);
}

TEST(AlertsConfig, RetunesAndDisablesBuiltinsByName) {
  auto r = parse_config(R"(
rules:
  - name: ServiceErrorRate
    threshold: 0.2
    for: 10s
  - name: ContainerOOMKilled
    enabled: false
)",
                        "a.yaml");
  ASSERT_TRUE(r.errors.empty()) << r.errors.front().text();
  const Rule* errors = find(r.config, "ServiceErrorRate");
  EXPECT_EQ(errors->threshold, 0.2);
  EXPECT_EQ(errors->for_ns, 10'000'000'000ULL);
  EXPECT_EQ(errors->signal, Signal::ErrorRate);  // untouched fields keep the built-in's
  EXPECT_EQ(errors->min_requests, 300u);
  EXPECT_FALSE(find(r.config, "ContainerOOMKilled")->enabled);
}

TEST(AlertsConfig, ErrorsNameFileLineAndField) {
  auto r = parse_config(R"(rules:
  - name: x
    signal: latency
    threshold: 5
    windw: 5m
  - name: y
    signal: disk_io
    threshold: 1
    window: 5 minutes
)",
                        "bad.yaml");
  ASSERT_EQ(r.errors.size(), 3u);
  EXPECT_EQ(r.errors[0].text(),
            "bad.yaml:5: rules[0] (x).windw: unknown field (expected one of annotations, "
            "change_pct, cleared_by, compare, "
            "enabled, for, group_by, labels, level, metric, min_requests, name, op, pattern, "
            "quantile, "
            "reason, receivers, scope, severity, signal, threshold, window)");
  EXPECT_EQ(r.errors[1].line, 7);
  EXPECT_EQ(r.errors[1].field, "rules[1] (y).signal");
  EXPECT_EQ(r.errors[2].line, 9);
  EXPECT_EQ(r.errors[2].field, "rules[1] (y).window");
}

TEST(AlertsConfig, MalformedYamlAndBadValues) {
  auto r = parse_config("rules:\n  - name: [unclosed\n", "m.yaml");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].line, 3);

  r = parse_config(R"(
receivers:
  - name: a
    type: pager
    url: ftp://x
rules:
  - name: q
    signal: latency
    quantile: 0.9
    op: "=="
    threshold: 1
    group_by: [colour]
    receivers: [nobody]
  - name: n
    signal: metric
    threshold: 1
)",
                   "v.yaml");
  std::vector<std::string> fields;
  for (const auto& e : r.errors) fields.push_back(e.field);
  EXPECT_EQ(fields,
            (std::vector<std::string>{"receivers[0].type", "receivers[0].url", "rules[0] (q).op",
                                      "rules[0] (q).group_by", "rules[0] (q).quantile",
                                      "rules[1] (n).metric", "rules (q).receivers"}));
}

TEST(AlertsConfig, RuleWithoutConditionOrSignal) {
  auto r = parse_config(
      "rules:\n  - name: a\n    signal: request_rate\n  - name: b\n    threshold: 1\n", "c.yaml");
  ASSERT_EQ(r.errors.size(), 2u);
  EXPECT_EQ(r.errors[0].field, "rules[0] (a).threshold");
  EXPECT_EQ(r.errors[1].field, "rules[1] (b).signal");
}

TEST(AlertsConfig, EmptyFileIsTheBuiltins) {
  auto r = parse_config("", "e.yaml");
  EXPECT_TRUE(r.errors.empty());
  EXPECT_EQ(r.config.rules.size(), default_config().rules.size());
  EXPECT_FALSE(load_config_file("/nonexistent/alerts.yaml").errors.empty());
}

TEST(AlertsConfig, LogCountTakesLogKeysAndLevels) {
  auto r = parse_config(R"(
rules:
  - {name: A, signal: log_count, threshold: 0}
  - {name: B, signal: log_count, level: loud, threshold: 0}
  - {name: C, signal: log_count, pattern: x, group_by: [route], threshold: 0}
  - {name: D, signal: error_rate, pattern: x, threshold: 0}
)",
                        "l.yaml");
  // B's bad level leaves it with neither pattern nor level: two errors.
  ASSERT_EQ(r.errors.size(), 5u);
  auto has = [&](const std::string& field, const std::string& text) {
    return std::any_of(r.errors.begin(), r.errors.end(), [&](const ConfigError& e) {
      return e.field.find(field) != std::string::npos && e.message.find(text) != std::string::npos;
    });
  };
  EXPECT_TRUE(has("(A)", "needs pattern"));
  EXPECT_TRUE(has("(B).level", "'loud' is not a level"));
  EXPECT_TRUE(has("(C)", "not 'route'"));
  EXPECT_TRUE(has("(D).pattern", "only signal log_count"));
}

}  // namespace
}  // namespace loupe::alerts
