#include "k8s/cgroup_path.h"

#include <fstream>
#include <sstream>
#include <vector>

namespace loupe::k8s {
namespace {

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool ends_with(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

bool is_hex_id(std::string_view s) {
  // Runtimes use 64 hex digits; accept 12+ so truncated docker ids in tests
  // and older tooling still match, but never a word like "burstable".
  if (s.size() < 12 || s.size() > 128) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool is_uid(std::string_view s) {
  // 8-4-4-4-12, with '-' or '_' (systemd escapes '-' in unit names).
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-' && c != '_') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

std::string dashed(std::string_view uid) {
  std::string out(uid);
  for (char& c : out) {
    if (c == '_') c = '-';
  }
  return out;
}

// Systemd scope prefixes and the runtime each one means. "crio-conmon-" is
// CRI-O's monitor process, not the container, so it is checked first.
struct ScopePrefix {
  std::string_view prefix;
  std::string_view runtime;
};
constexpr ScopePrefix kScopes[] = {
    {"crio-conmon-", ""}, {"cri-containerd-", "containerd"},
    {"crio-", "cri-o"},   {"docker-", "docker"},
    {"libpod-", ""},
};

// "kubepods-burstable-pod<uid>.slice", "kubelet-kubepods-pod<uid>.slice".
void parse_slice(std::string_view seg, ContainerIdentity& id) {
  std::string_view s = seg.substr(0, seg.size() - 6);  // drop ".slice"
  if (starts_with(s, "kubelet-")) s.remove_prefix(8);  // kind / nested kubelet
  if (!starts_with(s, "kubepods")) return;
  s.remove_prefix(8);
  if (starts_with(s, "-burstable")) {
    id.qos = "burstable";
    s.remove_prefix(10);
  } else if (starts_with(s, "-besteffort")) {
    id.qos = "besteffort";
    s.remove_prefix(11);
  }
  if (starts_with(s, "-pod") && is_uid(s.substr(4))) {
    id.pod_uid = dashed(s.substr(4));
    if (id.qos.empty()) id.qos = "guaranteed";  // Guaranteed pods sit directly under kubepods
  }
}

}  // namespace

ContainerIdentity parse_cgroup_path(std::string_view path) {
  ContainerIdentity id;
  std::vector<std::string_view> segs;
  while (!path.empty()) {
    size_t slash = path.find('/');
    std::string_view seg = path.substr(0, slash);
    if (!seg.empty()) segs.push_back(seg);
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  bool in_kubepods = false;  // cgroupfs driver: /kubepods/<qos>/pod<uid>/<id>
  bool in_docker = false;    // plain docker, cgroupfs driver: /docker/<id>
  for (std::string_view seg : segs) {
    if (ends_with(seg, ".slice")) {
      parse_slice(seg, id);
      continue;
    }
    if (ends_with(seg, ".scope")) {
      std::string_view s = seg.substr(0, seg.size() - 6);
      for (const auto& p : kScopes) {
        if (starts_with(s, p.prefix)) {
          if (!p.runtime.empty() && is_hex_id(s.substr(p.prefix.size()))) {
            id.container_id = s.substr(p.prefix.size());
            id.runtime = p.runtime;
          }
          break;
        }
      }
      continue;
    }
    // containerd's cgroupsPath notation under systemd: "<slice>:cri-containerd:<id>".
    if (size_t c1 = seg.find(':'); c1 != std::string_view::npos) {
      size_t c2 = seg.find(':', c1 + 1);
      if (c2 != std::string_view::npos) {
        std::string_view slice = seg.substr(0, c1);
        if (ends_with(slice, ".slice")) parse_slice(slice, id);
        std::string_view prefix = seg.substr(c1 + 1, c2 - c1 - 1);
        std::string_view cid = seg.substr(c2 + 1);
        if (is_hex_id(cid)) {
          id.container_id = cid;
          id.runtime = prefix == "cri-containerd" ? "containerd"
                       : prefix == "crio"         ? "cri-o"
                       : prefix == "docker"       ? "docker"
                                                  : "";
        }
      }
      continue;
    }
    if (seg == "kubepods") {
      in_kubepods = true;
    } else if (seg == "docker") {
      in_docker = true;
    } else if (in_kubepods && (seg == "burstable" || seg == "besteffort")) {
      id.qos = std::string(seg);
    } else if (in_kubepods && starts_with(seg, "pod") && is_uid(seg.substr(3))) {
      id.pod_uid = dashed(seg.substr(3));
      if (id.qos.empty()) id.qos = "guaranteed";
    } else if ((in_kubepods && !id.pod_uid.empty()) || in_docker) {
      // cgroupfs names the container cgroup by bare id; the runtime is not in
      // the path (containerd and dockershim look alike), so the store fills it
      // from the pod's containerID prefix.
      if (is_hex_id(seg) && id.container_id.empty()) {
        id.container_id = seg;
        if (in_docker && !in_kubepods) id.runtime = "docker";
      }
    }
  }
  if (id.pod_uid.empty() && id.container_id.empty()) id.qos.clear();
  return id;
}

ContainerIdentity parse_proc_cgroup(std::string_view contents) {
  ContainerIdentity pod_only;
  while (!contents.empty()) {
    size_t nl = contents.find('\n');
    std::string_view line = contents.substr(0, nl);
    contents.remove_prefix(nl == std::string_view::npos ? contents.size() : nl + 1);
    // "hierarchy-id:controller-list:path"; the path may itself contain ':'.
    size_t c1 = line.find(':');
    if (c1 == std::string_view::npos) continue;
    size_t c2 = line.find(':', c1 + 1);
    if (c2 == std::string_view::npos) continue;
    ContainerIdentity id = parse_cgroup_path(line.substr(c2 + 1));
    if (!id.container_id.empty()) return id;
    if (pod_only.pod_uid.empty() && !id.pod_uid.empty()) pod_only = id;
  }
  return pod_only;
}

std::optional<ContainerIdentity> resolve_pid(uint32_t pid, const std::string& proc_root) {
  std::ifstream in(proc_root + "/" + std::to_string(pid) + "/cgroup");
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_proc_cgroup(ss.str());
}

}  // namespace loupe::k8s
