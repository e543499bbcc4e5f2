// HTTP/1.x requests and responses, for the detection tests across every protocol
// (tests/support/detection_samples.h).
#include "../../support/detection_samples.h"

#include <string>

namespace loupe::http1::testing {
namespace {

using loupe::testing::kIn;
using loupe::testing::kOut;

const loupe::testing::DetectionSamples kSamples{{
    {"http_request", Protocol::Http1, Role::Server, {{kIn, "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"}}},
    {"http_token_method",
     Protocol::Http1,
     Role::Server,
     {{kIn, "M-SEARCH * HTTP/1.1\r\nHost: h\r\n\r\n"}}},
    {"http_leading_crlf",
     Protocol::Http1,
     Role::Server,
     {{kIn, "\r\n\r\nPOST /b HTTP/1.0\r\n\r\n"}}},
    {"http_response", Protocol::Http1, Role::Client, {{kIn, "HTTP/1.1 200 OK\r\n\r\n"}}},
    {"http1",
     Protocol::Http1,
     Role::Client,
     {{kOut, "PROPFIND /dav/ HTTP/1.1\r\nHost: h\r\nDepth: 1\r\n\r\n"},
      {kIn, "HTTP/1.1 207 Multi-Status\r\nContent-Length: 2\r\n\r\nok"}}},
}};

}  // namespace
}  // namespace loupe::http1::testing
