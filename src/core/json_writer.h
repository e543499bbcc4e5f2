// JSON written by hand for the hot paths (records, log batches): building a
// nlohmann DOM allocates per field and costs several times more. One writer,
// so every hand-written document escapes the same way.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace loupe {

// The most bytes write_json_string writes for `n` bytes of text: quotes,
// and 6 bytes ("\u00XX", "\ufffd") for a byte that is escaped or replaced.
constexpr size_t json_string_room(size_t n) { return 2 + 6 * n; }

namespace json_detail {

// Whether a byte is copied as it is: printable ASCII but '"' and '\\'.
[[gnu::always_inline]] inline bool plain_byte(char c) {
  const auto u = static_cast<unsigned char>(c);
  return static_cast<unsigned>(u - 0x20) < 0x5f && u != '"' && u != '\\';
}

// Whether all bytes of the word (8 or 4 bytes) at `s` are plain: no control
// byte, '"', '\\', DEL or byte >= 0x80. A word at a time, so text with
// nothing to escape costs ~2 instructions a byte instead of ~5.
template <typename Word>
[[gnu::always_inline]] inline bool plain_word(const char* s) {
  constexpr Word kOnes = static_cast<Word>(0x0101010101010101ULL);
  constexpr Word kHighBits = static_cast<Word>(0x8080808080808080ULL);
  // Whether any byte of `w` is 0 (exact, for "any").
  auto any_zero = [](Word w) { return static_cast<Word>((w - kOnes) & ~w & kHighBits); };
  Word v;
  std::memcpy(&v, s, sizeof v);
  const auto below_space = static_cast<Word>((v - 0x20 * kOnes) & ~v & kHighBits);
  return (below_space | (v & kHighBits) | any_zero(v ^ ('"' * kOnes)) |
          any_zero(v ^ ('\\' * kOnes)) | any_zero(v ^ (0x7f * kOnes))) == 0;
}

// Text of at most 16 bytes with nothing to escape (most of a record's
// fields: names, addresses, methods, paths, "GET", "/a") checked and
// copied without a loop: as two overlapping words of 8 or 4 bytes, or
// under 4 bytes as its first, middle and last byte (which are all of
// them). False, with nothing written, for any other text.
[[gnu::always_inline]] inline bool write_short_plain(char*& p, std::string_view s) {
  const size_t n = s.size();
  const char* d = s.data();
  if (n > 16) return false;
  if (n >= 8) {
    if (!plain_word<uint64_t>(d) || !plain_word<uint64_t>(d + n - 8)) return false;
    std::memcpy(p + 1, d, 8);
    std::memcpy(p + 1 + n - 8, d + n - 8, 8);
  } else if (n >= 4) {
    if (!plain_word<uint32_t>(d) || !plain_word<uint32_t>(d + n - 4)) return false;
    std::memcpy(p + 1, d, 4);
    std::memcpy(p + 1 + n - 4, d + n - 4, 4);
  } else if (n > 0) {
    if (!plain_byte(d[0]) || !plain_byte(d[n / 2]) || !plain_byte(d[n - 1])) return false;
    p[1] = d[0];
    p[1 + n / 2] = d[n / 2];
    p[n] = d[n - 1];
  }
  p[0] = '"';
  p[n + 1] = '"';
  p += n + 2;
  return true;
}

// Any text, escaped byte by byte where it must be.
char* write_escaped(char* p, std::string_view s);

}  // namespace json_detail

// `s` as a JSON string at `p` (room: json_string_room(s.size())), returning
// where it ends: control characters escaped and bytes that are not
// well-formed UTF-8 written as U+FFFD, so the output is always valid JSON
// whatever `s` holds (bytes captured from the network need not be text).
// Short plain text inline, without a call.
[[gnu::always_inline]] inline char* write_json_string(char* p, std::string_view s) {
  if (json_detail::write_short_plain(p, s)) return p;
  return json_detail::write_escaped(p, s);
}

// The same appended to `out`.
void append_json_string(std::string& out, std::string_view s);

// `v` in decimal at `p` (room: 20 bytes, all of which may be written),
// returning where it ends. Eight digits at once by multiplies within a
// word: std::to_chars counted the digits first and took ~120 instructions
// for a 19-digit time in ns, and two digits a step from the right ~80; a
// record's JSON has eight numbers, two of them such times.
char* write_decimal(char* p, uint64_t v);

// Whether a JsonObjectWriter writes members that hold their type's default
// (empty text, 0, false). Omitting them is for documents read back by code
// that treats a missing key as its default: a record fills a few of its ~30
// fields, so such a document is about half the bytes to write and compress.
enum class JsonDefaults { Write, Omit };

