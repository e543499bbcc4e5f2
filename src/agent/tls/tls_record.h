// Recognises TLS records in a connection's first bytes, so ciphertext that
// Loupe cannot decrypt (a TLS library it could not probe) is counted as
// opaque TLS instead of being offered to protocol detection.
#pragma once

#include <string_view>

namespace loupe::tls {

// True when `bytes` start with a TLS (or SSL 3.0) record header:
// content type 20-23 (change_cipher_spec, alert, handshake, application
// data) and protocol version 3.0-3.4. Needs the first 3 bytes.
inline bool looks_like_tls_record(std::string_view bytes) {
  if (bytes.size() < 3) return false;
  auto type = static_cast<unsigned char>(bytes[0]);
  return type >= 20 && type <= 23 && bytes[1] == 3 && static_cast<unsigned char>(bytes[2]) <= 4;
}

}  // namespace loupe::tls
