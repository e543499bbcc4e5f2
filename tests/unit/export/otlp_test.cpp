#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/span_id.h"
#include "export/otlp/encoding.h"
#include "export/otlp/exporter.h"
#include "export/otlp/log_mapping.h"
#include "export/otlp/metrics_mapping.h"
#include "export/otlp/sender.h"
#include "export/otlp/span_mapping.h"
#include "export/request_metrics.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace loupe::exporting::otlp {
namespace {

namespace trace = opentelemetry::proto::trace::v1;
using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;

Record http_server(int status = 200) {
  Record r;
  r.protocol = Protocol::Http1;
  r.role = Role::Server;
  r.start_ns = 1'700'000'000'000'000'000;
  r.end_ns = r.start_ns + 2'500'000;
  r.method = "GET";
  r.path = "/users/42?x=1";
  r.route = "/users/{id}";
  r.status = status;
  r.error = status >= 500;
  r.pid = 77;
  r.comm = "python3";
  r.local_addr = "10.0.0.2:8000";
  r.remote_addr = "10.0.0.9:51000";
  r.local_identity = intern(
      {.node = "node-1", .namespace_ = "shop", .pod = "api-7d9f-x2", .workload = "Deployment/api"});
  return r;
}

Record postgres_client() {
  Record r;
  r.protocol = Protocol::Postgres;
  r.role = Role::Client;
  r.start_ns = 1'700'000'000'000'000'000;
  r.end_ns = r.start_ns + 900'000;
  r.method = "SELECT";
  r.path = "SELECT * FROM users WHERE id = $1";
  r.route = "SELECT * FROM users WHERE id = ?";
  r.host = "shopdb";
  r.remote_addr = "10.0.0.5:5432";
  r.comm = "python3";
  return r;
}

std::map<std::string, std::string> attributes(
    const google::protobuf::RepeatedPtrField<opentelemetry::proto::common::v1::KeyValue>& kvs) {
  std::map<std::string, std::string> out;
  for (const auto& kv : kvs)
    out[kv.key()] = kv.value().has_string_value() ? kv.value().string_value()
                    : kv.value().has_bool_value() ? (kv.value().bool_value() ? "true" : "false")
                                                  : std::to_string(kv.value().int_value());
  return out;
}

TEST(OtlpSpan, HttpServerRecordIsServerSpanWithSemanticConventionNames) {
  SpanSource s{http_server(503), "shop/Deployment/api", "", "/users/{id}"};
  s.record.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  std::mt19937_64 rng(1);
  trace::Span span;
  fill_span(s, rng, span);
  EXPECT_EQ(span.kind(), trace::Span::SPAN_KIND_SERVER);
  EXPECT_EQ(span.name(), "GET /users/{id}");
  EXPECT_EQ(span.trace_id(), hex_to_bytes("4bf92f3577b34da6a3ce929d0e0e4736", 16));
  EXPECT_EQ(span.span_id().size(), 8u);
  EXPECT_EQ(span.end_time_unix_nano() - span.start_time_unix_nano(), 2'500'000u);
  auto a = attributes(span.attributes());
  EXPECT_EQ(a["http.request.method"], "GET");
  EXPECT_EQ(a["http.route"], "/users/{id}");
  EXPECT_EQ(a["url.path"], "/users/42");
  EXPECT_EQ(a["http.response.status_code"], "503");
  EXPECT_EQ(a["client.address"], "10.0.0.9");
  EXPECT_EQ(a["error.type"], "503");
  EXPECT_EQ(span.status().code(), trace::Status::STATUS_CODE_ERROR);

  opentelemetry::proto::resource::v1::Resource res;
  fill_resource(s, res);
  auto ra = attributes(res.attributes());
  EXPECT_EQ(ra["service.name"], "shop/Deployment/api");
  EXPECT_EQ(ra["k8s.namespace.name"], "shop");
  EXPECT_EQ(ra["k8s.pod.name"], "api-7d9f-x2");
  EXPECT_EQ(ra["k8s.deployment.name"], "api");
  EXPECT_EQ(ra["k8s.node.name"], "node-1");
  EXPECT_EQ(ra["process.pid"], "77");
}

TEST(OtlpSpan, DatabaseCallIsClientSpanWithNormalisedQuery) {
  SpanSource s{postgres_client(), "external:10.0.0.5:5432", "python3", ""};
  std::mt19937_64 rng(2);
  trace::Span span;
  fill_span(s, rng, span);
  EXPECT_EQ(span.kind(), trace::Span::SPAN_KIND_CLIENT);
  EXPECT_EQ(span.name(), "SELECT shopdb");
  EXPECT_EQ(span.trace_id().size(), 16u);  // a fresh one: the record has none
  auto a = attributes(span.attributes());
  EXPECT_EQ(a["db.system"], "postgresql");
  EXPECT_EQ(a["db.system.name"], "postgresql");
  EXPECT_EQ(a["db.operation.name"], "SELECT");
  EXPECT_EQ(a["db.query.text"], "SELECT * FROM users WHERE id = ?");
  EXPECT_EQ(a["db.namespace"], "shopdb");
  EXPECT_EQ(a["server.address"], "10.0.0.5");
  EXPECT_EQ(a["server.port"], "5432");
  EXPECT_EQ(span.status().code(), trace::Status::STATUS_CODE_UNSET);
  opentelemetry::proto::resource::v1::Resource res;
  fill_resource(s, res);
  EXPECT_EQ(attributes(res.attributes())["service.name"], "python3");  // the caller
}

Record nats_client(std::string method, std::string subject, std::string route, std::string detail) {
  Record r;
  r.protocol = Protocol::Nats;
  r.role = Role::Client;
  r.start_ns = 1'700'000'000'000'000'000;
  r.end_ns = r.start_ns + 40'000;
  r.method = std::move(method);
  r.path = std::move(subject);
  r.route = std::move(route);
  r.detail = std::move(detail);
  r.remote_addr = "10.0.0.7:4222";
  r.comm = "orders";
  return r;
}

TEST(OtlpSpan, NatsPublishIsProducerAndDeliveryConsumerWithMessagingAttributes) {
  std::mt19937_64 rng(3);
  trace::Span pub;
  fill_span({nats_client("PUB", "orders.1234.paid", "orders.*.paid", "42"), "nats:4222", "orders",
             "orders.*.paid"},
            rng, pub);
  EXPECT_EQ(pub.kind(), trace::Span::SPAN_KIND_PRODUCER);
  EXPECT_EQ(pub.name(), "publish orders.*.paid");
  auto a = attributes(pub.attributes());
  EXPECT_EQ(a["messaging.system"], "nats");
  EXPECT_EQ(a["messaging.operation.type"], "send");
  EXPECT_EQ(a["messaging.operation.name"], "publish");
  EXPECT_EQ(a["messaging.destination.name"], "orders.1234.paid");
  EXPECT_EQ(a["messaging.destination.template"], "orders.*.paid");
  EXPECT_EQ(a["messaging.message.body.size"], "42");
  EXPECT_EQ(a["server.port"], "4222");

  trace::Span msg;
  fill_span({nats_client("HMSG", "audit", "audit", "7"), "nats:4222", "orders", "audit"}, rng, msg);
  EXPECT_EQ(msg.kind(), trace::Span::SPAN_KIND_CONSUMER);
  EXPECT_EQ(msg.name(), "receive audit");
  auto m = attributes(msg.attributes());
  EXPECT_EQ(m["messaging.operation.type"], "receive");
  EXPECT_EQ(m.count("messaging.destination.template"), 0u);  // the subject is its own route

  trace::Span sub;
  fill_span({nats_client("SUB", "orders.>", "orders.>", "queue workers"), "nats:4222", "orders",
             "orders.>"},
            rng, sub);
  EXPECT_EQ(sub.kind(), trace::Span::SPAN_KIND_CLIENT);
  EXPECT_EQ(sub.name(), "SUB orders.>");
  auto b = attributes(sub.attributes());
  EXPECT_EQ(b.count("messaging.operation.type"), 0u);
  EXPECT_EQ(b["messaging.operation.name"], "SUB");
  EXPECT_EQ(b.count("messaging.message.body.size"), 0u);
}

TEST(OtlpSpan, AmqpPublishNamesTheExchangeAndRoutingKeyAndADeliveryItsQueue) {
  std::mt19937_64 rng(4);
  Record pub = nats_client("basic.publish", "shop/order.created", "shop/order.created", "13");
  pub.protocol = Protocol::Amqp;
  trace::Span span;
  fill_span({pub, "rabbitmq:5672", "orders", pub.route}, rng, span);
  EXPECT_EQ(span.kind(), trace::Span::SPAN_KIND_PRODUCER);
  auto a = attributes(span.attributes());
  EXPECT_EQ(a["messaging.system"], "rabbitmq");
  EXPECT_EQ(a["messaging.destination.name"], "shop");
  EXPECT_EQ(a["messaging.rabbitmq.destination.routing_key"], "order.created");
  EXPECT_EQ(a["messaging.message.body.size"], "13");
  Record deliver = nats_client("basic.deliver", "orders.created", "orders.created",
                               "13 from shop/order.created");
  deliver.protocol = Protocol::Amqp;
  trace::Span d;
  fill_span({deliver, "rabbitmq:5672", "worker", deliver.route}, rng, d);
  EXPECT_EQ(d.kind(), trace::Span::SPAN_KIND_CONSUMER);
  auto b = attributes(d.attributes());
  EXPECT_EQ(b["messaging.destination.name"], "orders.created");
  EXPECT_EQ(b["messaging.message.body.size"], "13");
}

TEST(OtlpSpan, InvalidTraceIdsAreNotUsed) {
  EXPECT_EQ(hex_to_bytes("00000000000000000000000000000000", 16), "");
  EXPECT_EQ(hex_to_bytes("4bf92f3577b34da6a3ce929d0e0e473", 16), "");
  EXPECT_EQ(hex_to_bytes("zbf92f3577b34da6a3ce929d0e0e4736", 16), "");
  EXPECT_EQ(hex_to_bytes("00f067aa0ba902b7", 8).size(), 8u);
}

TEST(OtlpEncoding, JsonHasHexIdsAndIntegerEnums) {
  ExportTraceServiceRequest req;
  auto* span = req.add_resource_spans()->add_scope_spans()->add_spans();
  span->set_trace_id(hex_to_bytes("4bf92f3577b34da6a3ce929d0e0e4736", 16));
  span->set_span_id(hex_to_bytes("00f067aa0ba902b7", 8));
  span->set_kind(trace::Span::SPAN_KIND_SERVER);
  span->set_start_time_unix_nano(1'700'000'000'000'000'000);
  auto j = nlohmann::json::parse(encode(req, Encoding::Json));
  const auto& s = j["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
  EXPECT_EQ(s["traceId"], "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(s["spanId"], "00f067aa0ba902b7");
  EXPECT_EQ(s["kind"], 2);
  EXPECT_EQ(s["startTimeUnixNano"], "1700000000000000000");

  ExportTraceServiceRequest back;
  ASSERT_TRUE(back.ParseFromString(encode(req, Encoding::Protobuf)));
  EXPECT_EQ(back.resource_spans(0).scope_spans(0).spans(0).span_id(), span->span_id());
}

TEST(OtlpEndpoint, ParsesBaseUrls) {
  std::string error;
  auto e = parse_endpoint("http://collector:4318/", error);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->origin, "http://collector:4318");
  EXPECT_EQ(e->prefix, "");
  e = parse_endpoint("https://host/otlp", error);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->prefix, "/otlp");
  EXPECT_FALSE(parse_endpoint("collector:4318", error));
  EXPECT_FALSE(parse_endpoint("grpc://collector:4317", error));
  EXPECT_FALSE(parse_endpoint("http://", error));
}

TEST(OtlpMetrics, HistogramsAndCountsPerService) {
  RequestMetrics m;
  Record r = http_server();
  store::ServiceIdentity id{.name = "api:8000", .kind = "process", .counted = true};
  for (int i = 0; i < 3; ++i) m.observe({r, id, "curl", r.route});
  opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest req;
  EXPECT_EQ(fill_metrics(m.snapshot(), 1, 2, req), 3u);  // histogram + requests + errors
  ASSERT_EQ(req.resource_metrics_size(), 1);
  const auto& rm = req.resource_metrics(0);
  EXPECT_EQ(attributes(rm.resource().attributes())["service.name"], "api:8000");
  std::map<std::string, const opentelemetry::proto::metrics::v1::Metric*> by_name;
  for (const auto& metric : rm.scope_metrics(0).metrics()) by_name[metric.name()] = &metric;
  ASSERT_TRUE(by_name.count("http.server.request.duration"));
  const auto& h = by_name["http.server.request.duration"]->histogram().data_points(0);
  EXPECT_EQ(h.count(), 3u);
  EXPECT_EQ(static_cast<size_t>(h.bucket_counts_size()), h.explicit_bounds().size() + 1);
  EXPECT_EQ(attributes(h.attributes())["http.route"], "/users/{id}");
  EXPECT_EQ(by_name["loupe.requests"]->sum().data_points(0).as_int(), 3);
  EXPECT_EQ(by_name["loupe.request.errors"]->sum().data_points(0).as_int(), 0);
}

// A collector on loopback whose answers the test scripts.
class FakeCollector {
 public:
  FakeCollector() {
    server_.Post("/v1/traces", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      ++posts_;
      gzip_ = gzip_ || req.get_header_value("Content-Encoding") == "gzip";
      api_key_ = req.get_header_value("X-Api-Key");
      if (!answers_.empty()) {
        int status = answers_.front();
        answers_.erase(answers_.begin());
        if (status != 200) {
          res.status = status;
          return;
        }
      }
      ExportTraceServiceRequest r;
      if (r.ParseFromString(req.body))
        for (const auto& rs : r.resource_spans())
          for (const auto& ss : rs.scope_spans()) spans_ += ss.spans_size();
      res.set_content("", "application/x-protobuf");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FakeCollector() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void answer(std::vector<int> statuses) {
    std::lock_guard lock(mu_);
    answers_ = std::move(statuses);
  }
  int spans() {
    std::lock_guard lock(mu_);
    return spans_;
  }
  int posts() {
    std::lock_guard lock(mu_);
    return posts_;
  }
  bool gzip() {
    std::lock_guard lock(mu_);
    return gzip_;
  }
  std::string api_key() {
    std::lock_guard lock(mu_);
    return api_key_;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<int> answers_;
  int spans_ = 0, posts_ = 0;
  bool gzip_ = false;
  std::string api_key_;
};

ExporterOptions options_for(const std::string& url) {
  ExporterOptions o;
  std::string error;
  o.sender.endpoint = *parse_endpoint(url, error);
  o.sender.timeout = std::chrono::milliseconds(500);
  o.sender.headers = {{"X-Api-Key", "k1"}};
  o.flush_interval = std::chrono::milliseconds(20);
  o.link_delay = std::chrono::milliseconds(0);
  o.first_backoff = std::chrono::milliseconds(10);
  o.stop_deadline = std::chrono::milliseconds(2'000);
  return o;
}

void observe(Exporter& e, const Record& r, int n) {
  store::ServiceIdentity id{.name = "api:8000", .kind = "process", .counted = true};
  for (int i = 0; i < n; ++i) e.observe({r, id, "curl", r.route});
}

uint64_t at(const nlohmann::json& status, const char* pointer) {
  return status[nlohmann::json::json_pointer(pointer)].get<uint64_t>();
}

TEST(OtlpExporter, SendsGzippedBatchesWithHeadersAndRetriesUnavailable) {
  FakeCollector collector;
  collector.answer({503, 503});
  Exporter e(options_for(collector.url()));
  e.start();
  observe(e, http_server(), 10);
  for (int i = 0; i < 200 && at(e.status(), "/spans/sent") < 10; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  e.stop();
  auto s = e.status();
  EXPECT_EQ(collector.spans(), 10);
  EXPECT_EQ(at(s, "/spans/sent"), 10u);
  EXPECT_EQ(at(s, "/retries"), 2u);
  EXPECT_TRUE(collector.gzip());
  EXPECT_EQ(collector.api_key(), "k1");
}

TEST(OtlpExporter, ClientErrorDropsTheBatchAndCountsIt) {
  FakeCollector collector;
  collector.answer({400});
  Exporter e(options_for(collector.url()));
  e.start();
  observe(e, http_server(), 5);
  e.stop();
  auto s = e.status();
  EXPECT_EQ(at(s, "/spans/dropped/rejected"), 5u);
  EXPECT_EQ(at(s, "/spans/sent"), 0u);
  EXPECT_EQ(at(s, "/retries"), 0u);  // a 400 is not retried
  EXPECT_NE(s["last_error"].get<std::string>().find("HTTP 400"), std::string::npos);
}

TEST(OtlpExporter, EndpointDownCountsFailuresAfterRetries) {
  int port;
  {
    httplib::Server probe;
    port = probe.bind_to_any_port("127.0.0.1");
  }  // closed again: nothing listens there
  auto o = options_for("http://127.0.0.1:" + std::to_string(port));
  o.max_attempts = 3;
  Exporter e(o);
  e.start();
  observe(e, http_server(), 4);
  for (int i = 0; i < 200 && at(e.status(), "/spans/dropped/failed") == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  e.stop();
  auto s = e.status();
  EXPECT_EQ(at(s, "/spans/dropped/failed"), 4u);
  EXPECT_EQ(at(s, "/retries"), 2u);
}

TEST(OtlpExporter, QueueIsBoundedInBytes) {
  auto o = options_for("http://127.0.0.1:9");  // never started: everything stays queued
  o.max_queue_bytes = 4096;
  Exporter e(o);
  observe(e, http_server(), 100);
  auto s = e.status();
  EXPECT_GT(at(s, "/spans/dropped/queue_full"), 0u);
  EXPECT_LE(at(s, "/spans/queued_bytes"), 4096u);
  EXPECT_EQ(at(s, "/spans/queued") + at(s, "/spans/dropped/queue_full"), 100u);
}

TEST(OtlpSpan, LinkedIdsAreSent) {
  SpanSource s{
      http_server(),     "api:8000", "curl", "/users/{id}", "18782f0a7c1d2b15e0a1c3d5f7092b4d",
      0x9c2e41d07a1f3b55};
  std::mt19937_64 rng(1);
  trace::Span span;
  fill_span(s, rng, span);
  EXPECT_EQ(span.trace_id(), hex_to_bytes("18782f0a7c1d2b15e0a1c3d5f7092b4d", 16));
  EXPECT_EQ(span.parent_span_id(), hex_to_bytes("9c2e41d07a1f3b55", 8));
  EXPECT_EQ(span.span_id(), hex_to_bytes(span_id_hex(span_id_of(s.record)), 8));  // as the API's
}

TEST(OtlpExporter, SamplingKeepsErrorsAndSlowRequests) {
  FakeCollector collector;
  auto o = options_for(collector.url());
  o.sample_ratio = 0;
  o.slow_ns = 1'000'000'000;
  Exporter e(o);
  e.start();
  observe(e, http_server(200), 50);
  observe(e, http_server(500), 3);
  Record slow = http_server(200);
  slow.end_ns = slow.start_ns + 2'000'000'000;
  observe(e, slow, 2);
  for (int i = 0; i < 200 && at(e.status(), "/spans/sent") < 5; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  e.stop();
  auto s = e.status();
  EXPECT_EQ(at(s, "/spans/sampled_out"), 50u);
  EXPECT_EQ(at(s, "/spans/sent"), 5u);
}

logs::Entry pod_log_entry() {
  logs::Entry e;
  e.time_ns = 1'700'000'000'123'000'000;
  e.stream = logs::Stream::Stderr;
  e.level = logs::Level::Warn;
  e.text = "stock low for sku=12";
  e.file = "/var/log/pods/shop_api-7d9f-x2_u1/api/0.log";
  e.node = "node-a";
  e.namespace_ = "shop";
  e.pod = "api-7d9f-x2";
  e.container = "api";
  e.workload = "Deployment/api";
  e.pod_uid = "u1";
  return e;
}

TEST(OtlpLog, EntryIsALogRecordWithSeverityBodyAndItsWriter) {
  logs::Entry e = pod_log_entry();
  opentelemetry::proto::logs::v1::LogRecord rec;
  fill_log_record(e, 42, rec);
  EXPECT_EQ(rec.time_unix_nano(), e.time_ns);
  EXPECT_EQ(rec.observed_time_unix_nano(), 42u);
  EXPECT_EQ(rec.severity_number(), opentelemetry::proto::logs::v1::SEVERITY_NUMBER_WARN);
  EXPECT_EQ(rec.severity_text(), "WARN");
  EXPECT_EQ(rec.body().string_value(), "stock low for sku=12");
  auto a = attributes(rec.attributes());
  EXPECT_EQ(a["log.iostream"], "stderr");
  EXPECT_EQ(a["log.file.path"], e.file);
  EXPECT_EQ(a.count("loupe.truncated"), 0u);
  opentelemetry::proto::resource::v1::Resource res;
  fill_resource(e, res);
  auto r = attributes(res.attributes());
  EXPECT_EQ(r["service.name"], "shop/Deployment/api");
  EXPECT_EQ(r["k8s.deployment.name"], "api");
  EXPECT_EQ(r["k8s.pod.name"], "api-7d9f-x2");
  EXPECT_EQ(r["k8s.pod.uid"], "u1");
  EXPECT_EQ(r["k8s.container.name"], "api");
  EXPECT_EQ(r["k8s.node.name"], "node-a");
}

TEST(OtlpLog, UnknownLevelHasNoSeverityAndABareHostLineIsItsFile) {
  logs::Entry e;
  e.time_ns = 1;
  e.text = "plain";
  e.file = "/var/log/app.log";
  e.truncated = true;
  opentelemetry::proto::logs::v1::LogRecord rec;
  fill_log_record(e, 2, rec);
  EXPECT_EQ(rec.severity_number(), opentelemetry::proto::logs::v1::SEVERITY_NUMBER_UNSPECIFIED);
  EXPECT_TRUE(rec.severity_text().empty());
  auto a = attributes(rec.attributes());
  EXPECT_EQ(a.count("log.iostream"), 0u);
  EXPECT_EQ(a["loupe.truncated"], "true");
  opentelemetry::proto::resource::v1::Resource res;
  fill_resource(e, res);
  EXPECT_EQ(attributes(res.attributes())["service.name"], "/var/log/app.log");
  EXPECT_NE(resource_key(e), resource_key(pod_log_entry()));
}

TEST(OtlpExporter, LogQueueIsBoundedInBytesAndCanBeTurnedOff) {
  auto o = options_for("http://127.0.0.1:9");  // never started: everything stays queued
  o.max_queue_bytes = 4096;
  std::vector<logs::Entry> batch(100, pod_log_entry());
  Exporter e(o);
  e.observe(batch);
  auto s = e.status();
  EXPECT_GT(at(s, "/logs/dropped/queue_full"), 0u);
  EXPECT_LE(at(s, "/logs/queued_bytes"), 4096u);
  EXPECT_EQ(at(s, "/logs/queued") + at(s, "/logs/dropped/queue_full"), 100u);
  o.export_logs = false;
  Exporter off(o);
  off.observe(batch);
  EXPECT_EQ(at(off.status(), "/logs/observed"), 0u);
  EXPECT_EQ(at(off.status(), "/logs/queued"), 0u);
}

TEST(OtlpExporter, LogsEndAtExitWhenTheCollectorIsDown) {
  auto o = options_for("http://127.0.0.1:9");  // nothing listens on the discard port
  o.max_attempts = 1;
  Exporter e(o);
  e.start();
  e.observe(std::vector<logs::Entry>(7, pod_log_entry()));
  for (int i = 0; i < 200 && at(e.status(), "/logs/dropped/failed") < 7; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  e.stop();
  auto s = e.status();
  EXPECT_EQ(at(s, "/logs/dropped/failed") + at(s, "/logs/dropped/at_exit"), 7u);
  EXPECT_EQ(at(s, "/logs/sent"), 0u);
  EXPECT_EQ(at(s, "/logs/queued"), 0u);
}

}  // namespace
}  // namespace loupe::exporting::otlp
