// The per-protocol part of `--redact`'s help, from the declarations.
#include <utility>
#include <vector>

#include "protocols/registry.h"

namespace loupe {

std::string redaction_summary(Redaction level) {
  // Protocols masking the same thing share one entry, in registry order.
  std::vector<std::pair<std::string_view, std::string>> entries;  // meaning, names
  for (const auto& m : protocol_modules()) {
    std::string_view meaning =
        level == Redaction::Strict ? m.redaction.strict : m.redaction.default_level;
    if (level == Redaction::Off || meaning.empty()) continue;
    auto it = entries.begin();
    while (it != entries.end() && it->first != meaning) ++it;
    if (it == entries.end()) it = entries.insert(it, {meaning, ""});
    it->second += (it->second.empty() ? "" : ", ") + std::string(to_string(m.protocol));
  }
  std::string out;
  for (const auto& [meaning, names] : entries)
    out += (out.empty() ? "" : "; ") + names + ": " + std::string(meaning);
  return out;
}

}  // namespace loupe
