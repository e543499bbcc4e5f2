#include "protocols/http1/route_template.h"

#include "core/utf8.h"

namespace loupe::http1 {
namespace {

constexpr std::string_view kId = "{id}";
constexpr size_t kMaxRoute = 1024;
constexpr size_t kMaxWordSegment = 64;  // longer segments are treated as opaque
constexpr size_t kUuidSize = 36;

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

bool all_digits(std::string_view s) {
  for (char c : s)
    if (!is_digit(c)) return false;
  return !s.empty();
}

// 8-4-4-4-12 hex digits.
bool is_uuid(std::string_view s) {
  if (s.size() != kUuidSize) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !is_hex(s[i])) return false;
  }
  return true;
}

// >= 8 hex digits with at least one decimal digit (so words like "deadbeef"
// or "facade" survive, hashes and object ids do not).
bool is_long_hex(std::string_view s) {
  if (s.size() < 8) return false;
  bool digit = false;
  for (char c : s) {
    if (!is_hex(c)) return false;
    digit |= is_digit(c);
  }
  return digit;
}

// Base64/base64url-ish or random tokens: >= 16 chars of [A-Za-z0-9_-+=~]
// mixing letters and digits. '.' is excluded so file names like
// "bootstrap-5.3.2.min.js" are kept.
bool is_opaque_token(std::string_view s) {
  if (s.size() < 16) return false;
  bool digit = false, alpha = false;
  for (char c : s) {
    if (is_digit(c)) {
      digit = true;
    } else if (is_alpha(c)) {
      alpha = true;
    } else if (c != '-' && c != '_' && c != '+' && c != '=' && c != '~') {
      return false;
    }
  }
  return digit && alpha;
}

// Dotted-quad IPv4 address.
bool is_ipv4(std::string_view s) {
  int parts = 0;
  while (true) {
    size_t dot = s.find('.');
    std::string_view part = s.substr(0, dot);
    if (part.size() > 3 || !all_digits(part)) return false;
    ++parts;
    if (dot == std::string_view::npos) break;
    s.remove_prefix(dot + 1);
  }
  return parts == 4;
}

// local@domain.tld (with or without percent-encoding of '@').
bool is_email(std::string_view s) {
  size_t at = s.find('@');
  size_t len = 1;
  if (at == std::string_view::npos) {
    at = s.find("%40");
    len = 3;
  }
  if (at == std::string_view::npos || at == 0) return false;
  std::string_view domain = s.substr(at + len);
  size_t dot = domain.find('.');
  return dot != std::string_view::npos && dot > 0 && dot + 1 < domain.size();
}

// Whether no rule of is_identifier_segment but the UUID's and the length's
// can match `s`: a word (no digit, '@' or '%'). Numbers, hex ids, tokens
// and addresses hold a digit, an e-mail an '@' or "%40". One pass, where
// trying each rule in turn took ~150 instructions for "a" (on every
// request: most segments are words).
bool is_word(std::string_view s) {
  for (char c : s)
    if (is_digit(c) || c == '@' || c == '%') return false;
  return true;
}

// Strips scheme and authority of an absolute-form target
// ("http://host:8080/a" -> "/a").
std::string_view path_part(std::string_view target) {
  if (!target.empty() && target[0] == '/') return target;  // origin-form: most targets
  for (std::string_view scheme : {std::string_view("http://"), std::string_view("https://")}) {
    if (target.size() >= scheme.size() && target.substr(0, scheme.size()) == scheme) {
      target.remove_prefix(scheme.size());
      size_t slash = target.find_first_of("/?#");
      if (slash == std::string_view::npos || target[slash] != '/') return "/";
      return target.substr(slash);
    }
  }
  return target;
}

}  // namespace

bool is_identifier_segment(std::string_view s) {
  if (s.empty()) return false;
  if (s.size() > kMaxWordSegment) return true;
  if (is_word(s)) return is_uuid(s);  // one of hex letters only
  return all_digits(s) || is_uuid(s) || is_long_hex(s) || is_opaque_token(s) || is_ipv4(s) ||
         is_email(s);
}

std::string template_route(std::string_view path) {
  path = path_part(path);
  // Not find_first_of: that calls memchr on "?#" for every byte.
  size_t end = 0;
  while (end < path.size() && path[end] != '?' && path[end] != '#') ++end;
  path = path.substr(0, end);
  // A short path of words ("/", "/api/users": most) is its own route: each
  // of its segments is a word shorter than a UUID, which no rule templates.
  if (path.size() < kUuidSize && is_word(path)) return std::string(path);
  std::string out;
  out.reserve(path.size() < kMaxRoute ? path.size() : kMaxRoute);
  while (!path.empty() && out.size() < kMaxRoute) {
    size_t slash = path.find('/');
    std::string_view seg = path.substr(0, slash);
    out.append(is_identifier_segment(seg) ? kId : seg);
    if (slash == std::string_view::npos) break;
    out.push_back('/');
    path.remove_prefix(slash + 1);
  }
  if (out.size() > kMaxRoute) utf8::truncate(out, kMaxRoute);
  return out;
}

}  // namespace loupe::http1