// One JSON object appended to `out`: the members in the order written,
// the object closed on destruction. `out` belongs to the writer until then:
// it writes through a pointer into room it makes in `out` a kilobyte or
// more at a time (a record is ~35 members; an append per piece was most of
// `loupe trace -o json`'s formatting) and gives back what it did not use
// when it is destroyed. Every member is written with a comma before it, and
// the first one's becomes the `{` at the end: no "first member?" test per
// member (~120 instructions of a record's JSON). Keys are literals with
// nothing to escape.
class JsonObjectWriter {
 public:
  explicit JsonObjectWriter(std::string& out, JsonDefaults defaults = JsonDefaults::Write)
      : out_(out), start_(out.size()), omit_defaults_(defaults == JsonDefaults::Omit) {
    p_ = end_ = out_.data() + start_;
  }
  ~JsonObjectWriter() {
    room(2);
    char* open = out_.data() + start_;
    if (p_ == open) {
      *p_++ = '{';  // no members
    } else {
      *open = '{';  // in place of the first member's comma
    }
    *p_++ = '}';
    out_.resize(static_cast<size_t>(p_ - out_.data()));
  }
  JsonObjectWriter(const JsonObjectWriter&) = delete;
  JsonObjectWriter& operator=(const JsonObjectWriter&) = delete;

  bool omits_defaults() const { return omit_defaults_; }

  // Inlined (as the members below): each key's bytes are then a few
  // constant stores, not a call to memcpy with its length.
  [[gnu::always_inline]] void str(std::string_view key, std::string_view v) {
    if (v.empty()) {  // most of a record's text fields
      if (omit_defaults_) return;
      char* p = member(key, 2);
      std::memcpy(p, "\"\"", 2);
      p_ = p + 2;
      return;
    }
    p_ = write_json_string(member(key, json_string_room(v.size())), v);
  }
  // Text that needs no escaping (a time, a protocol's name; the caller
  // knows): copied between quotes, unchecked.
  [[gnu::always_inline]] void plain_str(std::string_view key, std::string_view v) {
    char* p = member(key, v.size() + 2);
    *p = '"';
    std::memcpy(p + 1, v.data(), v.size());
    p[v.size() + 1] = '"';
    p_ = p + v.size() + 2;
  }
  // Members already written as JSON text, each `,"key":value` with its
  // comma: a constant run of them (e.g. a record's ten identity fields when
  // it has no identity) is one copy, not a member at a time.
  [[gnu::always_inline]] void members(std::string_view json) {
    room(json.size());
    std::memcpy(p_, json.data(), json.size());
    p_ += json.size();
  }
  [[gnu::always_inline]] void num(std::string_view key, uint64_t v) {
    if (omit_defaults_ && v == 0) return;
    number(key, v);
  }
  [[gnu::always_inline]] void num(std::string_view key, int v) {
    if (omit_defaults_ && v == 0) return;
    number(key, v);
  }
  [[gnu::always_inline]] void boolean(std::string_view key, bool v) {
    if (omit_defaults_ && !v) return;
    char* p = member(key, 5);
    std::memcpy(p, v ? "true" : "false", 5);  // "true" and its NUL, overwritten next
    p_ = p + (v ? 4 : 5);
  }

 private:
  // At least `n` bytes writable at p_.
  [[gnu::always_inline]] void room(size_t n) {
    if (static_cast<size_t>(end_ - p_) < n) grow(n);
  }
  void grow(size_t n);
  // Writes `,"key":` with room for `value_room` bytes after it, and
  // returns where the value goes. Through a local pointer: p_ would be
  // reloaded after every byte stored (a char store may alias it).
  [[gnu::always_inline]] char* member(std::string_view key, size_t value_room) {
    room(key.size() + 4 + value_room);  // ,"":
    char* p = p_;
    *p++ = ',';
    *p++ = '"';
    std::memcpy(p, key.data(), key.size());
    p += key.size();
    *p++ = '"';
    *p++ = ':';
    return p;
  }
  // 20: the digits of UINT64_MAX, or of INT_MIN with its sign.
  [[gnu::always_inline]] void number(std::string_view key, uint64_t v) {
    p_ = write_decimal(member(key, 20), v);
  }
  [[gnu::always_inline]] void number(std::string_view key, int v) {
    char* p = member(key, 20);
    *p = '-';
    p_ = write_decimal(p + (v < 0 ? 1 : 0),
                       v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v));
  }
  std::string& out_;
  const size_t start_;  // where the object starts in out_
  char* p_;             // where the next byte goes, within out_
  char* end_;           // the end of out_'s size: the room made so far
  const bool omit_defaults_;
};

}  // namespace loupe
