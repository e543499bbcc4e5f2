#include "k8s/objects.h"

#include <algorithm>

#include "core/time_format.h"
#include "k8s/quantity.h"

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

std::optional<double> quantity_at(const nlohmann::json& j,
                                  std::initializer_list<std::string_view> path) {
  const nlohmann::json* v = jget(j, path);
  if (v && v->is_string()) return parse_quantity(v->get<std::string>());
  if (v && v->is_number()) return v->get<double>();
  return std::nullopt;
}

ResourceAmounts amounts_at(const nlohmann::json& j, const char* which) {
  return {quantity_at(j, {"resources", which, "cpu"}),
          quantity_at(j, {"resources", which, "memory"})};
}

// The kubelet's view of one container (an item of status.*ContainerStatuses).
void read_container_status(const nlohmann::json& cs, ContainerInfo& c) {
  ContainerInfo ids = split_container_id(c.name, jstr(cs, {"containerID"}));
  c.id = ids.id;
  c.runtime = ids.runtime;
  if (std::string image = jstr(cs, {"image"}); !image.empty()) c.image = image;
  c.ready = jget(cs, {"ready"}) && cs["ready"].is_boolean() && cs["ready"].get<bool>();
  c.restarts = jint(cs, {"restartCount"});
  for (const char* state : {"running", "waiting", "terminated"}) {
    const nlohmann::json* st = jget(cs, {"state", state});
    if (!st || !st->is_object()) continue;
    c.state = state;
    c.state_reason = jstr(*st, {"reason"});
    c.started_ns = jtime(*st, {"startedAt"});
    c.finished_ns = jtime(*st, {"finishedAt"});
    break;
  }
  if (const nlohmann::json* t = jget(cs, {"lastState", "terminated"}); t && t->is_object())
    c.last_termination =
        Termination{jstr(*t, {"reason"}), jint(*t, {"exitCode"}), jtime(*t, {"finishedAt"})};
}

// Containers as the spec declares them (image, resources), then what the
// status says about each; status entries the spec does not name (ephemeral
// debug containers) are appended.
void read_containers(const nlohmann::json& pod, std::vector<ContainerInfo>& out) {
  for (const char* list : {"initContainers", "containers"}) {
    const nlohmann::json* spec = jget(pod, {"spec", list});
    if (!spec || !spec->is_array()) continue;
    for (const auto& c : *spec) {
      ContainerInfo ci;
      ci.name = jstr(c, {"name"});
      if (ci.name.empty()) continue;
      ci.image = jstr(c, {"image"});
      ci.init = std::string_view(list) == "initContainers";
      ci.requests = amounts_at(c, "requests");
      ci.limits = amounts_at(c, "limits");
      out.push_back(std::move(ci));
    }
  }
  for (const char* list :
       {"initContainerStatuses", "containerStatuses", "ephemeralContainerStatuses"}) {
    const nlohmann::json* statuses = jget(pod, {"status", list});
    if (!statuses || !statuses->is_array()) continue;
    for (const auto& cs : *statuses) {
      std::string name = jstr(cs, {"name"});
      if (name.empty()) continue;
      auto it = std::find_if(out.begin(), out.end(),
                             [&](const ContainerInfo& c) { return c.name == name; });
      if (it == out.end()) {
        out.push_back({});
        it = std::prev(out.end());
        it->name = name;
      }
      read_container_status(cs, *it);
    }
  }
}

nlohmann::json optional_number(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

std::optional<double> optional_from(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

nlohmann::json to_json(const ResourceAmounts& r) {
  return {{"cpu_cores", optional_number(r.cpu_cores)},
          {"memory_bytes", optional_number(r.memory_bytes)}};
}

ResourceAmounts amounts_from_json(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_object()) return {};
  return {optional_from(*it, "cpu_cores"), optional_from(*it, "memory_bytes")};
}

nlohmann::json to_json(const NodeResources& r) {
  return {{"cpu_cores", optional_number(r.cpu_cores)},
          {"memory_bytes", optional_number(r.memory_bytes)},
          {"pods", optional_number(r.pods)}};
}

NodeResources node_resources_at(const nlohmann::json& node, const char* which) {
  return {quantity_at(node, {"status", which, "cpu"}),
          quantity_at(node, {"status", which, "memory"}),
          quantity_at(node, {"status", which, "pods"})};
}

NodeResources node_resources_from_json(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_object()) return {};
  return {optional_from(*it, "cpu_cores"), optional_from(*it, "memory_bytes"),
          optional_from(*it, "pods")};
}

