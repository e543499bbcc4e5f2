#include "agent/profile/kernel_symbols.h"

#include <algorithm>
#include <charconv>
#include <limits>

namespace loupe::profile {

KernelSymbols KernelSymbols::parse(std::string_view text) {
  KernelSymbols out;
  while (!text.empty()) {
    size_t nl = std::min(text.find('\n'), text.size());
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(std::min(nl + 1, text.size()));
    if (line.empty()) continue;
    // "ffffffff81000000 T _stext" or "ffffffffc0a01000 t fn\t[module]"
    uint64_t addr = 0;
    auto [p, ec] = std::from_chars(line.data(), line.data() + line.size(), addr, 16);
    size_t pos = static_cast<size_t>(p - line.data());
    if (ec != std::errc() || pos + 3 > line.size() || line[pos] != ' ' || line[pos + 2] != ' ') {
      ++out.malformed_;
      continue;
    }
    char type = line[pos + 1];
    std::string_view name = line.substr(pos + 3);
    if (name.empty()) {
      ++out.malformed_;
      continue;
    }
    if (type != 't' && type != 'T' && type != 'w' && type != 'W') continue;  // not code
    if (addr == 0) continue;  // hidden by kptr_restrict
    size_t tab = name.find('\t');
    std::string display(name.substr(0, tab));
    if (tab != std::string_view::npos) display += " " + std::string(name.substr(tab + 1));
    if (out.names_.size() + display.size() > std::numeric_limits<uint32_t>::max()) break;
    out.symbols_.push_back(
        {addr, static_cast<uint32_t>(out.names_.size()), static_cast<uint32_t>(display.size())});
    out.names_ += display;
  }
  std::stable_sort(out.symbols_.begin(), out.symbols_.end(),
                   [](const Symbol& a, const Symbol& b) { return a.addr < b.addr; });
  out.symbols_.shrink_to_fit();
  return out;
}

std::string_view KernelSymbols::lookup(uint64_t addr) const {
  auto it = std::upper_bound(symbols_.begin(), symbols_.end(), addr,
                             [](uint64_t a, const Symbol& s) { return a < s.addr; });
  if (it == symbols_.begin()) return {};
  --it;
  return std::string_view(names_).substr(it->name_offset, it->name_size);
}

}  // namespace loupe::profile
