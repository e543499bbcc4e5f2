#include "export/otlp/span_mapping.h"

#include <charconv>

#include "core/hex_digit.h"
#include "core/span_id.h"
#include "export/otlp/attributes.h"
#include "export/semantic_conventions.h"
#include "store/service_identity.h"

namespace loupe::exporting::otlp {
namespace {

namespace trace = opentelemetry::proto::trace::v1;

bool is_http(Protocol p) { return p == Protocol::Http1 || p == Protocol::Http2; }

std::string_view without_query(std::string_view path) {
  return path.substr(0, path.find_first_of("?#"));
}

std::string random_bytes(std::mt19937_64& rng, size_t n) {
  std::string out(n, '\0');
  do {
    for (size_t i = 0; i < n; i += 8) {
      uint64_t v = rng();
      for (size_t j = 0; j < 8 && i + j < n; ++j) out[i + j] = static_cast<char>(v >> (8 * j));
    }
  } while (out.find_first_not_of('\0') == std::string::npos);  // all-zero ids are invalid
  return out;
}

std::string span_name(const SpanSource& s) {
  const Record& r = s.record;
  std::string name;
  if (is_http(r.protocol)) {
    name = r.method.empty() ? "HTTP" : r.method;
    std::string_view route = s.route.empty() ? std::string_view(r.route) : s.route;
    if (!route.empty()) name.append(" ").append(route);
  } else if (r.protocol == Protocol::Grpc) {
    std::string_view path = r.path;
    name = path.starts_with('/') ? path.substr(1) : path;
  } else if (!db_system(r.protocol).empty()) {
    name = r.method.empty() ? std::string(db_system(r.protocol)) : r.method;
    if (!r.host.empty()) name.append(" ").append(r.host);
  } else if (!messaging_system(r.protocol).empty()) {
    // "{operation} {destination}": the subject's route, not the subject
    // (one name per inbox or id would make every message its own span name).
    std::string_view type = messaging_operation_type(r.method);
    name = type == "send" ? "publish" : type == "receive" ? "receive" : r.method;
    std::string_view route = s.route.empty() ? std::string_view(r.route) : s.route;
    if (!route.empty() && route != r.method) name.append(" ").append(route);
  } else if (r.protocol == Protocol::Dns) {
    name = "DNS";
    if (!r.method.empty()) name.append(" ").append(r.method);
    if (!r.path.empty()) name.append(" ").append(r.path);
  }
  return name.empty() ? std::string(to_string(r.protocol)) : name;
}

void protocol_attributes(const SpanSource& s, Attributes& a) {
  const Record& r = s.record;
  bool client = r.role == Role::Client;
  if (is_http(r.protocol)) {
    put(a, "http.request.method", r.method);
    put(a, "http.route", s.route.empty() ? std::string_view(r.route) : s.route);
    put(a, "url.path", without_query(r.path));
    if (r.status > 0) put_int(a, "http.response.status_code", r.status);
    put(a, "network.protocol.name", "http");
    put(a, "network.protocol.version", r.protocol == Protocol::Http2 ? "2" : "1.1");
    if (!client) put(a, "server.address", r.host);
    put_int(a, "http.request.size", static_cast<int64_t>(r.req_bytes));
    put_int(a, "http.response.size", static_cast<int64_t>(r.resp_bytes));
  } else if (r.protocol == Protocol::Grpc) {
    put(a, "rpc.system", "grpc");
    std::string_view path = r.path;
    if (path.starts_with('/')) path.remove_prefix(1);
    auto slash = path.find('/');
    put(a, "rpc.service", path.substr(0, slash));
    put(a, "rpc.method", slash == std::string_view::npos ? r.method : path.substr(slash + 1));
    put_int(a, "rpc.grpc.status_code", r.status);
  } else if (auto db = db_system(r.protocol); !db.empty()) {
    put(a, "db.system", db);  // the older name, still what most backends read
    put(a, "db.system.name", db);
    put(a, "db.operation.name", r.method);
    put(a, "db.namespace", r.host);
    // SQL: the normalised statement (literals masked); Redis and Memcached
    // routes are only the command, already the operation name.
    if (r.protocol != Protocol::Redis && r.protocol != Protocol::Memcached)
      put(a, "db.query.text", r.route);
    put(a, "db.response.status_code", r.error_code);
  } else if (auto messaging = messaging_system(r.protocol); !messaging.empty()) {
    put(a, "messaging.system", messaging);
    std::string_view type = messaging_operation_type(r.method);
    put(a, "messaging.operation.type", type);
    put(a, "messaging.operation.name",
        type == "send"      ? "publish"
        : type == "receive" ? "receive"
                            : std::string_view(r.method));
    if (r.protocol == Protocol::Amqp && type == "send") {
      // "exchange/routing key": RabbitMQ's destination is the exchange.
      std::string_view path = r.path;
      size_t slash = path.find('/');
      put(a, "messaging.destination.name", path.substr(0, slash));
      if (slash != std::string_view::npos)
        put(a, "messaging.rabbitmq.destination.routing_key", path.substr(slash + 1));
    } else {
      put(a, "messaging.destination.name", r.path);
    }
    std::string_view route = s.route.empty() ? std::string_view(r.route) : s.route;
    if (route != r.path) put(a, "messaging.destination.template", route);
    uint64_t size = 0;
    if (!type.empty() &&
        std::from_chars(r.detail.data(), r.detail.data() + r.detail.size(), size).ec == std::errc())
      put_int(a, "messaging.message.body.size", static_cast<int64_t>(size));
  } else if (r.protocol == Protocol::Dns) {
    put(a, "dns.question.name", r.path);
    put(a, "dns.question.type", r.method);
  }
  // The peer: who was called (client) or who called (server).
  if (auto hp = store::split_host_port(r.remote_addr)) {
    if (client) {
      if (!is_http(r.protocol) || r.host.empty())
        put(a, "server.address", hp->first);
      else
        put(a, "server.address", r.host);
      put_int(a, "server.port", hp->second);
      put(a, "peer.service", s.service);
    } else {
      put(a, "client.address", hp->first);
      put_int(a, "client.port", hp->second);
    }
    put(a, "network.peer.address", hp->first);
    put_int(a, "network.peer.port", hp->second);
  }
  if (r.tls) put(a, "loupe.tls", "true");
  put(a, "loupe.protocol", to_string(r.protocol));
}

// A client's publish is a PRODUCER span and a delivery to it a CONSUMER
// span; every other exchange is SERVER or CLIENT by role (a broker's own
// side of a publish stays SERVER).
trace::Span::SpanKind span_kind(const Record& r) {
  if (r.role == Role::Server) return trace::Span::SPAN_KIND_SERVER;
  if (!messaging_system(r.protocol).empty()) {
    std::string_view type = messaging_operation_type(r.method);
    if (type == "send") return trace::Span::SPAN_KIND_PRODUCER;
    if (type == "receive") return trace::Span::SPAN_KIND_CONSUMER;
  }
  return trace::Span::SPAN_KIND_CLIENT;
}

}  // namespace

SpanSource SpanSource::from(const store::ObservedRecord& o) {
  return {o.record, o.service.name, std::string(o.caller), std::string(o.route), {}, 0};
}

size_t SpanSource::memory_bytes() const {
  auto heap = [](const std::string& s) { return s.capacity() > 15 ? s.capacity() : 0; };
  return loupe::memory_bytes(record) + sizeof(*this) - sizeof(Record) + heap(service) +
         heap(caller) + heap(route) + heap(trace_id);
}

std::string_view span_service(const SpanSource& s) {
  return s.record.role == Role::Client ? std::string_view(s.caller) : std::string_view(s.service);
}

std::string resource_key(const SpanSource& s) {
  const Record& r = s.record;
  std::string key;
  for (std::string_view part :
       {span_service(s), std::string_view(r.namespace_()), std::string_view(r.pod()),
        std::string_view(r.container()), std::string_view(r.workload()), std::string_view(r.node()),
        std::string_view(r.comm)}) {
    key.append(part);
    key += '\x1f';
  }
  key += std::to_string(r.pid);
  return key;
}

void fill_resource(const SpanSource& s, opentelemetry::proto::resource::v1::Resource& out) {
  const Record& r = s.record;
  Attributes& a = *out.mutable_attributes();
  put(a, "service.name", span_service(s).empty() ? std::string_view(r.comm) : span_service(s));
  put(a, "k8s.namespace.name", r.namespace_());
  put(a, "k8s.pod.name", r.pod());
  put(a, "k8s.container.name", r.container());
  if (auto [key, name] = workload_attribute(r.workload()); !key.empty()) put(a, key, name);
  put(a, "k8s.node.name", r.node());
  if (r.pid) put_int(a, "process.pid", r.pid);
  put(a, "process.executable.name", r.comm);
  put_sdk(a);
}

void fill_span(const SpanSource& s, std::mt19937_64& rng, trace::Span& out) {
  const Record& r = s.record;
  std::string trace_id = hex_to_bytes(s.trace_id, 16);
  if (trace_id.empty()) trace_id = hex_to_bytes(r.trace_id, 16);
  out.set_trace_id(trace_id.empty() ? random_bytes(rng, 16) : std::move(trace_id));
  out.set_span_id(hex_to_bytes(span_id_hex(span_id_of(r)), 8));
  if (s.parent_span_id != 0) out.set_parent_span_id(hex_to_bytes(span_id_hex(s.parent_span_id), 8));
  out.set_name(span_name(s));
  out.set_kind(span_kind(r));
  out.set_start_time_unix_nano(r.start_ns);
  out.set_end_time_unix_nano(r.end_ns > r.start_ns ? r.end_ns : r.start_ns);
  protocol_attributes(s, *out.mutable_attributes());
  if (r.error) {
    out.mutable_status()->set_code(trace::Status::STATUS_CODE_ERROR);
    std::string type = !r.error_code.empty() ? r.error_code
                       : r.status > 0        ? std::to_string(r.status)
                                             : std::string("_OTHER");
    put(*out.mutable_attributes(), "error.type", type);
    out.mutable_status()->set_message(r.error_message.empty() ? type : r.error_message);
  }
}

std::string hex_to_bytes(std::string_view hex, size_t n) {
  if (hex.size() != 2 * n) return {};
  std::string out(n, '\0');
  bool zero = true;
  for (size_t i = 0; i < n; ++i) {
    int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return {};
    out[i] = static_cast<char>(hi << 4 | lo);
    zero = zero && out[i] == 0;
  }
  return zero ? std::string() : out;
}

}  // namespace loupe::exporting::otlp
