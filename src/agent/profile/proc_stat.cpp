#include "agent/profile/proc_stat.h"

#include <charconv>

namespace loupe::profile {

std::optional<ProcStat> parse_proc_stat(std::string_view text) {
  size_t open = text.find('(');
  size_t close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open)
    return std::nullopt;
  ProcStat out;
  out.comm = text.substr(open + 1, close - open - 1);
  // Fields after the name, numbered as proc(5) does: 3 is the state.
  std::string_view rest = text.substr(close + 1);
  int field = 2;
  bool start_time = false, vsize = false;
  while (!rest.empty()) {
    size_t at = rest.find_first_not_of(" \n");
    if (at == std::string_view::npos) break;
    rest.remove_prefix(at);
    size_t end = std::min(rest.find_first_of(" \n"), rest.size());
    std::string_view value = rest.substr(0, end);
    rest.remove_prefix(end);
    ++field;
    uint64_t* into = field == 22   ? &out.start_time
                     : field == 23 ? &out.vsize
                     : field == 48 ? &out.arg_start
                                   : nullptr;
    if (!into) continue;
    auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), *into);
    if (ec != std::errc() || p != value.data() + value.size()) return std::nullopt;
    start_time = start_time || field == 22;
    vsize = vsize || field == 23;
    if (field == 48) break;
  }
  if (!start_time || !vsize) return std::nullopt;
  return out;
}

}  // namespace loupe::profile
