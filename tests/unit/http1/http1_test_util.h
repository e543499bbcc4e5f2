// Helpers for feeding recorded-style HTTP/1 byte streams to a parser.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "../../support/parser_conn.h"
#include "protocols/http1/http1.h"

namespace loupe::http1::testing {

// Drives one parser as one side of a connection (a server by default).
struct Conn : loupe::testing::ParserConn {
  explicit Conn(Role r = Role::Server) : ParserConn(make_parser(r), r) {}
};

// curl- and nginx-shaped messages.
inline constexpr std::string_view kCurlGet =
    "GET /users/123/orders/9f1c0a2b3c4d?expand=items HTTP/1.1\r\n"
    "Host: api.example.com\r\n"
    "User-Agent: curl/8.5.0\r\n"
    "Accept: */*\r\n"
    "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\n"
    "\r\n";

inline constexpr std::string_view kNginxOk =
    "HTTP/1.1 200 OK\r\n"
    "Server: nginx/1.25.3\r\n"
    "Date: Tue, 05 Mar 2024 10:00:00 GMT\r\n"
    "Content-Type: application/json\r\n"
    "Content-Length: 27\r\n"
    "Connection: keep-alive\r\n"
    "\r\n"
    "{\"id\":123,\"items\":[1,2,3]}\n";

inline constexpr std::string_view kNginxChunked =
    "HTTP/1.1 200 OK\r\n"
    "Server: nginx/1.25.3\r\n"
    "Content-Type: text/plain\r\n"
    "Transfer-Encoding: chunked\r\n"
    "\r\n"
    "5;name=value\r\nhello\r\n"
    "7 ; ext\r\n, world\r\n"
    "0\r\n"
    "X-Checksum: abc\r\n"
    "\r\n";

inline std::string get(std::string_view path, std::string_view extra = "") {
  return "GET " + std::string(path) + " HTTP/1.1\r\nHost: h\r\n" + std::string(extra) + "\r\n";
}

inline std::string ok(std::string_view body, int status = 200) {
  return "HTTP/1.1 " + std::to_string(status) +
         " X\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

}  // namespace loupe::http1::testing
