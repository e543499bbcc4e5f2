#include "k8s/objects.h"

#include "core/time_format.h"

namespace loupe::k8s {

const nlohmann::json* jget(const nlohmann::json& j, std::initializer_list<std::string_view> path) {
  const nlohmann::json* cur = &j;
  for (auto key : path) {
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(key);
    if (it == cur->end()) return nullptr;
    cur = &*it;
  }
  return cur;
}

std::string jstr(const nlohmann::json& j, std::initializer_list<std::string_view> path) {
  const nlohmann::json* v = jget(j, path);
  return v && v->is_string() ? v->get<std::string>() : "";
}

int64_t jint(const nlohmann::json& j, std::initializer_list<std::string_view> path) {
  const nlohmann::json* v = jget(j, path);
  return v && v->is_number_integer() ? v->get<int64_t>() : 0;
}

uint64_t jtime(const nlohmann::json& j, std::initializer_list<std::string_view> path) {
  std::string s = jstr(j, path);
  if (s.empty()) return 0;
  return loupe::parse_time(s).value_or(0);
}

namespace {

Labels labels_at(const nlohmann::json& j, std::initializer_list<std::string_view> path) {
  Labels out;
  const nlohmann::json* v = jget(j, path);
  if (v && v->is_object()) {
    for (auto it = v->begin(); it != v->end(); ++it) {
      if (it.value().is_string()) out[it.key()] = it.value().get<std::string>();
    }
  }
  return out;
}

void controller_owner(const nlohmann::json& obj, std::string& kind, std::string& name) {
  const nlohmann::json* refs = jget(obj, {"metadata", "ownerReferences"});
  if (!refs || !refs->is_array()) return;
  for (const auto& r : *refs) {
    // The controller reference is the one that matters; fall back to the first.
    bool controller =
        jget(r, {"controller"}) && r["controller"].is_boolean() && r["controller"].get<bool>();
    if (kind.empty() || controller) {
      kind = jstr(r, {"kind"});
      name = jstr(r, {"name"});
    }
    if (controller) return;
  }
}

std::vector<std::string> strings(const nlohmann::json& j, const char* key) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it != j.end() && it->is_array()) {
    for (const auto& v : *it) {
      if (v.is_string()) out.push_back(v.get<std::string>());
    }
  }
  return out;
}

Labels labels_from(const nlohmann::json& j, const char* key) {
  Labels out;
  auto it = j.find(key);
  if (it != j.end() && it->is_object()) {
    for (auto l = it->begin(); l != it->end(); ++l) {
      if (l.value().is_string()) out[l.key()] = l.value().get<std::string>();
    }
  }
  return out;
}

std::string s(const nlohmann::json& j, const char* key) { return jstr(j, {key}); }

}  // namespace

ContainerInfo split_container_id(std::string_view name, std::string_view container_id) {
  ContainerInfo c;
  c.name = std::string(name);
  size_t sep = container_id.find("://");
  if (sep == std::string_view::npos) {
    c.id = std::string(container_id);
    return c;
  }
  c.id = std::string(container_id.substr(sep + 3));
  c.runtime = std::string(container_id.substr(0, sep));
  return c;
}

PodInfo pod_from_api(const nlohmann::json& obj) {
  PodInfo p;
  p.uid = jstr(obj, {"metadata", "uid"});
  p.namespace_ = jstr(obj, {"metadata", "namespace"});
  p.name = jstr(obj, {"metadata", "name"});
  p.node = jstr(obj, {"spec", "nodeName"});
  p.phase = jstr(obj, {"status", "phase"});
  const nlohmann::json* hn = jget(obj, {"spec", "hostNetwork"});
  p.host_network = hn && hn->is_boolean() && hn->get<bool>();
  p.labels = labels_at(obj, {"metadata", "labels"});
  controller_owner(obj, p.owner_kind, p.owner_name);
  if (const nlohmann::json* ips = jget(obj, {"status", "podIPs"}); ips && ips->is_array()) {
    for (const auto& ip : *ips) {
      if (std::string v = jstr(ip, {"ip"}); !v.empty()) p.ips.push_back(v);
    }
  }
  if (std::string ip = jstr(obj, {"status", "podIP"}); !ip.empty() && p.ips.empty()) {
    p.ips.push_back(ip);
  }
  for (const char* list :
       {"initContainerStatuses", "containerStatuses", "ephemeralContainerStatuses"}) {
    const nlohmann::json* cs = jget(obj, {"status", list});
    if (!cs || !cs->is_array()) continue;
    for (const auto& c : *cs) {
      std::string id = jstr(c, {"containerID"});
      if (!id.empty()) p.containers.push_back(split_container_id(jstr(c, {"name"}), id));
    }
  }
  p.start_ns = jtime(obj, {"status", "startTime"});
  if (!p.start_ns) p.start_ns = jtime(obj, {"metadata", "creationTimestamp"});
  return p;
}

ServiceInfo service_from_api(const nlohmann::json& obj) {
  ServiceInfo s;
  s.namespace_ = jstr(obj, {"metadata", "namespace"});
  s.name = jstr(obj, {"metadata", "name"});
  s.type = jstr(obj, {"spec", "type"});
  s.selector = labels_at(obj, {"spec", "selector"});
  if (const nlohmann::json* ips = jget(obj, {"spec", "clusterIPs"}); ips && ips->is_array()) {
    for (const auto& ip : *ips) {
      if (ip.is_string() && ip.get<std::string>() != "None") s.cluster_ips.push_back(ip);
    }
  }
  if (std::string ip = jstr(obj, {"spec", "clusterIP"});
      s.cluster_ips.empty() && !ip.empty() && ip != "None") {
    s.cluster_ips.push_back(ip);
  }
  return s;
}

