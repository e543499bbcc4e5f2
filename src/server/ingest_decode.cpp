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

}  // namespace loupe::server
