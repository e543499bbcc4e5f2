#include "cli/build_info.h"

namespace loupe::cli {

std::string version_line() {
  const BuildInfo& b = build_info();
  return "loupe " + b.version + " (commit " + b.git_commit + ", built " + b.build_date + ")";
}

}  // namespace loupe::cli
