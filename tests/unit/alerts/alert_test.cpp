#include "alerts/alert.h"

#include <gtest/gtest.h>

#include "alerts/notification.h"
#include "alerts/silence.h"

namespace loupe::alerts {
namespace {

constexpr uint64_t kS = 1'000'000'000ULL;
constexpr uint64_t kT0 = 1'764'000'000ULL * kS;

TEST(AlertStateMachine, PendingThenFiringAfterForThenResolved) {
  Alert a;
  Timing t{.for_ns = 10 * kS, .repeat_ns = 3600 * kS};
  EXPECT_EQ(advance(a, true, kT0, t), Notify::None);
  EXPECT_EQ(a.state, AlertState::Pending);
  EXPECT_EQ(advance(a, true, kT0 + 5 * kS, t), Notify::None);
  EXPECT_EQ(a.state, AlertState::Pending);
  EXPECT_EQ(advance(a, true, kT0 + 10 * kS, t), Notify::Firing);
  EXPECT_EQ(a.state, AlertState::Firing);
  EXPECT_EQ(a.fired_ns, kT0 + 10 * kS);
  EXPECT_EQ(advance(a, true, kT0 + 20 * kS, t), Notify::None);  // no repeat before the interval
  EXPECT_EQ(advance(a, false, kT0 + 30 * kS, t), Notify::Resolved);
  EXPECT_EQ(a.state, AlertState::Resolved);
  EXPECT_EQ(a.resolved_ns, kT0 + 30 * kS);
  EXPECT_EQ(advance(a, false, kT0 + 40 * kS, t), Notify::None);
  // It can fire again later, going through pending.
  EXPECT_EQ(advance(a, true, kT0 + 50 * kS, t), Notify::None);
  EXPECT_EQ(a.state, AlertState::Pending);
}

TEST(AlertStateMachine, PendingThatClearsNeverFires) {
  Alert a;
  Timing t{.for_ns = 10 * kS, .repeat_ns = 3600 * kS};
  advance(a, true, kT0, t);
  EXPECT_EQ(advance(a, false, kT0 + 5 * kS, t), Notify::None);
  EXPECT_EQ(a.state, AlertState::Inactive);
}

TEST(AlertStateMachine, RepeatsAfterTheRepeatInterval) {
  Alert a;
  Timing t{.for_ns = 0, .repeat_ns = 60 * kS};
  EXPECT_EQ(advance(a, true, kT0, t), Notify::Firing);  // for 0: fires at once
  EXPECT_EQ(advance(a, true, kT0 + 59 * kS, t), Notify::None);
  EXPECT_EQ(advance(a, true, kT0 + 60 * kS, t), Notify::Firing);
}

TEST(AlertStateMachine, SilencedSendsNothingAndSendsWhenTheSilenceEnds) {
  Alert a;
  Timing t{.for_ns = 0, .repeat_ns = 3600 * kS};
  a.silenced = true;
  EXPECT_EQ(advance(a, true, kT0, t), Notify::None);
  EXPECT_EQ(a.state, AlertState::Firing);
  a.silenced = false;
  EXPECT_EQ(advance(a, true, kT0 + kS, t), Notify::Firing);
  a.silenced = true;
  EXPECT_EQ(advance(a, false, kT0 + 2 * kS, t), Notify::None);  // resolution silenced too
}

TEST(AlertStateMachine, ResolutionOfAnUnsentAlertIsNotSent) {
  Alert a;
  Timing t{.for_ns = 0, .repeat_ns = 3600 * kS};
  a.silenced = true;
  advance(a, true, kT0, t);
  a.silenced = false;
  EXPECT_EQ(advance(a, false, kT0 + kS, t), Notify::None);
}

TEST(AlertStateMachine, SurvivesJsonRoundTrip) {
  Alert a;
  a.rule = "r";
  a.labels = {{"alertname", "r"}, {"pod", "p"}};
  advance(a, true, kT0, {.for_ns = 0, .repeat_ns = 3600 * kS});
  Alert b = alert_from_json(to_json(a));
  EXPECT_EQ(b.key(), a.key());
  EXPECT_EQ(b.state, AlertState::Firing);
  EXPECT_EQ(b.last_sent_ns, kT0);
  // Restored, it does not resend before the repeat interval.
  EXPECT_EQ(advance(b, true, kT0 + 60 * kS, {.for_ns = 0, .repeat_ns = 3600 * kS}), Notify::None);
}

TEST(AlertTemplates, RendersValueAndLabels) {
  EXPECT_EQ(render_template("{{ .labels.workload }} at {{.value}} ({{ .labels.none }}) {{ .x }}",
                            0.12345, {{"workload", "Deployment/api"}}),
            "Deployment/api at 0.1235 () {{ .x }}");
}

TEST(AlertNotifications, WebhookBodyHasAlertmanagerShape) {
  Alert a;
  a.rule = "Errors";
  a.labels = {{"alertname", "Errors"}, {"service", "checkout"}, {"severity", "critical"}};
  a.annotations = {{"summary", "too many"}};
  advance(a, true, kT0, {.for_ns = 0, .repeat_ns = 3600 * kS});
  auto j = nlohmann::json::parse(webhook_body("ops", {a}, "http://loupe:8080"));
  EXPECT_EQ(j["version"], "4");
  EXPECT_EQ(j["status"], "firing");
  EXPECT_EQ(j["receiver"], "ops");
  EXPECT_EQ(j["groupLabels"]["alertname"], "Errors");
  EXPECT_EQ(j["commonLabels"]["service"], "checkout");
  ASSERT_EQ(j["alerts"].size(), 1u);
  EXPECT_EQ(j["alerts"][0]["status"], "firing");
  EXPECT_EQ(j["alerts"][0]["annotations"]["summary"], "too many");
  EXPECT_EQ(j["alerts"][0]["startsAt"], "2025-11-24T16:00:00.000000000Z");
  EXPECT_EQ(j["alerts"][0]["generatorURL"],
            "http://loupe:8080/services/checkout?from=1763999100&to=1764000900");
  auto slack = nlohmann::json::parse(slack_body({a}, "http://loupe:8080"));
  EXPECT_NE(slack["text"].get<std::string>().find(
                "[FIRING] Errors: too many <http://loupe:8080/services/checkout"),
            std::string::npos);
  // Without a service: the workload's page (pod alerts), else the nodes page.
  a.labels = {
      {"alertname", "OOM"}, {"namespace", "shop"}, {"pod", "db-0"}, {"workload", "StatefulSet/db"}};
  EXPECT_EQ(generator_url("http://loupe", a),
            "http://loupe/workloads/shop%2FStatefulSet%2Fdb?from=1763999100&to=1764000900");
  a.labels = {{"alertname", "NodeNotReady"}, {"node", "n2"}};
  EXPECT_EQ(generator_url("http://loupe", a), "http://loupe/nodes?from=1763999100&to=1764000900");
}

TEST(Silences, MatchersAndValidation) {
  auto s = silence_from_json({{"matchers",
                               {{{"name", "alertname"}, {"value", "Errors"}},
                                {{"name", "service"}, {"value", "check.*"}, {"isRegex", true}}}},
                              {"duration", "1h"},
                              {"comment", "deploy"}},
                             kT0);
  EXPECT_TRUE(s.active(kT0));
  EXPECT_FALSE(s.active(kT0 + 3600 * kS));
  EXPECT_TRUE(s.matches({{"alertname", "Errors"}, {"service", "checkout"}}));
  EXPECT_FALSE(s.matches({{"alertname", "Errors"}, {"service", "cart"}}));
  EXPECT_THROW(silence_from_json({{"matchers", nlohmann::json::array()}, {"duration", "1h"}}, kT0),
               std::invalid_argument);
  EXPECT_THROW(
      silence_from_json(
          {{"matchers", {{{"name", "a"}, {"value", "("}, {"isRegex", true}}}}, {"duration", "1h"}},
          kT0),
      std::invalid_argument);
  EXPECT_THROW(silence_from_json({{"matchers", {{{"name", "a"}, {"value", "b"}}}}}, kT0),
               std::invalid_argument);
}

}  // namespace
}  // namespace loupe::alerts