ContainerInfo container_from_json(const nlohmann::json& c) {
  ContainerInfo ci;
  ci.name = s(c, "name");
  ci.id = s(c, "id");
  ci.runtime = s(c, "runtime");
  ci.image = s(c, "image");
  ci.init = c.value("init", false);
  ci.state = s(c, "state");
  ci.state_reason = s(c, "state_reason");
  ci.ready = c.value("ready", false);
  ci.restarts = jint(c, {"restarts"});
  ci.started_ns = c.value("started_ns", uint64_t{0});
  ci.finished_ns = c.value("finished_ns", uint64_t{0});
  if (auto t = c.find("last_termination"); t != c.end() && t->is_object())
    ci.last_termination =
        Termination{s(*t, "reason"), jint(*t, {"exit_code"}), t->value("finished_ns", uint64_t{0})};
  ci.requests = amounts_from_json(c, "requests");
  ci.limits = amounts_from_json(c, "limits");
  return ci;
}

// Images of a pod template (spec.template.spec, or a CronJob's jobTemplate).
std::vector<std::string> template_images(const nlohmann::json& obj) {
  std::vector<std::string> out;
  const nlohmann::json* spec = jget(obj, {"spec", "template", "spec"});
  if (!spec) spec = jget(obj, {"spec", "jobTemplate", "spec", "template", "spec"});
  if (!spec) return out;
  for (const char* list : {"initContainers", "containers"}) {
    const nlohmann::json* cs = jget(*spec, {list});
    if (!cs || !cs->is_array()) continue;
    for (const auto& c : *cs)
      if (std::string image = jstr(c, {"image"}); !image.empty()) out.push_back(image);
  }
  return out;
}

// Desired and ready replicas as each controller reports them.
void replica_counts(const nlohmann::json& obj, WorkloadInfo& w) {
  auto number = [&](std::initializer_list<std::string_view> path, int64_t fallback) {
    const nlohmann::json* v = jget(obj, path);
    return v && v->is_number_integer() ? v->get<int64_t>() : fallback;
  };
  if (w.kind == "Deployment" || w.kind == "StatefulSet" || w.kind == "ReplicaSet") {
    w.desired = number({"spec", "replicas"}, 1);  // the API's default
    w.ready = number({"status", "readyReplicas"}, 0);
  } else if (w.kind == "DaemonSet") {
    w.desired = number({"status", "desiredNumberScheduled"}, 0);
    w.ready = number({"status", "numberReady"}, 0);
  } else if (w.kind == "Job") {
    w.desired = number({"spec", "parallelism"}, 1);
    w.ready = number({"status", "ready"}, number({"status", "active"}, 0));
  }
}

}  // namespace

nlohmann::json to_json(const ContainerInfo& c) {
  nlohmann::json last = nullptr;
  if (c.last_termination)
    last = {{"reason", c.last_termination->reason},
            {"exit_code", c.last_termination->exit_code},
            {"finished_ns", c.last_termination->finished_ns}};
  return {{"name", c.name},
          {"id", c.id},
          {"runtime", c.runtime},
          {"image", c.image},
          {"init", c.init},
          {"state", c.state},
          {"state_reason", c.state_reason},
          {"ready", c.ready},
          {"restarts", c.restarts},
          {"started_ns", c.started_ns},
          {"finished_ns", c.finished_ns},
          {"last_termination", last},
          {"requests", to_json(c.requests)},
          {"limits", to_json(c.limits)}};
}

uint64_t PodInfo::stopped_ns() const {
  uint64_t last = 0;
  for (const auto& c : containers) {
    if (c.init) continue;
    if (c.state != "terminated" || !c.finished_ns) return 0;
    last = std::max(last, c.finished_ns);
  }
  return last;
}

int64_t PodInfo::restarts() const {
  int64_t n = 0;
  for (const auto& c : containers) n += c.restarts;
  return n;
}

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
  read_containers(obj, p.containers);
  if (const nlohmann::json* conds = jget(obj, {"status", "conditions"});
      conds && conds->is_array()) {
    for (const auto& c : *conds)
      if (jstr(c, {"type"}) == "Ready") p.ready = jstr(c, {"status"}) == "True";
  }
  p.qos_class = jstr(obj, {"status", "qosClass"});
  p.reason = jstr(obj, {"status", "reason"});
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
  replica_counts(obj, w);
  w.images = template_images(obj);
  return w;
}

