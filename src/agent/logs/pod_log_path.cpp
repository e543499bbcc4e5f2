#include "agent/logs/pod_log_path.h"

namespace loupe::logs {

std::optional<PodLogPath> parse_pod_log_path(std::string_view path) {
  // .../<ns>_<pod>_<uid>/<container>/<file>
  size_t file_slash = path.rfind('/');
  if (file_slash == std::string_view::npos || file_slash == 0) return std::nullopt;
  std::string_view file = path.substr(file_slash + 1);
  if (file.find(".log") == std::string_view::npos) return std::nullopt;
  size_t container_slash = path.rfind('/', file_slash - 1);
  if (container_slash == std::string_view::npos || container_slash == 0) return std::nullopt;
  std::string_view container = path.substr(container_slash + 1, file_slash - container_slash - 1);
  size_t pod_slash = path.rfind('/', container_slash - 1);
  std::string_view pod_dir =
      path.substr(pod_slash == std::string_view::npos ? 0 : pod_slash + 1,
                  container_slash - (pod_slash == std::string_view::npos ? 0 : pod_slash + 1));
  size_t first = pod_dir.find('_');
  size_t last = pod_dir.rfind('_');
  if (container.empty() || first == std::string_view::npos || first == 0 || last == first ||
      last + 1 == pod_dir.size() || last == first + 1) {
    return std::nullopt;
  }
  return PodLogPath{std::string(pod_dir.substr(0, first)),
                    std::string(pod_dir.substr(first + 1, last - first - 1)),
                    std::string(pod_dir.substr(last + 1)), std::string(container)};
}

}  // namespace loupe::logs
