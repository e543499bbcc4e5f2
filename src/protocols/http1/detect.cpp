#include "protocols/http1/http1.h"
#include "protocols/http1/start_line.h"

namespace loupe::http1 {
namespace {

// Detection is deliberately looser than the readers' start check for
// responses: "HTTP/1." alone is already distinctive.
Detection response_prefix(std::string_view s) {
  constexpr std::string_view kPrefix = "HTTP/1.";
  if (s.size() < kPrefix.size())
    return kPrefix.substr(0, s.size()) == s ? Detection::NeedMore : Detection::NoMatch;
  return s.substr(0, kPrefix.size()) == kPrefix ? Detection::Match : Detection::NoMatch;
}

Detection either(Detection a, Detection b) {
  if (a == Detection::Match || b == Detection::Match) return Detection::Match;
  if (a == Detection::NeedMore || b == Detection::NeedMore) return Detection::NeedMore;
  return Detection::NoMatch;
}

}  // namespace

Detection detect(std::string_view first_bytes, Direction dir, Role role) {
  // RFC 9112 2.2: empty lines before a request line are ignored by servers.
  size_t blank = first_bytes.find_first_not_of("\r\n");
  if (blank == std::string_view::npos) return Detection::NeedMore;
  if (blank > 0 && (role == Role::Unknown || dir == request_direction(role)))
    return request_start(first_bytes.substr(blank));
  if (role == Role::Unknown)
    return either(request_start(first_bytes), response_prefix(first_bytes));
  return dir == request_direction(role) ? request_start(first_bytes) : response_prefix(first_bytes);
}

}  // namespace loupe::http1
