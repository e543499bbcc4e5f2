// JSON written by hand for the hot paths (records, log batches): building a
// nlohmann DOM allocates per field and costs several times more. One writer,
// so every hand-written document escapes the same way.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace loupe {

// `s` as a JSON string: control characters escaped and bytes that are not
// well-formed UTF-8 written as U+FFFD, so the output is always valid JSON
// whatever `s` holds (bytes captured from the network need not be text).
void append_json_string(std::string& out, std::string_view s);

// One JSON object appended to `out`: `{` on construction, `}` on
// destruction, the members in between in the order written.
class JsonObjectWriter {
 public:
  explicit JsonObjectWriter(std::string& out) : out_(out) { out_ += '{'; }
  ~JsonObjectWriter() { out_ += '}'; }
  JsonObjectWriter(const JsonObjectWriter&) = delete;
  JsonObjectWriter& operator=(const JsonObjectWriter&) = delete;

  void str(const char* key, std::string_view v) {
    this->key(key);
    append_json_string(out_, v);
  }
  void num(const char* key, uint64_t v) {
    this->key(key);
    out_ += std::to_string(v);
  }
  void num(const char* key, int v) {
    this->key(key);
    out_ += std::to_string(v);
  }
  void boolean(const char* key, bool v) {
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
  std::string& out_;
  bool first_ = true;
};

}  // namespace loupe
