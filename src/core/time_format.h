#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace loupe {

// "2026-11-25T12:53:44.123456789Z"
std::string format_rfc3339_ns(uint64_t unix_ns);
// The same written at `out`, always kRfc3339NsSize bytes (no temporary
// string: once per record in `loupe trace -o json`).
inline constexpr size_t kRfc3339NsSize = 30;
void write_rfc3339_ns(char* out, uint64_t unix_ns);

// write_rfc3339_ns for times that mostly share their second with the one
// written before (a batch's records): that second's date and time are kept
// and copied, and only the fraction is written anew (~40 instructions
// instead of ~230, once per record in `loupe trace -o json`).
class Rfc3339Memo {
 public:
  void write(char* out, uint64_t unix_ns);

 private:
  uint64_t secs_ = UINT64_MAX;  // of head_; no time in ns has this many seconds
  char head_[20] = {};          // "2026-11-25T12:53:44."
};

// Unix seconds (integer or fractional) or RFC 3339 (with optional fraction and
// Z or +hh:mm offset) -> unix ns. nullopt when the text is neither.
std::optional<uint64_t> parse_time(std::string_view text);

// "15m", "2h", "24h", "7d", "30s", "500ms" -> ns. nullopt when malformed.
std::optional<uint64_t> parse_duration(std::string_view text);

uint64_t now_unix_ns();

}  // namespace loupe
