#include "protocols/http1/trace_context.h"

namespace loupe::http1 {
namespace {

bool is_lower_hex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

bool all_zero(std::string_view s) { return s.find_first_not_of('0') == std::string_view::npos; }

}  // namespace

std::string_view trace_id_from_traceparent(std::string_view v) {
  constexpr size_t kLen = 55;  // 2 + 1 + 32 + 1 + 16 + 1 + 2
  if (v.size() < kLen || v[2] != '-' || v[35] != '-' || v[52] != '-') return {};
  std::string_view version = v.substr(0, 2);
  std::string_view trace_id = v.substr(3, 32);
  std::string_view parent_id = v.substr(36, 16);
  if (!is_lower_hex(version) || version == "ff") return {};
  if (!is_lower_hex(trace_id) || !is_lower_hex(parent_id) || !is_lower_hex(v.substr(53, 2)))
    return {};
  if (all_zero(trace_id) || all_zero(parent_id)) return {};
  if (v.size() > kLen && (version == "00" || v[kLen] != '-')) return {};
  return trace_id;
}

}  // namespace loupe::http1
