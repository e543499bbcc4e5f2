// Reading request bodies shaped {"<list>": [{...}, ...], "<key>": <small>}
// without ever holding the whole document: each element of a listed array
// is handed to the caller as soon as it is complete, then freed. A parsed
// JSON document costs 20 times its text and more (16 MiB of "[]," become
// ~350 MiB of nodes), so a small gzip body with a valid token could
// otherwise take the server's memory; here a body costs one element at a
// time, and elements and everything outside the lists are capped in values.
#pragma once

#include <cstddef>
#include <functional>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>

#include "server/api_params.h"

namespace loupe::server {

// A list with more elements than it may hold (HTTP 413).
class BatchTooLarge : public ParamError {
 public:
  BatchTooLarge(std::string_view list, size_t max)
      : ParamError(std::string(list), "batch has more than " + std::to_string(max) + " " +
                                          std::string(list) + "; send at most " +
                                          std::to_string(max) + " per request"),
        max_items(max) {}
  size_t max_items;
};

struct JsonList {
  std::string_view key;  // the top-level member holding the array
  size_t max_items;      // past it: BatchTooLarge (HTTP 413)
  // Called with each element (a JSON object) and its position in the array.
  std::function<void(const nlohmann::json& item, size_t index)> on_item;
};

// JSON values (keys included) one element, and everything outside the
// lists together, may hold.
constexpr size_t kMaxValuesPerItem = 512;
constexpr size_t kMaxValuesOutsideLists = 1024;

// Streams the lists' elements to their on_item, and returns the body's
// other top-level members (the lists themselves are left empty). Throws
// ParamError naming the part at fault ("body", "records", "records[3]")
// for text that is not JSON, a body that is not an object, a list that is
// not an array of objects, or too many values; BatchTooLarge past a list's
// max_items; and whatever on_item throws.
nlohmann::json parse_json_lists(std::string_view body, std::span<const JsonList> lists);

// A body the route needs whole (stats reports, silences, Kubernetes
// snapshots): parsed, but refused (ParamError naming "body") once it holds
// more than `max_values` JSON values (keys included), before they cost
// memory. Room for what the legitimate sender can fit in a body is enough.
nlohmann::json parse_json_capped(std::string_view body, size_t max_values);
constexpr size_t kMaxValuesSmallBody = 10'000;       // stats reports, silences
constexpr size_t kMaxValuesClusterBody = 2'000'000;  // a 16 MiB snapshot holds ~1.5M

}  // namespace loupe::server
