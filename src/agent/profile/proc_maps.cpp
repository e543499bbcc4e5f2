#include "agent/profile/proc_maps.h"

#include <algorithm>
#include <charconv>

namespace loupe::profile {
namespace {

// Consumes a hexadecimal number from the front of `s`.
bool take_hex(std::string_view& s, uint64_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out, 16);
  if (ec != std::errc() || p == s.data()) return false;
  s.remove_prefix(static_cast<size_t>(p - s.data()));
  return true;
}

bool take_char(std::string_view& s, char c) {
  if (s.empty() || s.front() != c) return false;
  s.remove_prefix(1);
  return true;
}

// The next space-separated field (leading spaces skipped).
std::string_view take_field(std::string_view& s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  size_t n = std::min(s.find(' '), s.size());
  std::string_view f = s.substr(0, n);
  s.remove_prefix(n);
  return f;
}

// "start-end perms offset dev inode   path"
bool parse_line(std::string_view line, Mapping& m, bool& executable) {
  if (!take_hex(line, m.start) || !take_char(line, '-') || !take_hex(line, m.end) ||
      m.end <= m.start)
    return false;
  std::string_view perms = take_field(line);
  if (perms.size() != 4) return false;
  executable = perms[2] == 'x';
  std::string_view offset = take_field(line);
  if (!take_hex(offset, m.offset) || !offset.empty()) return false;
  if (take_field(line).empty()) return false;  // device
  std::string_view inode = take_field(line);
  auto [p, ec] = std::from_chars(inode.data(), inode.data() + inode.size(), m.inode);
  if (ec != std::errc() || p != inode.data() + inode.size()) return false;
  while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
  constexpr std::string_view kDeleted = " (deleted)";
  if (line.size() > kDeleted.size() && line.ends_with(kDeleted)) {
    m.deleted = true;
    line.remove_suffix(kDeleted.size());
  }
  m.path = std::string(line);
  return true;
}

}  // namespace

std::vector<Mapping> parse_proc_maps(std::string_view text, uint64_t* malformed) {
  std::vector<Mapping> out;
  while (!text.empty()) {
    size_t nl = std::min(text.find('\n'), text.size());
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(std::min(nl + 1, text.size()));
    if (line.empty()) continue;
    Mapping m;
    bool executable = false;
    if (!parse_line(line, m, executable)) {
      if (malformed) ++*malformed;
      continue;
    }
    if (executable) out.push_back(std::move(m));
  }
  std::sort(out.begin(), out.end(),
            [](const Mapping& a, const Mapping& b) { return a.start < b.start; });
  return out;
}

const Mapping* find_mapping(const std::vector<Mapping>& maps, uint64_t addr) {
  auto it = std::upper_bound(maps.begin(), maps.end(), addr,
                             [](uint64_t a, const Mapping& m) { return a < m.start; });
  if (it == maps.begin()) return nullptr;
  --it;
  return addr < it->end ? &*it : nullptr;
}

}  // namespace loupe::profile
