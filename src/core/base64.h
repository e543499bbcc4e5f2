// Base64 (RFC 4648), standard and URL-safe alphabets alike, padding optional.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace loupe {

// The bytes of `in`; whitespace and '=' are skipped. nullopt on any other
// character outside both alphabets.
std::optional<std::string> base64_decode(std::string_view in);

}  // namespace loupe
