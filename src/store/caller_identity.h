// Who made a call, for the service map (/api/v1/map). The callee of an
// exchange is its resolved service (service_identity.h); the caller is:
//   - client-side record: the calling workload ("namespace/Kind/name") when
//     Kubernetes fields are set, else the Loupe service of the calling
//     process when that pid also serves ("api:8000": a middle tier shows as
//     one node, not two), else the process with its pid ("python3 (pid
//     812)": two unrelated programs of one name are two callers);
//   - server-side record: the client pod's workload when the server's
//     enrichment named it, else "external:<ip>" for a peer that is not on
//     this host.
// A server-side record whose peer is a local process gets that process's
// name too (learnt from its client records, by the client's address), for
// the request explorer; its edge is still drawn from the client side.
// Each exchange is drawn once, like RED counting: the server side when it
// names the caller (external clients, or Kubernetes peers), else the client
// side, which is the only view that knows the calling process. A server
// record whose peer is local is therefore not drawn (its client record is),
// and a client record whose callee's server side is seen and named the
// caller is not drawn either.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include "core/record.h"
#include "store/service_identity.h"

namespace loupe::store {

struct CallerIdentity {
  std::string name;
  std::string kind;      // "process", "workload", "external"
  bool counted = false;  // draw this exchange's edge from this record
  // `name` without a pid ("python3"), for label sets that must stay bounded
  // as processes come and go (the Prometheus export); else the same.
  std::string stable_name;
};

class CallerResolver {
 public:
  // Remembers which service a serving pid is (call for every server record).
  void learn(const Record& r, const ServiceIdentity& server);
  // Remembers which process a client connection's local address belongs
  // to (call for every client record, before the batch's server records),
  // so the server copy of a local call can name its caller too. True when
  // it forgot every address learnt before (past its bound): a caller that
  // skips records it saw learnt must learn them again.
  bool learn_client(const Record& r);
  // `*named_by_pid` (when given): the pid whose service, or lack of one,
  // named the caller (0: none did), for callers that keep the answer while
  // service_of(that pid) stays the same.
  CallerIdentity resolve(const Record& r, const ServiceIdentity& callee,
                         const ServiceResolver& services, uint32_t* named_by_pid = nullptr) const;
  // The service `pid` was last seen serving, or null.
  const std::string* service_of(uint32_t pid) const {
    auto it = pid_service_.find(pid);
    return it == pid_service_.end() ? nullptr : &it->second;
  }

 private:
  struct Client {
    uint32_t pid = 0;
    std::string comm, namespace_, workload;
  };
  // Names the caller (name, stable_name, kind) from a client-side view of it.
  void client_name(const Client& c, CallerIdentity& out) const;

  // pid -> its (last seen) server service. Pids are reused, but a reused pid
  // serving again relearns; a bounded map keeps it from growing forever.
  std::unordered_map<uint32_t, std::string> pid_service_;
  // client "ip:port" -> the process that used it last (bounded likewise).
  std::unordered_map<std::string, Client> client_addrs_;
};

}  // namespace loupe::store
