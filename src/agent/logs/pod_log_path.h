// Who wrote a kubelet-managed log file, read from its path:
//   /var/log/pods/<namespace>_<pod>_<pod uid>/<container>/<restart>.log
// and the kubelet's rotated names beside it (<restart>.log.<timestamp>, and
// .gz once compressed). Pod names and namespaces cannot contain '_', so the
// split is unambiguous.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace loupe::logs {

struct PodLogPath {
  std::string namespace_;
  std::string pod;
  std::string pod_uid;
  std::string container;
};

std::optional<PodLogPath> parse_pod_log_path(std::string_view path);

}  // namespace loupe::logs
