// The API's description: src/server/openapi/openapi.yaml (OpenAPI 3.1),
// embedded into the binary at build time. The server answers it as
// GET /api/v1/openapi.json; tests compare it with the router's routes and
// validate real responses against it; the UI's types are generated from
// the same file.
#pragma once

#include <nlohmann/json.hpp>

namespace loupe::server {

// The document as JSON (parsed once; the YAML is part of the build, so a
// syntax error in it fails the first call, which the unit tests make).
const nlohmann::json& openapi_document();

}  // namespace loupe::server
