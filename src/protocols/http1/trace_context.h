// W3C Trace Context: the trace id carried by a `traceparent` header.
#pragma once

#include <string_view>

namespace loupe::http1 {

// The 32-hex trace id of a valid traceparent value
// ("<2hex version>-<32hex trace-id>-<16hex parent-id>-<2hex flags>"), else
// empty. Follows the W3C rules: lower-case hex only, version "ff" and
// all-zero ids are invalid, version 00 has exactly four fields, later
// versions may append "-..." fields.
std::string_view trace_id_from_traceparent(std::string_view value);

}  // namespace loupe::http1
