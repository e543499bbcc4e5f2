#include "server/json_lists.h"

#include <string>
#include <vector>

namespace loupe::server {

using nlohmann::json;

nlohmann::json parse_json_lists(std::string_view body, std::span<const JsonList> lists) {
  using Event = json::parse_event_t;
  std::vector<size_t> counts(lists.size(), 0);  // elements seen per list
  const JsonList* list = nullptr;               // whose array is being read
  size_t list_index = 0;
  size_t item_values = 0;   // in the element being read
  size_t other_values = 0;  // outside the lists
  auto where = [&] {
    return std::string(list->key) + "[" + std::to_string(counts[list_index] - 1) + "]";
  };
  auto on_event = [&](int depth, Event event, json& parsed) {
    const bool adds_value = event == Event::key || event == Event::value ||
                            event == Event::object_start || event == Event::array_start;
    if (depth == 0) {
      if (event == Event::value || event == Event::array_start)
        throw ParamError("body", "body must be a JSON object");
      return true;
    }
    if (depth == 1 && event == Event::key) {
      list = nullptr;
      for (size_t i = 0; i < lists.size(); ++i)
        if (lists[i].key == parsed.get_ref<const std::string&>()) {
          list = &lists[i];
          list_index = i;
        }
      if (!list && ++other_values > kMaxValuesOutsideLists)
        throw ParamError("body", "body holds too many values outside its lists");
      return true;
    }
    if (list == nullptr) {
      if (adds_value && ++other_values > kMaxValuesOutsideLists)
        throw ParamError("body", "body holds too many values outside its lists");
      return true;
    }
    if (depth == 1) {  // the list's own value
      if (event == Event::array_end) list = nullptr;
      if (event == Event::array_start || event == Event::array_end) return true;
      throw ParamError(std::string(list->key),
                       "\"" + std::string(list->key) + "\" must be an array of objects");
    }
    if (depth == 2) {  // an element
      if (event == Event::object_start) {
        if (++counts[list_index] > list->max_items) throw BatchTooLarge(list->key, list->max_items);
        item_values = 0;
        return true;
      }
      if (event == Event::object_end) {
        list->on_item(parsed, counts[list_index] - 1);
        return false;  // freed, not kept in the array
      }
      ++counts[list_index];
      throw ParamError(where(), "each element must be a JSON object");
    }
    if (adds_value && ++item_values > kMaxValuesPerItem)
      throw ParamError(where(),
                       "element holds more than " + std::to_string(kMaxValuesPerItem) + " values");
    return true;
  };
  json j = json::parse(body, on_event, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw ParamError("body", "body is not valid JSON");
  return j;
}

nlohmann::json parse_json_capped(std::string_view body, size_t max_values) {
  using Event = json::parse_event_t;
  size_t values = 0;
  auto on_event = [&](int, Event event, json&) {
    if ((event == Event::key || event == Event::value || event == Event::object_start ||
         event == Event::array_start) &&
        ++values > max_values)
      throw ParamError("body", "body holds more than " + std::to_string(max_values) + " values");
    return true;
  };
  json j = json::parse(body, on_event, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw ParamError("body", "body is not valid JSON");
  return j;
}

}  // namespace loupe::server
