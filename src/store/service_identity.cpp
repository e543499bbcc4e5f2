#include "store/service_identity.h"

#include <charconv>

namespace loupe::store {

std::optional<std::pair<std::string, uint16_t>> split_host_port(std::string_view addr) {
  auto colon = addr.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 >= addr.size())
    return std::nullopt;
  std::string_view host = addr.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  unsigned port = 0;
  std::string_view p = addr.substr(colon + 1);
  auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
  if (ec != std::errc{} || ptr != p.data() + p.size() || port > 65535) return std::nullopt;
  return std::make_pair(std::string(host), static_cast<uint16_t>(port));
}

std::string workload_service_name(const std::string& namespace_, const std::string& workload) {
  if (workload.empty()) return {};
  return namespace_.empty() ? workload : namespace_ + "/" + workload;
}

bool ServiceResolver::is_local_ip(std::string_view ip) const {
  if (ip.starts_with("127.") || ip == "::1" || ip == "0.0.0.0" || ip == "::" ||
      ip.starts_with("::ffff:127."))
    return true;
  return local_ips_.count(std::string(ip)) > 0;
}

void ServiceResolver::learn_server(const std::string& name, std::string_view kind,
                                   std::optional<uint16_t> port, std::string_view ip) {
  if (kind == "service" || kind == "workload") k8s_services_.insert(name);
  if (port && kind == "process") port_to_service_.emplace(*port, name);
  if (!ip.empty()) local_ips_.emplace(ip);
  known_.emplace(name, port.value_or(0));
}

ServiceIdentity ServiceResolver::resolve(const Record& r, bool* is_new) {
  // Exactly the fields resolve_uncached reads for this role.
  memo_key_.clear();
  memo_key_.push_back(static_cast<char>(r.role));
  memo_key_.push_back(static_cast<char>(r.protocol));
  const bool client = r.role == Role::Client;
  for (const std::string* f :
       {client ? &r.remote_service() : &r.service(), client ? &r.remote_addr : &r.comm,
        client ? &r.host : &r.local_addr, client ? &r.remote_workload() : &r.workload(),
        client ? &r.remote_namespace() : &r.namespace_()}) {
    memo_key_.append(*f);
    memo_key_.push_back('\x1f');
  }
  if (auto it = memo_.find(memo_key_); it != memo_.end()) {
    if (is_new) *is_new = false;
    return it->second;
  }
  bool added = false;
  ServiceIdentity id = resolve_uncached(r, &added);
  if (is_new) *is_new = added;
  if (added) memo_.clear();
  // Cap the memo: client records to many distinct external peers would
  // otherwise grow it without bound.
  if (memo_.size() > 100000) memo_.clear();
  memo_.emplace(memo_key_, id);
  return id;
}

ServiceIdentity ServiceResolver::resolve_uncached(const Record& r, bool* is_new) {
  *is_new = false;
  ServiceIdentity id;
  if (r.role != Role::Client) {
    // Server role (or unknown, treated as the observed process serving).
    auto local = split_host_port(r.local_addr);
    if (local) id.port = local->second;
    if (self_port_ && id.port == self_port_ && r.comm == "loupe") {
      // A `loupe server` traced by an agent on its host (the agent's own
      // calls are not traced): the ingest and API calls it serves.
      id.name = kSelfService;
      id.kind = "loupe";
    } else if (!r.workload().empty()) {
      // Service names are per namespace and a pod may back several; the
      // workload is the one name both sides of a call agree on.
      id.name = workload_service_name(r.namespace_(), r.workload());
      id.kind = "workload";
    } else if (!r.service().empty()) {
      id.name = r.service();
      id.kind = "service";
    } else {
      id.name = r.comm.empty() ? std::string("unknown") : r.comm;
      if (local) id.name += ":" + std::to_string(local->second);
      id.kind = "process";
    }
    if (r.role == Role::Server) {
      bool added = known_.emplace(id.name, id.port.value_or(0)).second;
      if (added) learn_server(id.name, id.kind, id.port, local ? local->first : "");
      *is_new = added;
    }
    return id;
  }

  // Client role: name the callee.
  if (!r.remote_workload().empty()) {
    id.name = workload_service_name(r.remote_namespace(), r.remote_workload());
    id.kind = "workload";
    id.counted = k8s_services_.count(id.name) == 0;
  } else if (!r.remote_service().empty()) {
    id.name = r.remote_service();
    id.kind = "service";
    id.counted = k8s_services_.count(r.remote_service()) == 0;
  } else {
    auto remote = split_host_port(r.remote_addr);
    bool local = remote && is_local_ip(remote->first);
    if (local && self_port_ && remote->second == self_port_) {
      id.name = kSelfService;
      id.kind = "loupe";
      id.port = self_port_;
    } else if (auto it = local ? port_to_service_.find(remote->second) : port_to_service_.end();
               it != port_to_service_.end()) {
      id.name = it->second;
      id.kind = "process";
      id.port = remote->second;
      id.counted = false;
      return id;
    } else {
      id.kind = "external";
      if (!r.host.empty() && (r.protocol == Protocol::Http1 || r.protocol == Protocol::Http2 ||
                              r.protocol == Protocol::Grpc))
        id.name = "external:" + r.host;
      else
        id.name = "external:" + (r.remote_addr.empty() ? std::string("unknown") : r.remote_addr);
      if (remote) id.port = remote->second;
    }
  }
  if (id.counted) {
    *is_new = known_.emplace(id.name, id.port.value_or(0)).second;
  }
  return id;
}

}  // namespace loupe::store
