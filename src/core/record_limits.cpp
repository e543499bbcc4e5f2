#include "core/record_limits.h"

#include <cstdint>
#include <cstring>

#include "core/utf8.h"

namespace loupe {
namespace {

// Why each limit is what it is (the parser that emits the longest value):
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

constexpr TextField kFields[] = {
    {"comm", &Record::comm, kName},
    {"local_addr", &Record::local_addr, kAddr},
    {"remote_addr", &Record::remote_addr, kAddr},
    {"method", &Record::method, kMethod},
    {"path", &Record::path, kPath},
    {"route", &Record::route, kRoute},
    {"host", &Record::host, kHost},
    {"error_code", &Record::error_code, kCode},
    {"error_message", &Record::error_message, kMessage},
    {"detail", &Record::detail, kDetail},
    {"trace_id", &Record::trace_id, kTraceId},
    {"node", &Record::node, kName},
    {"namespace", &Record::namespace_, kName},
    {"pod", &Record::pod, kName},
    {"container", &Record::container, kName},
    {"workload", &Record::workload, kName},
    {"service", &Record::service, kName},
    {"remote_namespace", &Record::remote_namespace, kName},
    {"remote_pod", &Record::remote_pod, kName},
    {"remote_workload", &Record::remote_workload, kName},
    {"remote_service", &Record::remote_service, kName},
};

// Whether the `n` bytes at `s` (1..16) are all ASCII, read as two words
// that may overlap (ASCII is valid UTF-8).
bool short_ascii(const char* s, size_t n) {
  uint64_t a = 0, b = 0;
  if (n >= 8) {
    std::memcpy(&a, s, 8);
    std::memcpy(&b, s + n - 8, 8);
  } else if (n >= 4) {
    uint32_t x = 0, y = 0;
    std::memcpy(&x, s, 4);
    std::memcpy(&y, s + n - 4, 4);
    a = x;
    b = y;
  } else {
    for (size_t i = 0; i < n; ++i) a |= static_cast<unsigned char>(s[i]);
  }
  return ((a | b) & 0x8080808080808080ULL) == 0;
}

constexpr size_t kShortText = 16;
constexpr bool short_text_fits_every_field() {
  for (const TextField& f : kFields)
    if (f.max_bytes < kShortText) return false;
  return true;
}
static_assert(short_text_fits_every_field());

}  // namespace

std::span<const TextField> record_text_fields() { return kFields; }

void clean_record_text(Record& r) {
  // Every record passes here in the capture path, and most of its 21
  // fields are empty: no call for those, nor for short ASCII ones (a
  // method, a short path, a host), which are valid within any limit.
  // Unrolled, each field's place and limit are constants.
#pragma GCC unroll 32
  for (const TextField& f : kFields) {
    std::string& text = r.*f.member;
    const size_t n = text.size();
    if (n == 0 || (n <= kShortText && short_ascii(text.data(), n))) continue;
    utf8::make_valid(text, f.max_bytes);
  }
}

const TextField* oversize_field(const Record& r) {
  for (const TextField& f : kFields)
    if ((r.*f.member).size() > f.max_bytes) return &f;
  return nullptr;
}

}  // namespace loupe
