#include "cli/record_text.h"

#include <cstdio>
#include <ctime>

namespace loupe::cli {

std::string format_duration(uint64_t ns) {
  char buf[32];
  if (ns < 1'000)
    std::snprintf(buf, sizeof buf, "%luns", static_cast<unsigned long>(ns));
  else if (ns < 1'000'000)
    std::snprintf(buf, sizeof buf, "%.1fus", static_cast<double>(ns) / 1e3);
  else if (ns < 1'000'000'000)
    std::snprintf(buf, sizeof buf, "%.2fms", static_cast<double>(ns) / 1e6);
  else
    std::snprintf(buf, sizeof buf, "%.2fs", static_cast<double>(ns) / 1e9);
  return buf;
}

namespace {

// Captured text may hold control characters (a Redis key can be any
// bytes); on a terminal they could move the cursor or recolour it.
std::string printable(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return out;
}

}  // namespace

std::string format_record_text(const Record& r) {
  time_t secs = static_cast<time_t>(r.start_ns / 1'000'000'000ULL);
  struct tm tm {};
  localtime_r(&secs, &tm);
  char when[32];
  std::snprintf(when, sizeof when, "%02d:%02d:%02d.%06lu", tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<unsigned long>(r.start_ns % 1'000'000'000ULL / 1000));
  std::string outcome;
  if (r.status != 0) outcome = std::to_string(r.status);
  if (!r.error_code.empty()) outcome += (outcome.empty() ? "" : " ") + r.error_code;
  if (outcome.empty()) outcome = r.error ? "error" : "ok";
  std::string line = std::string(when) + " " + std::string(to_string(r.role)) + " " +
                     printable(r.comm) + "[" + std::to_string(r.pid) + "] " + r.local_addr +
                     (r.role == Role::Server ? " <- " : " -> ") + r.remote_addr + " " +
                     std::string(to_string(r.protocol)) + (r.tls ? "+tls" : "") + " " +
                     printable(r.method) + " " + printable(r.path) + " " + outcome + " " +
                     format_duration(r.duration_ns()) + " " + std::to_string(r.req_bytes) + "B/" +
                     std::to_string(r.resp_bytes) + "B";
  if (!r.detail.empty()) line += " " + printable(r.detail);
  if (!r.error_message.empty()) line += " \"" + printable(r.error_message) + "\"";
  return line;
}

}  // namespace loupe::cli
