#include "store/caller_identity.h"

namespace loupe::store {

void CallerResolver::learn(const Record& r, const ServiceIdentity& server) {
  if (r.role != Role::Server || r.pid == 0 || server.kind != "process") return;
  if (pid_service_.size() > 100000) pid_service_.clear();
  pid_service_[r.pid] = server.name;
}

CallerIdentity CallerResolver::resolve(const Record& r, const ServiceIdentity& callee,
                                       const ServiceResolver& services) const {
  CallerIdentity c;
  if (r.role == Role::Server) {
    if (!r.remote_workload.empty()) {
      c.name = workload_service_name(r.remote_namespace, r.remote_workload);
      c.kind = "workload";
      c.counted = true;
      return c;
    }
    auto peer = split_host_port(r.remote_addr);
    std::string ip = peer ? peer->first : r.remote_addr;
    // A local peer is a traced process whose client record names it.
    if (!ip.empty() && services.is_local_ip(ip)) return c;
    c.name = "external:" + (ip.empty() ? std::string("unknown") : ip);
    c.kind = "external";
    c.counted = true;
    return c;
  }
  if (r.role != Role::Client) return c;
  // Not counted in RED means the callee's server side was seen. For a local
  // process callee that server record skipped the edge (its peer is local),
  // so this record draws it; for Kubernetes callees the server side did.
  c.counted = callee.counted || callee.kind == "process";
  if (!r.workload.empty()) {
    c.name = workload_service_name(r.namespace_, r.workload);
    c.kind = "workload";
  } else if (auto it = pid_service_.find(r.pid); r.pid && it != pid_service_.end()) {
    c.name = it->second;
    c.kind = "process";
  } else {
    c.name = r.comm.empty() ? std::string("unknown") : r.comm;
    c.kind = "process";
  }
  return c;
}

}  // namespace loupe::store
