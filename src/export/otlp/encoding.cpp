#include "export/otlp/encoding.h"

#include <google/protobuf/util/json_util.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "core/base64.h"

namespace loupe::exporting::otlp {
namespace {

// OTLP/JSON writes these bytes fields as hex, where protobuf's JSON
// mapping writes base64.
bool is_id_field(std::string_view key) {
  return key == "traceId" || key == "spanId" || key == "parentSpanId";
}

std::string to_hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

void ids_to_hex(nlohmann::json& j) {
  if (j.is_array()) {
    for (auto& e : j) ids_to_hex(e);
  } else if (j.is_object()) {
    for (auto& [key, value] : j.items()) {
      if (is_id_field(key) && value.is_string()) {
        auto bytes = base64_decode(value.get_ref<const std::string&>());
        value = bytes ? to_hex(*bytes) : std::string();
      } else {
        ids_to_hex(value);
      }
    }
  }
}

}  // namespace

std::optional<Encoding> encoding_from_string(std::string_view s) {
  if (s == "http/protobuf") return Encoding::Protobuf;
  if (s == "http/json") return Encoding::Json;
  return std::nullopt;
}

std::string_view to_string(Encoding e) {
  return e == Encoding::Json ? "http/json" : "http/protobuf";
}

std::string_view content_type(Encoding e) {
  return e == Encoding::Json ? "application/json" : "application/x-protobuf";
}

std::string encode(const google::protobuf::Message& m, Encoding e) {
  if (e == Encoding::Protobuf) return m.SerializeAsString();
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_enums_as_ints = true;
  std::string json;
  auto status = google::protobuf::util::MessageToJsonString(m, &json, options);
  if (!status.ok()) throw std::runtime_error("OTLP JSON encoding failed: " + status.ToString());
  auto doc = nlohmann::json::parse(json);
  ids_to_hex(doc);
  return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace loupe::exporting::otlp
