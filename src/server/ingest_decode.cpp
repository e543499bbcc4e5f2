#include "server/ingest_decode.h"

#include <nlohmann/json.hpp>

#include "core/record_json.h"

namespace loupe::server {

std::vector<Record> decode_ingest_body(std::string_view body) {
  auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw ParamError("body", "body is not valid JSON");
  if (!j.is_object() || !j.contains("records") || !j["records"].is_array())
    throw ParamError("records", "body must be an object with a \"records\" array");
  std::vector<Record> out;
  const auto& arr = j["records"];
  out.reserve(arr.size());
  for (size_t i = 0; i < arr.size(); ++i) {
    std::string where = "records[" + std::to_string(i) + "]";
    if (!arr[i].is_object()) throw ParamError(where, "each record must be a JSON object");
    try {
      out.push_back(record_from_json(arr[i]));
    } catch (const nlohmann::json::exception& e) {
      throw ParamError(where, std::string("bad record: ") + e.what());
    }
  }
  return out;
}

namespace {

// Decodes body[key], an optional array of objects, with `decode` per element.
template <typename T, typename F>
std::vector<T> decode_array(const nlohmann::json& body, const char* key, F decode) {
  std::vector<T> out;
  auto it = body.find(key);
  if (it == body.end()) return out;
  if (!it->is_array()) throw ParamError(key, std::string("\"") + key + "\" must be an array");
  out.reserve(it->size());
  for (size_t i = 0; i < it->size(); ++i) {
    std::string where = std::string(key) + "[" + std::to_string(i) + "]";
    if (!(*it)[i].is_object()) throw ParamError(where, "each element must be a JSON object");
    try {
      out.push_back(decode((*it)[i]));
    } catch (const nlohmann::json::exception& e) {
      throw ParamError(where, std::string("bad element: ") + e.what());
    }
  }
  return out;
}

}  // namespace

MetricIngest decode_metric_ingest(std::string_view body) {
  auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw ParamError("body", "body is not valid JSON");
  if (!j.is_object()) throw ParamError("body", "body must be a JSON object");
  return {decode_array<MetricSample>(j, "samples", metric_sample_from_json),
          decode_array<OomKill>(j, "oom_kills", oom_kill_from_json)};
}

}  // namespace loupe::server
