// One stored log entry as one OTLP log record, per the OpenTelemetry
// semantic conventions (docs/export.md#logs lists every field):
//   - time and observed time, severity number and text from the level,
//     the text as a string body;
//   - log.iostream (stdout/stderr), log.file.path, loupe.truncated;
// The resource says who printed it: service.name (the Loupe service of its
// workload, else its pod or the unit or file it came from), the Kubernetes
// names (k8s.namespace.name, k8s.pod.name, k8s.pod.uid, k8s.container.name,
// k8s.deployment.name..., k8s.node.name).
#pragma once

#include <cstdint>
#include <string>

#include "logs/log_entry.h"
#include "opentelemetry/proto/logs/v1/logs.pb.h"
#include "opentelemetry/proto/resource/v1/resource.pb.h"

namespace loupe::exporting::otlp {

// Entries with equal keys share one ResourceLogs entry of a request.
std::string resource_key(const logs::Entry& e);
void fill_resource(const logs::Entry& e, opentelemetry::proto::resource::v1::Resource& out);

// `observed_ns`: when Loupe stored it.
void fill_log_record(const logs::Entry& e, uint64_t observed_ns,
                     opentelemetry::proto::logs::v1::LogRecord& out);

}  // namespace loupe::exporting::otlp