WorkloadInfo workload_from_api(std::string_view kind, const nlohmann::json& obj) {
  WorkloadInfo w;
  w.kind = std::string(kind);
  w.namespace_ = jstr(obj, {"metadata", "namespace"});
  w.name = jstr(obj, {"metadata", "name"});
  controller_owner(obj, w.owner_kind, w.owner_name);
  return w;
}

NodeInfo node_from_api(const nlohmann::json& obj) {
  NodeInfo n;
  n.name = jstr(obj, {"metadata", "name"});
  if (const nlohmann::json* conds = jget(obj, {"status", "conditions"});
      conds && conds->is_array()) {
    for (const auto& c : *conds) {
      if (jstr(c, {"type"}) == "Ready") n.ready = jstr(c, {"status"}) == "True";
    }
  }
  if (const nlohmann::json* addrs = jget(obj, {"status", "addresses"});
      addrs && addrs->is_array()) {
    for (const auto& a : *addrs) {
      std::string t = jstr(a, {"type"});
      if (t == "InternalIP" || t == "ExternalIP") n.addresses.push_back(jstr(a, {"address"}));
    }
  }
  return n;
}

EndpointSliceInfo endpointslice_from_api(const nlohmann::json& obj) {
  EndpointSliceInfo e;
  e.namespace_ = jstr(obj, {"metadata", "namespace"});
  e.name = jstr(obj, {"metadata", "name"});
  e.service = jstr(obj, {"metadata", "labels", "kubernetes.io/service-name"});
  if (const nlohmann::json* eps = jget(obj, {"endpoints"}); eps && eps->is_array()) {
    for (const auto& ep : *eps) {
      const nlohmann::json* addrs = jget(ep, {"addresses"});
      if (!addrs || !addrs->is_array()) continue;
      for (const auto& a : *addrs) {
        if (a.is_string()) e.addresses.push_back(a.get<std::string>());
      }
    }
  }
  return e;
}

nlohmann::json to_json(const PodInfo& p) {
  nlohmann::json cs = nlohmann::json::array();
  for (const auto& c : p.containers)
    cs.push_back({{"name", c.name}, {"id", c.id}, {"runtime", c.runtime}});
  return {{"uid", p.uid},
          {"namespace", p.namespace_},
          {"name", p.name},
          {"node", p.node},
          {"phase", p.phase},
          {"ips", p.ips},
          {"host_network", p.host_network},
          {"labels", p.labels},
          {"owner_kind", p.owner_kind},
          {"owner_name", p.owner_name},
          {"containers", cs},
          {"start_ns", p.start_ns},
          {"deleted_ns", p.deleted_ns}};
}

nlohmann::json to_json(const ServiceInfo& sv) {
  return {{"namespace", sv.namespace_},
          {"name", sv.name},
          {"type", sv.type},
          {"cluster_ips", sv.cluster_ips},
          {"selector", sv.selector}};
}

nlohmann::json to_json(const WorkloadInfo& w) {
  return {{"kind", w.kind},
          {"namespace", w.namespace_},
          {"name", w.name},
          {"owner_kind", w.owner_kind},
          {"owner_name", w.owner_name}};
}

nlohmann::json to_json(const NodeInfo& n) {
  return {{"name", n.name}, {"ready", n.ready}, {"addresses", n.addresses}};
}

nlohmann::json to_json(const EndpointSliceInfo& e) {
  return {{"namespace", e.namespace_},
          {"name", e.name},
          {"service", e.service},
          {"addresses", e.addresses}};
}

PodInfo pod_from_json(const nlohmann::json& j) {
  PodInfo p;
  p.uid = s(j, "uid");
  p.namespace_ = s(j, "namespace");
  p.name = s(j, "name");
  p.node = s(j, "node");
  p.phase = s(j, "phase");
  p.ips = strings(j, "ips");
  p.host_network = j.value("host_network", false);
  p.labels = labels_from(j, "labels");
  p.owner_kind = s(j, "owner_kind");
  p.owner_name = s(j, "owner_name");
  if (auto it = j.find("containers"); it != j.end() && it->is_array()) {
    for (const auto& c : *it)
      p.containers.push_back({jstr(c, {"name"}), jstr(c, {"id"}), jstr(c, {"runtime"})});
  }
  p.start_ns = j.value("start_ns", uint64_t{0});
  p.deleted_ns = j.value("deleted_ns", uint64_t{0});
  return p;
}

ServiceInfo service_from_json(const nlohmann::json& j) {
  return {s(j, "namespace"), s(j, "name"), s(j, "type"), strings(j, "cluster_ips"),
          labels_from(j, "selector")};
}

WorkloadInfo workload_from_json(const nlohmann::json& j) {
  return {s(j, "kind"), s(j, "namespace"), s(j, "name"), s(j, "owner_kind"), s(j, "owner_name")};
}

NodeInfo node_from_json(const nlohmann::json& j) {
  return {s(j, "name"), j.value("ready", false), strings(j, "addresses")};
}

EndpointSliceInfo endpointslice_from_json(const nlohmann::json& j) {
  return {s(j, "namespace"), s(j, "name"), s(j, "service"), strings(j, "addresses")};
}

}  // namespace loupe::k8s
