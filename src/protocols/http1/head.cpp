#include "protocols/http1/head.h"

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "protocols/http1/start_line.h"

namespace loupe::http1 {
namespace {

bool is_whitespace(char c) { return c == ' ' || c == '\t'; }

// A loop, not find_first_not_of: that calls memchr once per character, on
// every field of every head. Inline: the call was a third of it.
[[gnu::always_inline]] inline std::string_view trim(std::string_view s) {
  while (!s.empty() && is_whitespace(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_whitespace(s.back())) s.remove_suffix(1);
  return s;
}

// Where the first `c` is in the `n` bytes at `s`, or `n`: eight bytes at a
// time (a byte loop took ~5 instructions a byte, a memchr call more than
// the search in a few bytes).
size_t find_byte(const char* s, size_t n, char c) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHighs = 0x8080808080808080ULL;
  const uint64_t pattern = kOnes * static_cast<unsigned char>(c);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t word = 0;
    std::memcpy(&word, s + i, 8);
    word ^= pattern;  // a zero byte where `c` is
    // The lowest zero byte's high bit is set exactly (bits above it may
    // be set falsely, never below); little-endian: the lowest is first.
    const uint64_t zeros = (word - kOnes) & ~word & kHighs;
    if constexpr (std::endian::native == std::endian::little) {
      if (zeros != 0) return i + static_cast<size_t>(std::countr_zero(zeros)) / 8;
    } else if (zeros != 0) {
      break;  // found in this word: the byte loop below says where
    }
  }
  while (i < n && s[i] != c) ++i;
  return i;
}

// The first LF in [p, end), or nullptr; `begin` is where the buffer
// starts. 16 bytes a compare inline where SSE2 is (every x86-64): a head's
// lines are 20-40 bytes, for which a memchr call per line cost more than
// its search. Fewer than 16 bytes left are read as the buffer's last 16
// (not past its end), the bytes before `p` shifted out: a memchr call for
// the last line of every segment was ~35 instructions a head. Only a
// buffer shorter than 16 bytes goes to memchr.
[[gnu::always_inline]] inline const char* find_line_end(const char* begin, const char* p,
                                                        const char* end) {
#if defined(__SSE2__)
  constexpr ptrdiff_t kBlock = 16;
  const __m128i lf = _mm_set1_epi8('\n');
  auto lfs_in = [&](const char* block) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block));
    return static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(bytes, lf)));
  };
  for (; end - p >= kBlock; p += kBlock) {
    const unsigned found = lfs_in(p);
    if (found != 0) return p + std::countr_zero(found);
  }
  if (p == end) return nullptr;
  if (end - begin >= kBlock) {
    const unsigned found = lfs_in(end - kBlock) >> (kBlock - (end - p));
    return found != 0 ? p + std::countr_zero(found) : nullptr;
  }
#else
  (void)begin;
#endif
  return static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
}

// Where the first comma of a field's value is, or npos (not find(): a
// memchr call for a value of a few bytes, on every head's Content-Length).
size_t find_comma(std::string_view value) {
  const size_t i = find_byte(value.data(), value.size(), ',');
  return i == value.size() ? std::string_view::npos : i;
}

