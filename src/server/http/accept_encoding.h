// Content negotiation of response compression (RFC 9110 section 12.5.3).
#pragma once

#include <string_view>

namespace loupe::server::http {

// True when an Accept-Encoding value accepts gzip (a "gzip" or "*" coding
// not refused with q=0).
bool accepts_gzip(std::string_view accept_encoding);

}  // namespace loupe::server::http
