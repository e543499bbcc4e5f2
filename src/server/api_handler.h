// Shared by the files that register /api/v1 routes: JSON responses, and
// the wrapper that turns exceptions into JSON errors.
#pragma once

#include <algorithm>
#include <nlohmann/json.hpp>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include "server/api_json.h"
#include "server/api_params.h"
#include "server/http/message.h"
#include "server/json_lists.h"

namespace loupe::server {

// What keep_busiest ranks by: a summary's RED count, or a JSON object's
// "requests" (0 when it has none, e.g. a node: the first `limit` are kept).
template <typename T>
uint64_t requests_of(const T& item) {
  return item.red.requests;
}
inline uint64_t requests_of(const nlohmann::json& item) {
  return item.is_object() ? item.value("requests", uint64_t{0}) : 0;
}

// Records are cleaned when built (core/record_limits.h), but a store written
// by an older Loupe can hold any bytes: those become U+FFFD here rather than
// a failed response.
inline void send_json(http::Response& res, const nlohmann::json& body, int status = 200) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                  "application/json");
}

// A list endpoint's `limit`: keeps the `limit` entries with the most
// requests, in the list's usual order.
template <typename T>
void keep_busiest(std::vector<T>& items, size_t limit) {
  if (items.size() <= limit) return;
  std::vector<size_t> order(items.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&items](size_t a, size_t b) {
    return requests_of(items[a]) > requests_of(items[b]);
  });
  order.resize(limit);
  std::sort(order.begin(), order.end());
  std::vector<T> kept;
  kept.reserve(order.size());
  for (size_t i : order) kept.push_back(std::move(items[i]));
  items = std::move(kept);
}

// Runs a handler, mapping BatchTooLarge to 413, ParamError to 400 and
// anything else to 500, so every failure reaches the client as JSON saying
// what went wrong.
template <typename F>
http::Handler json_handler(F f) {
  return [f](const http::Request& req, http::Response& res) {
    try {
      f(req, res);
    } catch (const BatchTooLarge& e) {
      send_json(res, error_json(e.what(), e.parameter()), 413);
    } catch (const ParamError& e) {
      send_json(res, error_json(e.what(), e.parameter()), 400);
    } catch (const std::exception& e) {
      send_json(res, error_json(std::string("internal error: ") + e.what()), 500);
    }
  };
}

}  // namespace loupe::server
