#include "agent/profile/perf_map.h"

#include <algorithm>
#include <charconv>

namespace loupe::profile {
namespace {

bool parse_hex(std::string_view& line, uint64_t& out) {
  size_t i = line.find_first_not_of(' ');
  if (i == std::string_view::npos) return false;
  line.remove_prefix(i);
  if (line.starts_with("0x") || line.starts_with("0X")) line.remove_prefix(2);
  auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), out, 16);
  if (ec != std::errc() || end == line.data()) return false;
  line.remove_prefix(static_cast<size_t>(end - line.data()));
  return !line.empty() && line.front() == ' ';
}

}  // namespace

PerfMap PerfMap::parse(std::string_view text, uint64_t* malformed, size_t max_entries) {
  struct Line {
    uint64_t start, end;
    std::string_view name;
    size_t order;
  };
  std::vector<Line> lines;
  size_t order = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    uint64_t start = 0, size = 0;
    if (!parse_hex(line, start) || !parse_hex(line, size) || size == 0 ||
        start > UINT64_MAX - size) {
      if (malformed) ++*malformed;
      continue;
    }
    std::string_view name = line.substr(1);
    if (name.empty()) {
      if (malformed) ++*malformed;
      continue;
    }
    lines.push_back({start, start + size, name.substr(0, 1024), order++});
  }
  if (lines.size() > max_entries) lines.erase(lines.begin(), lines.end() - max_entries);
  // Newest first among equal starts: recompiled code replaces what was at
  // its address. Overlapping entries each keep the addresses up to the
  // next one's start.
  std::sort(lines.begin(), lines.end(), [](const Line& a, const Line& b) {
    return a.start != b.start ? a.start < b.start : a.order > b.order;
  });
  PerfMap out;
  for (const Line& l : lines) {
    if (!out.entries_.empty()) {
      Entry& last = out.entries_.back();
      if (l.start == last.start) continue;  // an older line for the same address
      if (l.start < last.end) last.end = l.start;
    }
    out.entries_.push_back({l.start, l.end, static_cast<uint32_t>(out.names_.size()),
                            static_cast<uint32_t>(l.name.size())});
    out.names_.append(l.name);
  }
  return out;
}

std::string_view PerfMap::lookup(uint64_t addr) const {
  auto it = std::upper_bound(entries_.begin(), entries_.end(), addr,
                             [](uint64_t a, const Entry& e) { return a < e.start; });
  if (it == entries_.begin()) return {};
  --it;
  if (addr >= it->end) return {};
  return std::string_view(names_).substr(it->name_offset, it->name_size);
}

}  // namespace loupe::profile
