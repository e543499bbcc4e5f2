// What `loupe --version` reports: set when CMake configures the build
// (cmake/BuildInfo.cmake).
#pragma once

#include <string>

namespace loupe::cli {

struct BuildInfo {
  std::string version;     // the project version, e.g. 0.1.0
  std::string git_commit;  // short commit hash, or "unknown" outside git
  std::string build_date;  // UTC, ISO 8601 (SOURCE_DATE_EPOCH when set)
};

const BuildInfo& build_info();

// "loupe 0.1.0 (commit 0123456789ab, built 2026-01-02T03:04:05Z)"
std::string version_line();

}  // namespace loupe::cli
