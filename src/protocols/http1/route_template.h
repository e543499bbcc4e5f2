// Route templating: turns a request target into a low-cardinality route by
// replacing identifier-like path segments with "{id}", so per-route metrics
// stay bounded. The rules are listed in docs/protocols/http1.md.
#pragma once

#include <string>
#include <string_view>

namespace loupe::http1 {

// "/users/123/orders/9f1c0a2b3c4d?x=1" -> "/users/{id}/orders/{id}".
std::string template_route(std::string_view path);

// True when one path segment (no '/') looks like an identifier.
bool is_identifier_segment(std::string_view segment);

}  // namespace loupe::http1
