// The two OTLP/HTTP encodings (--otlp-protocol): binary protobuf, and the
// OTLP JSON mapping (protobuf's JSON with lowerCamelCase names, enums as
// integers, and trace and span ids as hex strings instead of base64).
#pragma once

#include <google/protobuf/message.h>

#include <optional>
#include <string>
#include <string_view>

namespace loupe::exporting::otlp {

enum class Encoding { Protobuf, Json };

// "http/protobuf" or "http/json"; nullopt for anything else ("grpc" too).
std::optional<Encoding> encoding_from_string(std::string_view s);
std::string_view to_string(Encoding e);
std::string_view content_type(Encoding e);

// Throws std::runtime_error if the message cannot be encoded (never for
// messages this exporter builds).
std::string encode(const google::protobuf::Message& m, Encoding e);

}  // namespace loupe::exporting::otlp
