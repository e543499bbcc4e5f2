#include "cli/trace_output.h"

#include <algorithm>

#include "cli/record_text.h"
#include "core/record_json.h"

namespace loupe::cli {
namespace {

bool contains_or_empty(const std::vector<std::string>& v, std::string_view x) {
  return v.empty() || std::find(v.begin(), v.end(), x) != v.end();
}

}  // namespace

TraceOutput::TraceOutput(std::FILE* out, Format format, Filter filter)
    : out_(out), format_(format), filter_(std::move(filter)) {}

bool TraceOutput::wanted(const Record& r) const {
  return contains_or_empty(filter_.comms, r.comm) &&
         contains_or_empty(filter_.protocols, to_string(r.protocol));
}

void TraceOutput::print(std::span<const Record> batch) {
  for (const Record& r : batch) {
    if (!wanted(r)) continue;
    if (format_ == Format::Json)
      append_record_json(lines_, r);
    else
      lines_ += format_record_text(r);
    lines_ += '\n';
    ++printed_;
  }
  if (lines_.empty()) return;
  std::fwrite(lines_.data(), 1, lines_.size(), out_);
  std::fflush(out_);
  lines_.clear();
}

}  // namespace loupe::cli
