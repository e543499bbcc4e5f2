#include "core/secret_file.h"

#include "core/small_file.h"

namespace loupe {

std::optional<std::string> read_secret_file(const std::string& path) {
  std::optional<std::string> secret = read_small_file(path);
  if (!secret) return std::nullopt;
  while (!secret->empty() && (secret->back() == '\n' || secret->back() == '\r')) secret->pop_back();
  return secret;
}

}  // namespace loupe
