// Decoding POST /api/v1/ingest bodies: {"records": [record_to_json, ...]}.
#pragma once

#include <string_view>
#include <vector>

#include "core/metric.h"
#include "core/oom_kill.h"
#include "core/record.h"
#include "server/api_params.h"

namespace loupe::server {

// Throws ParamError naming the offending part ("body", "records",
// "records[3]") when the body is not the documented shape.
std::vector<Record> decode_ingest_body(std::string_view body);

// POST /api/v1/metrics/ingest: {"samples": [MetricSample...], "oom_kills": [OomKill...]}
// (either may be absent). Throws ParamError like decode_ingest_body.
struct MetricIngest {
  std::vector<MetricSample> samples;
  std::vector<OomKill> oom_kills;
};
MetricIngest decode_metric_ingest(std::string_view body);

}  // namespace loupe::server
