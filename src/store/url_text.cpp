#include "store/url_text.h"

#include "core/hex_digit.h"

namespace loupe::store {
std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    int hi = i + 2 < s.size() ? hex_digit(s[i + 1]) : -1;
    int lo = i + 2 < s.size() ? hex_digit(s[i + 2]) : -1;
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

void QueryWriter::add(std::string_view name, std::string_view value) {
  url_ += sep_;
  url_ += name;
  url_ += '=';
  url_ += value;
  sep_ = '&';
}

}  // namespace loupe::store
