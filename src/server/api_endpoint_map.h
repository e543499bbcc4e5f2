// GET /api/v1/map?service=&route=: the service map of the calls made on
// behalf of one endpoint, from the traces of its newest requests
// (traces/endpoint_calls.h; docs/api.md#get-apiv1map).
#pragma once

#include <nlohmann/json.hpp>

#include "server/api_params.h"
#include "store/store.h"

namespace loupe::server {

// {"edges": [...], "endpoint": {service, route, sampled_requests}}; the
// edges as /api/v1/map's, with `calls_per_request`. Throws ParamError.
nlohmann::json endpoint_map(store::Store& store, const Params& p, const store::TimeRange& range);

}  // namespace loupe::server
