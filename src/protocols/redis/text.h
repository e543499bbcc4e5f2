// Turning untrusted protocol bytes into record text.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace loupe::redis {

// Appends at most `max` bytes of `in` to `out`, keeping printable ASCII and
// well-formed UTF-8 and replacing anything else with '?': keys and error
// texts are binary-safe in Redis, but records end up in JSON and terminals.
void append_sanitized(std::string& out, std::string_view in, size_t max);

}  // namespace loupe::redis
