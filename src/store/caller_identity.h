// Who made a call, for the service map (/api/v1/map). The callee of an
// exchange is its resolved service (service_identity.h); the caller is:
//   - client-side record: the calling workload ("namespace/Kind/name") when
//     Kubernetes fields are set, else the Loupe service of the calling
//     process when that pid also serves ("api:8000": a middle tier shows as
//     one node, not two), else the process name (`comm`);
//   - server-side record: the client pod's workload when the server's
//     enrichment named it, else "external:<ip>" for a peer that is not on
//     this host.
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
};

class CallerResolver {
 public:
  // Remembers which service a serving pid is (call for every server record).
  void learn(const Record& r, const ServiceIdentity& server);
  CallerIdentity resolve(const Record& r, const ServiceIdentity& callee,
                         const ServiceResolver& services) const;

 private:
  // pid -> its (last seen) server service. Pids are reused, but a reused pid
  // serving again relearns; a bounded map keeps it from growing forever.
  std::unordered_map<uint32_t, std::string> pid_service_;
};

}  // namespace loupe::store
