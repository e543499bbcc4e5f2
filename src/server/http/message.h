// The request and response every HTTP handler sees (see server.h for who
// fills them): plain values, no library types, so handlers and tests need
// nothing but this header.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace loupe::server::http {

// Header names compare case-insensitively (RFC 9110 5.1).
struct CaseInsensitiveLess {
  bool operator()(std::string_view a, std::string_view b) const;
  using is_transparent = void;
};
using Headers = std::multimap<std::string, std::string, CaseInsensitiveLess>;

// The decoded query string; a repeated name keeps every value, lookups take
// the first.
using QueryParams = std::multimap<std::string, std::string>;

struct Request {
  std::string method;  // "GET", "POST"...
  std::string path;    // decoded, without the query string
  QueryParams params;
  Headers headers;
  std::string body;         // Content-Encoding already undone, within the body cap
  std::string remote_addr;  // client IP, no port

  // The first value of header `name`, or "" when absent.
  std::string header(std::string_view name) const;
};

struct Response {
  int status = 200;
  Headers headers;
  std::string body;

  void set_header(std::string name, std::string value);
  void set_content(std::string content, std::string content_type);
  // {"error": message} with `status`: the shape of every error the API sends.
  void set_error(int error_status, const std::string& message);
};

using Handler = std::function<void(const Request&, Response&)>;

// A handler that answers later, from any thread, by calling its Reply once
// (e.g. when the store has committed what the request brought). Until
// then the connection is parked: it holds no thread (server.h).
using Reply = std::function<void(Response)>;
using AsyncHandler = std::function<void(const Request&, Reply)>;

}  // namespace loupe::server::http
