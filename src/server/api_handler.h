// Shared by the files that register /api/v1 routes: JSON responses, and
// the wrapper that turns exceptions into JSON errors.
#pragma once

#include <httplib.h>

#include <nlohmann/json.hpp>
#include <string>

#include "server/api_json.h"
#include "server/api_params.h"

namespace loupe::server {

inline void send_json(httplib::Response& res, const nlohmann::json& body, int status = 200) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

// Runs a handler, mapping ParamError to 400 and anything else to 500, so
// every failure reaches the client as JSON saying what went wrong.
template <typename F>
httplib::Server::Handler json_handler(F f) {
  return [f](const httplib::Request& req, httplib::Response& res) {
    try {
      f(req, res);
    } catch (const ParamError& e) {
      send_json(res, error_json(e.what(), e.parameter()), 400);
    } catch (const std::exception& e) {
      send_json(res, error_json(std::string("internal error: ") + e.what()), 500);
    }
  };
}

}  // namespace loupe::server
