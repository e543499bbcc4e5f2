// JSON written by hand for the hot paths (records, log batches): building a
// nlohmann DOM allocates per field and costs several times more. One writer,
// so every hand-written document escapes the same way.
#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

namespace loupe {

// `s` as a JSON string: control characters escaped and bytes that are not
// well-formed UTF-8 written as U+FFFD, so the output is always valid JSON
// whatever `s` holds (bytes captured from the network need not be text).
void append_json_string(std::string& out, std::string_view s);

// Whether a JsonObjectWriter writes members that hold their type's default
// (empty text, 0, false). Omitting them is for documents read back by code
// that treats a missing key as its default: a record fills a few of its ~30
// fields, so such a document is about half the bytes to write and compress.
enum class JsonDefaults { Write, Omit };

// One JSON object appended to `out`: `{` on construction, `}` on
// destruction, the members in between in the order written.
class JsonObjectWriter {
 public:
  explicit JsonObjectWriter(std::string& out, JsonDefaults defaults = JsonDefaults::Write)
      : out_(out), omit_defaults_(defaults == JsonDefaults::Omit) {
    out_ += '{';
  }
  ~JsonObjectWriter() { out_ += '}'; }
  JsonObjectWriter(const JsonObjectWriter&) = delete;
  JsonObjectWriter& operator=(const JsonObjectWriter&) = delete;

  bool omits_defaults() const { return omit_defaults_; }

  void str(const char* key, std::string_view v) {
    if (omit_defaults_ && v.empty()) return;
    this->key(key);
    append_json_string(out_, v);
  }
  void num(const char* key, uint64_t v) {
    if (omit_defaults_ && v == 0) return;
    this->key(key);
    append_number(v);
  }
  void num(const char* key, int v) {
    if (omit_defaults_ && v == 0) return;
    this->key(key);
    append_number(v);
  }
  void boolean(const char* key, bool v) {
    if (omit_defaults_ && !v) return;
    this->key(key);
    out_ += v ? "true" : "false";
  }

 private:
  void key(const char* k) {
    if (!first_) out_ += ',';
    first_ = false;
    out_ += '"';
    out_ += k;
    out_ += "\":";
  }
  // std::to_chars: no temporary string per number, unlike std::to_string.
  template <typename T>
  void append_number(T v) {
    char buf[24];
    auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
    out_.append(buf, end);
  }
  std::string& out_;
  const bool omit_defaults_;
  bool first_ = true;
};

}  // namespace loupe
