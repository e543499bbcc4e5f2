#include "store/clickhouse/answer.h"

#include <charconv>

#include "store/clickhouse/error.h"

namespace loupe::store::clickhouse {
namespace {

[[noreturn]] void bad_answer(const std::string& what) {
  throw Error(Error::Kind::BadAnswer, "ClickHouse sent an answer Loupe cannot read: " + what);
}

char unescape(char c) {
  switch (c) {
    case 't':
      return '\t';
    case 'n':
      return '\n';
    case '0':
      return '\0';
    case 'b':
      return '\b';
    case 'f':
      return '\f';
    case 'r':
      return '\r';
    default:  // '\\', '\'' and anything else stand for themselves
      return c;
  }
}

}  // namespace

std::string one_line(std::string_view s, size_t max_bytes) {
  s = s.substr(0, s.find('\n'));
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r' || s.back() == '.')) s.remove_suffix(1);
  std::string out(s.substr(0, max_bytes));
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  if (s.size() > max_bytes) out += "...";
  return out;
}

std::vector<TsvRow> parse_tsv(std::string_view body, size_t columns) {
  std::vector<TsvRow> rows;
  TsvRow row;
  std::string field;
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c == '\\') {
      if (i + 1 == body.size()) bad_answer("a TabSeparated escape at the end");
      field += unescape(body[++i]);
    } else if (c == '\t') {
      row.push_back(std::move(field));
      field.clear();
    } else if (c == '\n') {
      row.push_back(std::move(field));
      field.clear();
      size_t want = columns ? columns : (rows.empty() ? row.size() : rows.front().size());
      if (row.size() != want)
        bad_answer("a row of " + std::to_string(row.size()) + " fields where " +
                   std::to_string(want) + " were expected");
      rows.push_back(std::move(row));
      row.clear();
    } else {
      field += c;
    }
  }
  if (!field.empty() || !row.empty()) bad_answer("a TabSeparated row without its final newline");
  return rows;
}

namespace {

// The whole field as one number of type T (from_chars reads ClickHouse's
// integers, and its floats including inf and nan, as it writes them).
template <typename T>
T parse_number(std::string_view field) {
  T v{};
  auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), v);
  if (ec != std::errc() || end != field.data() + field.size() || field.empty())
    bad_answer("'" + one_line(field, 32) + "' where a number was expected");
  return v;
}

}  // namespace

uint64_t parse_uint(std::string_view field) { return parse_number<uint64_t>(field); }
int64_t parse_int(std::string_view field) { return parse_number<int64_t>(field); }
double parse_double(std::string_view field) { return parse_number<double>(field); }

ServerException parse_exception(std::string_view body) {
  ServerException e;
  size_t code_at = body.find("Code: ");
  if (code_at != std::string_view::npos) {
    const char* begin = body.data() + code_at + 6;
    const char* end = body.data() + body.size();
    int code = 0;
    auto [p, ec] = std::from_chars(begin, end, code);
    if (ec == std::errc() && code > 0) e.code = code;
  }
  constexpr std::string_view kPrefix = "DB::Exception: ";
  size_t at = body.find(kPrefix);
  if (at == std::string_view::npos) {
    // Not an exception (another server, or ClickHouse's native port telling
    // HTTP clients where to go): its text, lines joined.
    std::string flat(body.substr(0, kMaxMessageBytes + 1));
    for (char& c : flat)
      if (c == '\n' || c == '\r') c = ' ';
    e.message = one_line(flat, kMaxMessageBytes);
    if (e.message.empty()) e.message = "(no message)";
    return e;
  }
  std::string_view message = body.substr(at + kPrefix.size());
  message = message.substr(0, message.find('\n'));
  // 18.x appends ", e.what() = DB::Exception"; current releases
  // ". (UNKNOWN_DATABASE) (version 23.8.1)".
  size_t what = message.rfind(", e.what() = ");
  if (what != std::string_view::npos) message = message.substr(0, what);
  size_t version = message.rfind(" (version ");
  if (version != std::string_view::npos) message = message.substr(0, version);
  if (message.ends_with(")")) {
    size_t open = message.rfind(". (");
    if (open != std::string_view::npos) message = message.substr(0, open);
  }
  e.message = one_line(message, kMaxMessageBytes);
  if (e.message.empty()) e.message = "(no message)";
  return e;
}

std::optional<Version> parse_version(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  int parts[3] = {0, 0, 0};
  const char* p = text.data();
  const char* end = text.data() + text.size();
  for (int i = 0; i < 3; ++i) {
    auto [next, ec] = std::from_chars(p, end, parts[i]);
    if (ec != std::errc() || parts[i] < 0) return std::nullopt;
    p = next;
    if (i < 2) {
      if (p == end || *p != '.') return std::nullopt;
      ++p;
    }
  }
  // A fourth component (build number) and nothing else may follow.
  if (p != end) {
    if (*p != '.') return std::nullopt;
    ++p;
    if (p == end) return std::nullopt;
    for (; p != end; ++p)
      if (*p < '0' || *p > '9') return std::nullopt;
  }
  return Version{parts[0], parts[1], parts[2]};
}

std::string Version::to_string() const {
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

}  // namespace loupe::store::clickhouse
