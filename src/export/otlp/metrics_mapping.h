// The request metrics (export/request_metrics.h) as one OTLP metrics
// request: one resource per service.name; histograms with the explicit
// bounds of export/latency_buckets.h and the sums loupe.requests and
// loupe.request.errors, all cumulative since `start_ns`.
#pragma once

#include <cstdint>
#include <vector>

#include "export/request_metrics.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"

namespace loupe::exporting::otlp {

// Returns the number of data points written.
size_t fill_metrics(const std::vector<RequestMetrics::FamilySnapshot>& families, uint64_t start_ns,
                    uint64_t now_ns,
                    opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest& out);

}  // namespace loupe::exporting::otlp
