// Protocol constants of PostgreSQL's untyped startup-phase messages.
#pragma once

#include <cstdint>

namespace loupe::postgres {

inline constexpr uint32_t kProtocolMajor3 = 3;        // StartupMessage: major << 16 | minor
inline constexpr uint32_t kMaxProtocolMinor = 2;      // 3.2 is PostgreSQL 18's
inline constexpr uint32_t kCancelRequest = 80877102;  // 1234 << 16 | 5678
inline constexpr uint32_t kSslRequest = 80877103;     // 1234 << 16 | 5679
inline constexpr uint32_t kGssEncRequest = 80877104;  // 1234 << 16 | 5680
inline constexpr uint32_t kMaxStartupLen = 10000;     // the server's own limit
// Larger than any message a sane peer sends; anything above is garbage.
inline constexpr uint32_t kMaxMessageLen = 1u << 30;

inline bool is_startup_code(uint32_t code) {
  return (code >> 16) == kProtocolMajor3 && (code & 0xFFFF) <= kMaxProtocolMinor;
}

}  // namespace loupe::postgres
