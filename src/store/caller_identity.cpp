#include "store/caller_identity.h"

namespace loupe::store {

void CallerResolver::learn(const Record& r, const ServiceIdentity& server) {
  if (r.role != Role::Server || r.pid == 0 || server.kind != "process") return;
  if (pid_service_.size() > 100000) pid_service_.clear();
  // Compared first: this runs for every server record, and the name is
  // nearly always the one it already holds.
  std::string& name = pid_service_[r.pid];
  if (name != server.name) name = server.name;
}

CallerIdentity CallerResolver::resolve(const Record& r, const ServiceIdentity& callee,
                                       const ServiceResolver& services,
                                       uint32_t* named_by_pid) const {
  if (named_by_pid) *named_by_pid = 0;
  CallerIdentity c;
  if (r.role == Role::Server) {
    if (!r.remote_workload().empty()) {
      c.name = c.stable_name = workload_service_name(r.remote_namespace(), r.remote_workload());
      c.kind = "workload";
      c.counted = true;
      return c;
    }
    auto peer = split_host_port(r.remote_addr);
    std::string ip = peer ? peer->first : r.remote_addr;
    // A local peer is a traced process whose client record names it (and
    // draws the edge); its name is kept for this record when known.
    if (!ip.empty() && services.is_local_ip(ip)) {
      if (auto it = client_addrs_.find(r.remote_addr); it != client_addrs_.end()) {
        CallerIdentity named;
        client_name(it->second, named);
        if (named_by_pid && it->second.workload.empty()) *named_by_pid = it->second.pid;
        return named;
      }
      return c;
    }
    c.name = c.stable_name = "external:" + (ip.empty() ? std::string("unknown") : ip);
    c.kind = "external";
    c.counted = true;
    return c;
  }
  if (r.role != Role::Client) return c;
  // Not counted in RED means the callee's server side was seen. For a local
  // process callee that server record skipped the edge (its peer is local),
  // so this record draws it; for Kubernetes callees the server side did.
  c.counted = callee.counted || callee.kind == "process";
  client_name({r.pid, r.comm, r.namespace_(), r.workload()}, c);
  if (named_by_pid && r.workload().empty()) *named_by_pid = r.pid;
  return c;
}

bool CallerResolver::learn_client(const Record& r) {
  if (r.role != Role::Client || r.local_addr.empty()) return false;
  bool forgot = client_addrs_.size() > 100000;
  if (forgot) client_addrs_.clear();
  // Compared first, as in learn(): a connection's records all say the same.
  Client& c = client_addrs_[r.local_addr];
  if (c.pid != r.pid || c.comm != r.comm || c.namespace_ != r.namespace_() ||
      c.workload != r.workload())
    c = {r.pid, r.comm, r.namespace_(), r.workload()};
  return forgot;
}

void CallerResolver::client_name(const Client& c, CallerIdentity& out) const {
  out.kind = "process";
  if (!c.workload.empty()) {
    out.kind = "workload";
    out.name = out.stable_name = workload_service_name(c.namespace_, c.workload);
  } else if (auto it = pid_service_.find(c.pid); c.pid && it != pid_service_.end()) {
    out.name = out.stable_name = it->second;
  } else {
    out.stable_name = c.comm.empty() ? std::string("unknown") : c.comm;
    out.name = c.pid ? out.stable_name + " (pid " + std::to_string(c.pid) + ")" : out.stable_name;
  }
}

}  // namespace loupe::store
