// Decoding POST /api/v1/ingest bodies: {"records": [record_to_json, ...]}.
#pragma once

#include <string_view>
#include <vector>

#include "core/record.h"
#include "server/api_params.h"

namespace loupe::server {

// Throws ParamError naming the offending part ("body", "records",
// "records[3]") when the body is not the documented shape.
std::vector<Record> decode_ingest_body(std::string_view body);

}  // namespace loupe::server