// Compares `s` to an all-lower-case ASCII `lower`, ignoring case in `s`.
bool iequals(std::string_view s, std::string_view lower) {
  if (s.size() != lower.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// One Content-Length value: digits only, at most 18 of them so it cannot
// overflow (bodies of an exabyte are not a real concern; a hostile or
// corrupt value is).
bool parse_length(std::string_view v, uint64_t& out) {
  if (v.empty() || v.size() > 18) return false;
  uint64_t n = 0;
  for (char c : v) {
    if (!is_digit(c)) return false;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  out = n;
  return true;
}

// One more Content-Length value: it must agree with any before it.
bool add_length(uint64_t n, Head& h) {
  if (h.has_length && n != h.content_length) return false;
  h.has_length = true;
  h.content_length = n;
  return true;
}

// Content-Length may be a list ("5, 5") and may repeat; every value must agree.
bool add_content_length(std::string_view value, Head& h) {
  uint64_t n = 0;
  // One value (most heads): read without looking for a comma first.
  if (parse_length(value, n)) return add_length(n, h);
  while (true) {
    size_t comma = find_comma(value);
    if (!parse_length(trim(value.substr(0, comma)), n) || !add_length(n, h)) return false;
    if (comma == std::string_view::npos) return true;
    value.remove_prefix(comma + 1);
  }
}

// Whether a comma-separated list (Upgrade: "h2c, websocket") holds `token`
// (all lower case), ignoring case and whitespace around items.
bool lists_token(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    size_t comma = find_comma(value);
    if (iequals(trim(value.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

void add_transfer_encoding(std::string_view value, Head& h) {
  size_t comma = value.rfind(',');
  std::string_view last = trim(comma == std::string_view::npos ? value : value.substr(comma + 1));
  h.chunked = iequals(last, "chunked");
  h.other_encoding = !h.chunked;
}

// "HTTP/1.<d>". The prefix is compared at a fixed size, which the compiler
// does inline (a string_view comparison called memcmp, on every head).
bool parse_version(std::string_view v) {
  return v.size() == 8 && std::memcmp(v.data(), "HTTP/1.", 7) == 0 && is_digit(v[7]);
}

// HTTP/0.9 (RFC 1945 4.1): "<method> <target>" with no version. Only
// known methods and origin-form targets, as servers that answer it accept.
bool is_simple_request_line(std::string_view line) {
  size_t sp = line.find(' ');
  if (sp == std::string_view::npos || sp + 1 >= line.size() || line[sp + 1] != '/') return false;
  return line.find(' ', sp + 1) == std::string_view::npos && is_known_method(line.substr(0, sp));
}

std::string_view without_cr(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

// "<method> <target> HTTP/1.<d>", or an HTTP/0.9 simple request line.
// Read once from the left: the method (most requests' from their first 8
// bytes at once, short_method_prefix; any other's characters up to the
// first space: a method is a token, in both forms), then the target up to
// the next.
bool parse_request_line(std::string_view line, Head& h) {
  size_t sp1 = short_method_prefix(line);
  if (sp1 == 0) {
    while (sp1 < line.size() && line[sp1] != ' ') {
      if (!is_token_char(line[sp1])) return false;
      ++sp1;
    }
  }
  if (sp1 == line.size()) return false;
  const size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) {  // one space: only a simple request line is valid
    if (!is_simple_request_line(line)) return false;
    h.method = line.substr(0, sp1);
    h.target = line.substr(sp1 + 1);
    h.simple = true;
    return true;
  }
  // The version is the line's last 8 bytes and the only thing after the
  // second space: a target holds no space.
  if (sp1 == 0 || sp2 == sp1 + 1 || sp2 + 9 != line.size()) return false;
  if (!parse_version(line.substr(sp2 + 1))) return false;
  h.method = line.substr(0, sp1);
  h.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  return true;
}

bool parse_status_line(std::string_view line, Head& h) {
  if (line.size() < 12 || !parse_version(line.substr(0, 8)) || line[8] != ' ') return false;
  if (line.size() > 12 && line[12] != ' ') return false;
  int status = 0;
  for (size_t i = 9; i < 12; ++i) {
    if (!is_digit(line[i])) return false;
    status = status * 10 + (line[i] - '0');
  }
  if (status < 100) return false;
  h.status = status;
  return true;
}

// The fields a head keeps; every other one (Server, Date, Content-Type,
// Connection, ...) is passed over without trimming or keeping its value.
enum class Field : uint8_t { Other, Host, Upgrade, Traceparent, ContentLength, TransferEncoding };

// A kept field's name as words for name_is: the lower-case name a word at
// a time from offsets 0, W, 2W, ... and one ending at its last byte (they
// may overlap), each with 0x20 in the bytes that are letters. Words of 8
// bytes, or of 4 for a name shorter than 8 (Host, Upgrade).
struct FieldName {
  static constexpr size_t kMaxWords = 3;
  size_t size = 0;
  size_t word_size = 8;
  uint64_t lower[kMaxWords] = {};
  uint64_t letters[kMaxWords] = {};

  // Where word `w` starts.
  constexpr size_t word_offset(size_t w) const {
    return (w + 1) * word_size >= size ? size - word_size : w * word_size;
  }
  constexpr size_t words() const { return (size + word_size - 1) / word_size; }

  consteval explicit FieldName(std::string_view name)
      : size(name.size()), word_size(name.size() < 8 ? 4 : 8) {
    for (size_t w = 0; w < words(); ++w) {
      for (size_t i = 0; i < word_size; ++i) {
        const auto c = static_cast<unsigned char>(name[word_offset(w) + i]);
        const size_t shift =
            std::endian::native == std::endian::little ? 8 * i : 8 * (word_size - 1 - i);
        lower[w] |= uint64_t{c} << shift;
        if (c >= 'a' && c <= 'z') letters[w] |= uint64_t{0x20} << shift;
      }
    }
  }
};

// Whether the name's size of bytes at `s` are `name` in any case: ASCII
// letters compared without case, a word at a time (a byte loop was ~8
// instructions a byte on every head's Content-Length and Host). A byte
// that is not a letter in the name must be equal; a letter's byte with its
// 0x20 bit set equal to the lower-case letter is the letter in one case or
// the other.
template <typename Word, const FieldName& name>
bool words_are(const char* s) {
  for (size_t w = 0; w < name.words(); ++w) {
    Word word = 0;
    std::memcpy(&word, s + name.word_offset(w), sizeof word);
    if ((word | static_cast<Word>(name.letters[w])) != static_cast<Word>(name.lower[w]))
      return false;
  }
  return true;
}
// The name a template argument: its words are constants in the compares.
template <const FieldName& name>
bool name_is(const char* s) {
  if constexpr (name.word_size == 8) {
    return words_are<uint64_t, name>(s);
  } else {
    return words_are<uint32_t, name>(s);
  }
}

constexpr FieldName kHost("host");
constexpr FieldName kUpgrade("upgrade");
constexpr FieldName kTraceparent("traceparent");
constexpr FieldName kContentLength("content-length");
constexpr FieldName kTransferEncoding("transfer-encoding");
static_assert(kTransferEncoding.words() <= FieldName::kMaxWords);

// Whether field line `line` (not a folded one) is `name`'s: the name in
// any case, blanks, then the colon (a name with blanks at its end is
// still the name). Then `value_at` is where its value starts.
template <const FieldName& name>
bool names(std::string_view line, size_t& value_at) {
  if (line.size() <= name.size || !name_is<name>(line.data())) return false;
  size_t i = name.size;
  while (i < line.size() && is_whitespace(line[i])) ++i;
  if (i == line.size() || line[i] != ':') return false;
  value_at = i + 1;
  return true;
}

// The kept field that a field line holds, told by its first letter, then
// its name: the other lines (Server, Date, Content-Type, Accept...) are
// passed over without looking for their colon.
[[gnu::always_inline]] inline Field field_of(std::string_view line, size_t& value_at) {
  switch (static_cast<unsigned char>(line[0]) | 0x20) {
    case 'h':
      return names<kHost>(line, value_at) ? Field::Host : Field::Other;
    case 'u':
      return names<kUpgrade>(line, value_at) ? Field::Upgrade : Field::Other;
    case 'c':
      return names<kContentLength>(line, value_at) ? Field::ContentLength : Field::Other;
    case 't':
      if (names<kTraceparent>(line, value_at)) return Field::Traceparent;
      return names<kTransferEncoding>(line, value_at) ? Field::TransferEncoding : Field::Other;
    default:
      return Field::Other;
  }
}

// One kept field. `value` is the whole value (obs-folds joined, possibly a
// temporary); `first_line` its first line, a view into the head, kept for
// the fields Head stores as views.
bool parse_field(Field field, std::string_view value, std::string_view first_line, Head& h) {
  switch (field) {
    case Field::Host:
      if (h.host.empty()) h.host = first_line;
      break;
    case Field::Upgrade:
      if (!value.empty()) {
        h.upgrade = true;
        h.upgrade_h2c = h.upgrade_h2c || lists_token(value, "h2c");
      }
      break;
    case Field::Traceparent:
      if (h.traceparent.empty()) h.traceparent = first_line;
      break;
    case Field::ContentLength:
      return add_content_length(value, h);
    case Field::TransferEncoding:
      add_transfer_encoding(value, h);
      break;
    case Field::Other:
      break;
  }
  return true;
}

}  // namespace

size_t find_head_end(std::string_view s, size_t& scan, bool request) {
  size_t i = scan;
  // Only the first line can be a simple request: look for an earlier LF
  // once, not before every line (that made a head's scan quadratic).
  bool first_line = request && (i == 0 || std::memchr(s.data(), '\n', i) == nullptr);
  while (i < s.size()) {
    const void* p = std::memchr(s.data() + i, '\n', s.size() - i);
    if (p == nullptr) break;
    size_t nl = static_cast<size_t>(static_cast<const char*>(p) - s.data());
    if (first_line && is_simple_request_line(without_cr(s.substr(0, nl)))) return nl + 1;
    first_line = false;
    if (nl + 1 >= s.size() || (s[nl + 1] == '\r' && nl + 2 >= s.size())) {
      scan = nl;  // cannot decide yet: re-examine this LF when more bytes arrive
      return std::string_view::npos;
    }
    if (s[nl + 1] == '\n') return nl + 2;
    if (s[nl + 1] == '\r' && s[nl + 2] == '\n') return nl + 3;
    i = nl + 1;
  }
  scan = s.size();
  return std::string_view::npos;
}

namespace {

// The lines of one head fed one at a time, without their line ends: the
// start line, then the fields up to (not including) the empty line. The one
// reading of a head's lines, for parse_head (a delimited block) and
// scan_head (a head still to be delimited).
class HeadLines {
 public:
  HeadLines(bool request, Head& out) : request_(request), out_(out) { out_ = Head{}; }
  bool started() const { return !first_; }
  // False when the head is malformed; then no more lines are fed.
  bool add(std::string_view line) {
    if (first_) return start(line);
    return field(line);
  }
  // The start line (the first one fed).
  bool start(std::string_view line) {
    first_ = false;
    return request_ ? parse_request_line(line, out_) : parse_status_line(line, out_);
  }
  // A line after the start line, not empty. Inline in the line walkers:
  // a call per line was ~15 instructions of it.
  [[gnu::always_inline]] bool field(std::string_view line) {
    if (line[0] == ' ' || line[0] == '\t') {  // obsolete line folding
      if (in_field_) {
        if (folded_.empty()) folded_.assign(value_);
        folded_ += ' ';
        folded_ += trim(line);
      }
      return true;
    }
    if (in_field_ && !end_field()) return false;
    // A field not kept (or a line without a colon, tolerated: not a
    // framing problem) is not read further: its folded lines that may
    // follow are ignored with it.
    size_t value_at = 0;
    field_ = field_of(line, value_at);
    if (field_ == Field::Other) return true;
    value_ = trim(line.substr(value_at));
    folded_.clear();
    in_field_ = true;
    return true;
  }
  // After the last line: whether the head as a whole is valid.
  bool finish() {
    if (first_ || !end_field()) return false;
    // RFC 9112 6.1: Transfer-Encoding overrides Content-Length; a request whose
    // final coding is not chunked has no determinable length.
    if (out_.chunked || out_.other_encoding) out_.has_length = false;
    return !(request_ && out_.other_encoding);
  }

 private:
  bool end_field() {
    if (!in_field_) return true;
    in_field_ = false;
    return parse_field(field_, folded_.empty() ? value_ : std::string_view(folded_), value_, out_);
  }

  const bool request_;
  Head& out_;
  bool first_ = true;
  // The field being read: a folded line may still continue it.
  Field field_ = Field::Other;
  std::string_view value_;
  std::string folded_;  // its value with obs-folds replaced by SP, once it has one
  bool in_field_ = false;
};

}  // namespace

bool parse_head(std::string_view block, bool request, Head& out) {
  HeadLines lines(request, out);
  while (!block.empty()) {
    size_t nl = block.find('\n');
    std::string_view line = without_cr(block.substr(0, nl));
    block.remove_prefix(nl == std::string_view::npos ? block.size() : nl + 1);
    if (lines.started() && line.empty()) break;
    if (!lines.add(line)) return false;
  }
  return lines.finish();
}

HeadScan scan_head(std::string_view s, bool request, Head& out) {
  HeadLines lines(request, out);
  // Malformed: only where the head ends is still wanted (rare, so found by
  // a second scan).
  auto malformed = [&] {
    size_t scan = 0;
    return HeadScan{find_head_end(s, scan, request), false};
  };
  const char* const begin = s.data();
  const char* const end = begin + s.size();
  const char* nl = find_line_end(begin, begin, end);
  if (nl == nullptr) return {};
  if (!lines.start(without_cr(std::string_view(begin, static_cast<size_t>(nl - begin)))))
    return malformed();
  // An HTTP/0.9 request: this line alone.
  if (out.simple) return {static_cast<size_t>(nl + 1 - begin), lines.finish()};
  for (const char* line = nl + 1; line < end; line = nl + 1) {
    // The empty line that ends the head (CRLF or a bare LF).
    if (*line == '\n') return {static_cast<size_t>(line + 1 - begin), lines.finish()};
    if (*line == '\r' && line + 1 < end && line[1] == '\n')
      return {static_cast<size_t>(line + 2 - begin), lines.finish()};
    nl = find_line_end(begin, line, end);
    if (nl == nullptr) break;
    if (!lines.field(without_cr(std::string_view(line, static_cast<size_t>(nl - line)))))
      return malformed();
  }
  return {};
}

}  // namespace loupe::http1
