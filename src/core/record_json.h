// The JSON shape of a record: the one used by `loupe trace --format json`,
// the agent -> server wire format and /api/v1/requests. Keys are documented
// in docs/api.md.
#pragma once

#include <nlohmann/json.hpp>

#include "core/record.h"

namespace loupe {

nlohmann::json record_to_json(const Record& r);
// Missing keys keep their defaults; wrong types throw nlohmann::json::exception.
Record record_from_json(const nlohmann::json& j);

}  // namespace loupe
