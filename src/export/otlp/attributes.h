// Attribute helpers shared by OTLP spans and log records: one spelling of
// the Kubernetes workload keys and of the SDK's own resource attributes.
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>

#include "opentelemetry/proto/common/v1/common.pb.h"

namespace loupe::exporting::otlp {

using Attributes = google::protobuf::RepeatedPtrField<opentelemetry::proto::common::v1::KeyValue>;

// Adds key=value; an empty value is left out (OTLP has no "unset" string).
void put(Attributes& attrs, std::string_view key, std::string_view value);
void put_int(Attributes& attrs, std::string_view key, int64_t value);
void put_bool(Attributes& attrs, std::string_view key, bool value);

// "Deployment/api" -> ("k8s.deployment.name", "api") for the kinds the
// semantic conventions name; other kinds give an empty key.
std::pair<std::string_view, std::string_view> workload_attribute(std::string_view workload);

// telemetry.sdk.name = loupe, .language, .version.
void put_sdk(Attributes& attrs);

}  // namespace loupe::exporting::otlp
