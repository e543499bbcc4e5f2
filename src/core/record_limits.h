// The most bytes each text field of a record may hold, and the one function
// that makes a record's text safe to keep: valid UTF-8 within those limits.
//
// The limits are the parsers' own (the longest value any parser emits for
// that field, fuzz/protocol_fuzz_driver.h checks it), so a record from an
// honest agent never exceeds them; the server rejects ingested records that
// do (server/ingest_decode.h) rather than store whatever an agent sends.
#pragma once

#include <cstddef>
#include <span>
#include <string>

#include "core/record.h"

namespace loupe {

struct TextField {
  const char* name;  // the field's JSON key
  std::string Record::*member;
  size_t max_bytes;
};

// Why each limit is what it is (the parser that emits the longest value):
namespace text_limit {
constexpr size_t kName = 320;      // Kubernetes "Kind/name" (253-byte names), process names
constexpr size_t kAddr = 64;       // "[v6 with zone]:port"
constexpr size_t kMethod = 40;     // Redis command names (redis/command.h)
constexpr size_t kPath = 4096;     // SQL statement text (sql/statement.h); HTTP target 1024
constexpr size_t kRoute = 1024;    // HTTP route template (http1/route_template.cpp)
constexpr size_t kHost = 256;      // HTTP Host (http1/parser.h)
constexpr size_t kCode = 64;       // Redis error prefix (redis/parser.cpp)
constexpr size_t kMessage = 1100;  // "SEVERITY: " + 1024 bytes of PostgreSQL message
constexpr size_t kDetail = 8192;   // 16 DNS answers of up to 255-byte names, escaped
constexpr size_t kTraceId = 32;    // W3C trace id in hex
}  // namespace text_limit

// Every text field of Record with its limit. In the header, not behind a
// call: a loop over it with `#pragma GCC unroll` becomes one test per
// field at a constant offset (the capture path's cleaning and encoding
// run such loops on every record).
inline constexpr TextField kRecordTextFields[] = {
    {"comm", &Record::comm, text_limit::kName},
    {"local_addr", &Record::local_addr, text_limit::kAddr},
    {"remote_addr", &Record::remote_addr, text_limit::kAddr},
    {"method", &Record::method, text_limit::kMethod},
    {"path", &Record::path, text_limit::kPath},
    {"route", &Record::route, text_limit::kRoute},
    {"host", &Record::host, text_limit::kHost},
    {"error_code", &Record::error_code, text_limit::kCode},
    {"error_message", &Record::error_message, text_limit::kMessage},
    {"detail", &Record::detail, text_limit::kDetail},
    {"trace_id", &Record::trace_id, text_limit::kTraceId},
    {"node", &Record::node, text_limit::kName},
    {"namespace", &Record::namespace_, text_limit::kName},
    {"pod", &Record::pod, text_limit::kName},
    {"container", &Record::container, text_limit::kName},
    {"workload", &Record::workload, text_limit::kName},
    {"service", &Record::service, text_limit::kName},
    {"remote_namespace", &Record::remote_namespace, text_limit::kName},
    {"remote_pod", &Record::remote_pod, text_limit::kName},
    {"remote_workload", &Record::remote_workload, text_limit::kName},
    {"remote_service", &Record::remote_service, text_limit::kName},
};

constexpr std::span<const TextField> record_text_fields() { return kRecordTextFields; }

// Makes every text field valid UTF-8 of at most its limit (invalid bytes
// become U+FFFD, cuts fall on character boundaries). Cheap when nothing
// needs changing.
void clean_record_text(Record& r);

// The first text field longer than its limit, or nullptr.
const TextField* oversize_field(const Record& r);

}  // namespace loupe
