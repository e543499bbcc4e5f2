// Which service an exchange belongs to, and whether it counts in RED.
//
// Every exchange is stored (both sides when Loupe sees both), but a request
// between two local processes must be counted once in RED metrics. The rule:
//   - server-role record: the service is the server itself: its Kubernetes
//     workload ("namespace/Kind/name", e.g. "shop/Deployment/api") when the
//     record has one, else its Kubernetes service, else "comm:local_port"
//     (e.g. "nginx:80"). Always counted.
//   - client-role record: the service is the *callee*. If the remote address
//     is a local listener Loupe has seen serving (a known server port on a
//     loopback or local IP, or a Kubernetes workload or service seen
//     serving; the remote workload wins over the remote service), the callee
//     is that service and the record is not counted: the server side already
//     was. Otherwise the callee is external ("external:<host>" when the HTTP
//     Host is known, else "external:<ip>:<port>") and the client record is
//     the only view of it, so it counts.
// The resolver learns servers as records arrive; it is fed every batch
// server-records-first so a client record and the matching server record in
// the same batch dedup correctly.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/record.h"

namespace loupe::store {

// The service of Loupe's own traffic (kind "loupe", see ServiceResolver::mark_self).
inline constexpr std::string_view kSelfService = "loupe";

struct ServiceIdentity {
  std::string name;
  std::string kind;              // "process", "external", "service", "workload" (Kubernetes)
  std::optional<uint16_t> port;  // the listening port, for local servers
  bool counted = true;           // counts in RED aggregation
};

// "ip:port" / "[v6]:port" -> (ip, port); nullopt when malformed.
std::optional<std::pair<std::string, uint16_t>> split_host_port(std::string_view addr);

// "shop/Deployment/api" for a record's workload (the service name of a
// Kubernetes server); empty when the workload is.
std::string workload_service_name(const std::string& namespace_, const std::string& workload);

class ServiceResolver {
 public:
  // A local server seen earlier (e.g. loaded from the store on restart).
  void learn_server(const std::string& name, std::string_view kind, std::optional<uint16_t> port,
                    std::string_view ip);

  // Resolves and, for server-role records, learns the server. Returns true in
  // `*is_new` when this resolution added a service or port not known before
  // (the store persists those).
  ServiceIdentity resolve(const Record& r, bool* is_new = nullptr);

  // Calls to this port on a local IP are to Loupe itself: service "loupe",
  // kind "loupe". Loupe does not trace its own process, so in `loupe run`
  // only the client side is seen; a `loupe server` (process "loupe") traced
  // by a separate agent is the server side of the same service.
  void mark_self(uint16_t port) { self_port_ = port; }

  // Loopback, unspecified, or an IP seen as a server's local address.
  bool is_local_ip(std::string_view ip) const;

 private:
  ServiceIdentity resolve_uncached(const Record& r, bool* is_new);

  // resolve() runs for every stored record, so answers are memoised by the
  // fields that decide them; learning anything new clears the memo because
  // it can turn an "external" callee into a local one.
  std::unordered_map<std::string, ServiceIdentity> memo_;
  std::string memo_key_;  // reused buffer: no allocation per lookup

  std::map<uint16_t, std::string> port_to_service_;   // listening port -> process service
  std::set<std::string> local_ips_;                   // IPs seen as server local addresses
  std::set<std::string> k8s_services_;                // Kubernetes services/workloads seen serving
  std::set<std::pair<std::string, uint16_t>> known_;  // (service, port) already reported
  uint16_t self_port_ = 0;
};

}  // namespace loupe::store