NodeInfo node_from_api(const nlohmann::json& obj) {
  NodeInfo n;
  n.name = jstr(obj, {"metadata", "name"});
  if (const nlohmann::json* conds = jget(obj, {"status", "conditions"});
      conds && conds->is_array()) {
    for (const auto& c : *conds) {
      NodeCondition nc{jstr(c, {"type"}), jstr(c, {"status"}), jstr(c, {"reason"}),
                       jstr(c, {"message"}), jtime(c, {"lastTransitionTime"})};
      if (nc.type.empty()) continue;
      if (nc.type == "Ready") n.ready = nc.status == "True";
      n.conditions.push_back(std::move(nc));
    }
  }
  n.capacity = node_resources_at(obj, "capacity");
  n.allocatable = node_resources_at(obj, "allocatable");
  n.kernel_version = jstr(obj, {"status", "nodeInfo", "kernelVersion"});
  n.kubelet_version = jstr(obj, {"status", "nodeInfo", "kubeletVersion"});
  n.os_image = jstr(obj, {"status", "nodeInfo", "osImage"});
  n.container_runtime = jstr(obj, {"status", "nodeInfo", "containerRuntimeVersion"});
  const nlohmann::json* unsched = jget(obj, {"spec", "unschedulable"});
  n.unschedulable = unsched && unsched->is_boolean() && unsched->get<bool>();
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
  for (const auto& c : p.containers) cs.push_back(to_json(c));
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
          {"deleted_ns", p.deleted_ns},
          {"ready", p.ready},
          {"qos_class", p.qos_class},
          {"reason", p.reason}};
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
          {"owner_name", w.owner_name},
          {"desired", w.desired},
          {"ready", w.ready},
          {"images", w.images}};
}

nlohmann::json to_json(const NodeInfo& n) {
  nlohmann::json conds = nlohmann::json::array();
  for (const auto& c : n.conditions)
    conds.push_back({{"type", c.type},
                     {"status", c.status},
                     {"reason", c.reason},
                     {"message", c.message},
                     {"since_ns", c.since_ns}});
  return {{"name", n.name},
          {"ready", n.ready},
          {"addresses", n.addresses},
          {"conditions", conds},
          {"capacity", to_json(n.capacity)},
          {"allocatable", to_json(n.allocatable)},
          {"kernel_version", n.kernel_version},
          {"kubelet_version", n.kubelet_version},
          {"os_image", n.os_image},
          {"container_runtime", n.container_runtime},
          {"unschedulable", n.unschedulable}};
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
      if (c.is_object()) p.containers.push_back(container_from_json(c));
  }
  p.start_ns = j.value("start_ns", uint64_t{0});
  p.deleted_ns = j.value("deleted_ns", uint64_t{0});
  p.ready = j.value("ready", false);
  p.qos_class = s(j, "qos_class");
  p.reason = s(j, "reason");
  return p;
}

ServiceInfo service_from_json(const nlohmann::json& j) {
  return {s(j, "namespace"), s(j, "name"), s(j, "type"), strings(j, "cluster_ips"),
          labels_from(j, "selector")};
}

WorkloadInfo workload_from_json(const nlohmann::json& j) {
  return {s(j, "kind"),
          s(j, "namespace"),
          s(j, "name"),
          s(j, "owner_kind"),
          s(j, "owner_name"),
          j.value("desired", int64_t{-1}),
          j.value("ready", int64_t{-1}),
          strings(j, "images")};
}

NodeInfo node_from_json(const nlohmann::json& j) {
  NodeInfo n;
  n.name = s(j, "name");
  n.ready = j.value("ready", false);
  n.addresses = strings(j, "addresses");
  if (auto it = j.find("conditions"); it != j.end() && it->is_array()) {
    for (const auto& c : *it)
      if (c.is_object())
        n.conditions.push_back({s(c, "type"), s(c, "status"), s(c, "reason"), s(c, "message"),
                                c.value("since_ns", uint64_t{0})});
  }
  n.capacity = node_resources_from_json(j, "capacity");
  n.allocatable = node_resources_from_json(j, "allocatable");
  n.kernel_version = s(j, "kernel_version");
  n.kubelet_version = s(j, "kubelet_version");
  n.os_image = s(j, "os_image");
  n.container_runtime = s(j, "container_runtime");
  n.unschedulable = j.value("unschedulable", false);
  return n;
}

EndpointSliceInfo endpointslice_from_json(const nlohmann::json& j) {
  return {s(j, "namespace"), s(j, "name"), s(j, "service"), strings(j, "addresses")};
}

}  // namespace loupe::k8s
