#include "protocols/nats/operation.h"

#include <array>
#include <charconv>

namespace loupe::nats {
namespace {

// nats-server's largest max_payload; a larger size is not a NATS line.
constexpr uint64_t kMaxPayload = 64ull << 20;
constexpr size_t kMaxTokens = 7;

struct Spec {
  std::string_view word;  // upper case
  Op op;
};

constexpr std::array<Spec, 12> kOps{{
    {"INFO", Op::Info},
    {"CONNECT", Op::Connect},
    {"PUB", Op::Pub},
    {"HPUB", Op::Hpub},
    {"SUB", Op::Sub},
    {"UNSUB", Op::Unsub},
    {"MSG", Op::Msg},
    {"HMSG", Op::Hmsg},
    {"PING", Op::Ping},
    {"PONG", Op::Pong},
    {"+OK", Op::Ok},
    {"-ERR", Op::Err},
}};

bool equals_upper(std::string_view word, std::string_view upper) {
  if (word.size() != upper.size()) return false;
  for (size_t i = 0; i < word.size(); ++i) {
    char c = word[i];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c != upper[i]) return false;
  }
  return true;
}

bool is_blank(char c) { return c == ' ' || c == '\t'; }

// Blank-separated tokens after the operation name; false when too many.
bool split(std::string_view s, std::array<std::string_view, kMaxTokens>& out, size_t& n) {
  n = 0;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && is_blank(s[i])) ++i;
    if (i == s.size()) break;
    size_t j = i;
    while (j < s.size() && !is_blank(s[j])) ++j;
    if (n == out.size()) return false;
    out[n++] = s.substr(i, j - i);
    i = j;
  }
  return true;
}

std::optional<uint64_t> size(std::string_view s) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v > kMaxPayload) return std::nullopt;
  return v;
}

// The sizes at the end of an HPUB or HMSG line: headers <= total.
std::optional<uint64_t> header_total(std::string_view headers, std::string_view total) {
  auto h = size(headers), t = size(total);
  if (!h || !t || *h > *t) return std::nullopt;
  return t;
}

}  // namespace

bool from_client(Op op) {
  switch (op) {
    case Op::Connect:
    case Op::Pub:
    case Op::Hpub:
    case Op::Sub:
    case Op::Unsub:
    case Op::Ping:
    case Op::Pong:
      return true;
    default:
      return false;
  }
}

std::string_view name(Op op) {
  for (const auto& s : kOps)
    if (s.op == op) return s.word == "-ERR" ? "ERR" : s.word;
  return "";
}

std::optional<Operation> parse_operation(std::string_view line) {
  for (char c : line)
    if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7F) return std::nullopt;
  size_t word_end = 0;
  while (word_end < line.size() && !is_blank(line[word_end])) ++word_end;
  const Spec* spec = nullptr;
  for (const auto& s : kOps)
    if (equals_upper(line.substr(0, word_end), s.word)) spec = &s;
  if (!spec) return std::nullopt;
  Operation o;
  o.op = spec->op;
  std::string_view rest = line.substr(word_end);
  if (o.op == Op::Info || o.op == Op::Connect) {
    // A JSON object follows; its content is not needed (and CONNECT's may
    // hold credentials).
    size_t brace = rest.find_first_not_of(" \t");
    if (brace == std::string_view::npos || rest[brace] != '{') return std::nullopt;
    return o;
  }
  if (o.op == Op::Err) {
    size_t start = rest.find_first_not_of(" \t");
    o.text = start == std::string_view::npos ? std::string_view() : rest.substr(start);
    if (o.text.size() >= 2 && o.text.front() == '\'' && o.text.back() == '\'')
      o.text = o.text.substr(1, o.text.size() - 2);
    return o;
  }
  std::array<std::string_view, kMaxTokens> t;
  size_t n = 0;
  if (!split(rest, t, n)) return std::nullopt;
  std::optional<uint64_t> payload;
  switch (o.op) {
    case Op::Pub:  // PUB <subject> [reply-to] <#bytes>
      if (n != 2 && n != 3) return std::nullopt;
      o.subject = t[0];
      payload = size(t[n - 1]);
      break;
    case Op::Hpub:  // HPUB <subject> [reply-to] <#header bytes> <#total bytes>
      if (n != 3 && n != 4) return std::nullopt;
      o.subject = t[0];
      payload = header_total(t[n - 2], t[n - 1]);
      break;
    case Op::Msg:  // MSG <subject> <sid> [reply-to] <#bytes>
      if (n != 3 && n != 4) return std::nullopt;
      o.subject = t[0];
      o.sid = t[1];
      payload = size(t[n - 1]);
      break;
    case Op::Hmsg:  // HMSG <subject> <sid> [reply-to] <#header bytes> <#total bytes>
      if (n != 4 && n != 5) return std::nullopt;
      o.subject = t[0];
      o.sid = t[1];
      payload = header_total(t[n - 2], t[n - 1]);
      break;
    case Op::Sub:  // SUB <subject> [queue group] <sid>
      if (n != 2 && n != 3) return std::nullopt;
      o.subject = t[0];
      if (n == 3) o.queue = t[1];
      o.sid = t[n - 1];
      return o;
    case Op::Unsub:  // UNSUB <sid> [max_msgs]
      if (n != 1 && n != 2) return std::nullopt;
      o.sid = t[0];
      return o;
    default:  // PING, PONG, +OK
      return n == 0 ? std::optional<Operation>(o) : std::nullopt;
  }
  if (!payload) return std::nullopt;
  o.payload = *payload;
  o.has_payload = true;
  return o;
}

}  // namespace loupe::nats
