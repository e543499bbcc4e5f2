// The most bytes each text field of a record may hold, and the one function
// that makes a record's text safe to keep: valid UTF-8 within those limits.
//
// The limits are the parsers' own (the longest value any parser emits for
// that field, fuzz/protocol_fuzz_driver.h checks it), so a record from an
// honest agent never exceeds them; the server rejects ingested records that
// do (server/ingest_decode.h) rather than store whatever an agent sends.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/record.h"

namespace loupe {

// Where a text field lives: in the record, or in one side's identity.
enum class TextSide : uint8_t { Record, Local, Remote };

struct TextField {
  const char* name;  // the field's JSON key
  TextSide side;
  std::string Record::*member;     // side Record
  std::string PodIdentity::*part;  // sides Local and Remote
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

// Every text field of a record with its limit, in the order the codecs
// write them (the identities' fields last, as they were the record's). In the header, not behind a
// call: a loop over it with `#pragma GCC unroll` becomes one test per
// field at a constant offset (the capture path's cleaning and encoding
// run such loops on every record).
inline constexpr TextField kRecordTextFields[] = {
    {"comm", TextSide::Record, &Record::comm, nullptr, text_limit::kName},
    {"local_addr", TextSide::Record, &Record::local_addr, nullptr, text_limit::kAddr},
    {"remote_addr", TextSide::Record, &Record::remote_addr, nullptr, text_limit::kAddr},
    {"method", TextSide::Record, &Record::method, nullptr, text_limit::kMethod},
    {"path", TextSide::Record, &Record::path, nullptr, text_limit::kPath},
    {"route", TextSide::Record, &Record::route, nullptr, text_limit::kRoute},
    {"host", TextSide::Record, &Record::host, nullptr, text_limit::kHost},
    {"error_code", TextSide::Record, &Record::error_code, nullptr, text_limit::kCode},
    {"error_message", TextSide::Record, &Record::error_message, nullptr, text_limit::kMessage},
    {"detail", TextSide::Record, &Record::detail, nullptr, text_limit::kDetail},
    {"trace_id", TextSide::Record, &Record::trace_id, nullptr, text_limit::kTraceId},
    {"node", TextSide::Local, nullptr, &PodIdentity::node, text_limit::kName},
    {"namespace", TextSide::Local, nullptr, &PodIdentity::namespace_, text_limit::kName},
    {"pod", TextSide::Local, nullptr, &PodIdentity::pod, text_limit::kName},
    {"container", TextSide::Local, nullptr, &PodIdentity::container, text_limit::kName},
    {"workload", TextSide::Local, nullptr, &PodIdentity::workload, text_limit::kName},
    {"service", TextSide::Local, nullptr, &PodIdentity::service, text_limit::kName},
    {"remote_namespace", TextSide::Remote, nullptr, &PodIdentity::namespace_, text_limit::kName},
    {"remote_pod", TextSide::Remote, nullptr, &PodIdentity::pod, text_limit::kName},
    {"remote_workload", TextSide::Remote, nullptr, &PodIdentity::workload, text_limit::kName},
    {"remote_service", TextSide::Remote, nullptr, &PodIdentity::service, text_limit::kName},
};

constexpr std::span<const TextField> record_text_fields() { return kRecordTextFields; }

// The field's value in `r` (empty when the record has no such identity).
// Inline: in the unrolled loops over the table the side is a constant.
inline std::string_view text_of(const Record& r, const TextField& f) {
  if (f.side == TextSide::Record) return r.*f.member;
  const PodIdentity* id = (f.side == TextSide::Local ? r.local_identity : r.remote_identity).get();
  return id ? std::string_view(id->*f.part) : std::string_view();
}

// Sets the field in `r`; an identity field gives the record a copy of that
// identity with it changed, not interned (edit(), core/pod_identity.h):
// for tests and rare repairs, not for every record.
void set_text(Record& r, const TextField& f, std::string_view value);

// Makes every text field valid UTF-8 of at most its limit (invalid bytes
// become U+FFFD, cuts fall on character boundaries). Cheap when nothing
// needs changing.
void clean_record_text(Record& r);

// The first text field longer than its limit, or nullptr.
const TextField* oversize_field(const Record& r);

}  // namespace loupe
