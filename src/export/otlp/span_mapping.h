// One record as one OTLP span, per the OpenTelemetry semantic conventions
// (docs/export.md lists every attribute):
//   - server records are SERVER spans, client records CLIENT spans;
//   - HTTP: http.request.method, http.route, url.path, http.response.status_code,
//     server.address/port (client), client.address (server);
//   - PostgreSQL, MySQL, Redis: db.system / db.system.name, db.operation.name,
//     db.query.text (the normalised statement, never the literal values),
//     db.namespace, db.response.status_code;
//   - DNS: dns.question.name; gRPC: rpc.system, rpc.service, rpc.method,
//     rpc.grpc.status_code;
//   - failures: span status ERROR and error.type.
// The resource says who did the work: service.name (the server for server
// spans, the caller for client spans: the names /api/v1 uses), the
// Kubernetes names (k8s.namespace.name, k8s.pod.name, k8s.deployment.name...,
// k8s.node.name) and the process (process.pid, process.executable.name).
#pragma once

#include <cstdint>
#include <random>
#include <string>

#include "core/record.h"
#include "opentelemetry/proto/resource/v1/resource.pb.h"
#include "opentelemetry/proto/trace/v1/trace.pb.h"
#include "store/record_observer.h"

namespace loupe::exporting::otlp {

// What the exporter keeps of an observed record until it is sent: the
// record and the names the store gave it.
struct SpanSource {
  Record record;
  std::string service;  // the server's name (callee for client records)
  std::string caller;
  std::string route;  // after the per-service route cap
  // Set by the linker (span_linker.h): the trace's id in 32 hex digits,
  // as /api/v1/traces names it, and the parent's span id (0: a root).
  std::string trace_id;
  uint64_t parent_span_id = 0;

  static SpanSource from(const store::ObservedRecord& o);
  size_t memory_bytes() const;
};

// Identifies the resource of a span: spans with equal keys share one
// ResourceSpans entry of a request.
std::string resource_key(const SpanSource& s);
void fill_resource(const SpanSource& s, opentelemetry::proto::resource::v1::Resource& out);

// The span of `s`. Its span id is the record's (core/span_id.h), as in
// /api/v1/traces; the trace id is the linked one, else the record's
// traceparent trace id, else a fresh random one from `rng`.
void fill_span(const SpanSource& s, std::mt19937_64& rng,
               opentelemetry::proto::trace::v1::Span& out);

// "4bf92f3577b34da6a3ce929d0e0e4736" -> its 16 bytes; empty when `hex` is
// not 2*n hex digits or all zero (an invalid W3C id).
std::string hex_to_bytes(std::string_view hex, size_t n);

}  // namespace loupe::exporting::otlp
