// The one request record every protocol produces and every sink consumes.
//
// A record is one request/response exchange seen on one side (client or
// server) of one connection. Protocol parsers fill the protocol fields and
// the timing; the agent fills process and address identity; the Kubernetes
// layer fills the pod/workload fields. Sinks (terminal printer, store,
// network exporter) never need to know which protocol produced a record.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

// enum class Protocol: generated from the protocol folders' declarations
// (src/protocols/*/declare.cpp, by cmake/Protocols.cmake), so core names no
// protocol and adding one edits no file here.
#include "core/pod_identity.h"
#include "core/protocol_ids.h"

namespace loupe {

enum class Role : uint8_t { Unknown = 0, Client, Server };

std::string_view to_string(Protocol p);
std::string_view to_string(Role r);
Protocol protocol_from_string(std::string_view s);  // Unknown when not recognised
Role role_from_string(std::string_view s);          // Unknown when not recognised

struct Record {
  // Provided, not defaulted: `Record()` (every parser's `emplace_back()`)
  // would otherwise zero all of its bytes before the member initialisers
  // below set them again (value-initialisation of a class whose default
  // constructor is implicit), a `rep stos` per record on the agent's path.
  // Every member has an initialiser.
  Record() {}

  // --- timing (unix epoch nanoseconds) ---
  // Latency definition (docs/architecture.md):
  //   server role: first byte of request read -> last byte of response written
  //   client role: first byte of request written -> last byte of response read
  uint64_t start_ns = 0;
  uint64_t end_ns = 0;
  uint64_t duration_ns() const { return end_ns > start_ns ? end_ns - start_ns : 0; }

  Protocol protocol = Protocol::Unknown;
  Role role = Role::Unknown;
  bool tls = false;

  // --- process and connection identity (filled by the agent) ---
  uint32_t pid = 0;
  uint32_t tid = 0;  // the thread whose syscall completed the exchange (docs/traces.md)
  std::string comm;
  std::string local_addr;   // "ip:port", IPv6 as "[addr]:port"
  std::string remote_addr;  // "ip:port"

  // --- protocol fields, with one meaning per protocol: what each holds is
  // declared with the protocol (`fields` in protocols/<name>/declare.cpp, served
  // at /api/v1/protocols) ---
  std::string method;
  std::string path;
  std::string route;
  std::string host;  // HTTP Host header; database name where known
  int status = 0;
  bool error = false;      // protocol-level failure (HTTP >= 500, SQL error, -ERR, SERVFAIL...)
  std::string error_code;  // SQLSTATE, MySQL errno, Redis error prefix, DNS rcode name
  std::string error_message;
  std::string detail;
  std::string trace_id;    // W3C traceparent trace id, else empty
  uint64_t req_bytes = 0;  // bytes on the wire, including bodies not captured
  uint64_t resp_bytes = 0;

  // --- Kubernetes identity: each side's shared, immutable identity
  // (core/pod_identity.h), null on a bare host and for peers outside the
  // cluster. Set with intern(); read with the accessors below. ---
  PodIdentityRef local_identity;
  PodIdentityRef remote_identity;

  const PodIdentity& local() const { return local_identity ? *local_identity : kNoPodIdentity; }
  const PodIdentity& remote() const { return remote_identity ? *remote_identity : kNoPodIdentity; }
  const std::string& node() const { return local().node; }
  const std::string& namespace_() const { return local().namespace_; }
  const std::string& pod() const { return local().pod; }
  const std::string& container() const { return local().container; }
  const std::string& workload() const { return local().workload; }  // "Kind/name"
  const std::string& service() const { return local().service; }
  const std::string& remote_namespace() const { return remote().namespace_; }
  const std::string& remote_pod() const { return remote().pod; }
  const std::string& remote_workload() const { return remote().workload; }
  const std::string& remote_service() const { return remote().service; }
};

// What a record holds in memory: the struct plus every string's heap buffer
// (short strings live inside the struct). Not its identities: shared by
// every record of their pods. For byte budgets of queues and
// batches, so a few huge records weigh as much as many small ones.
size_t memory_bytes(const Record& r);

}  // namespace loupe
