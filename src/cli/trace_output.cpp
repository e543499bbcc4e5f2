#include "cli/trace_output.h"

#include <algorithm>

#include "cli/record_text.h"
#include "core/record_json.h"

namespace loupe::cli {
namespace {

bool contains(const std::vector<std::string>& v, std::string_view x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

}  // namespace

TraceOutput::TraceOutput(std::FILE* out, Format format, Filter filter)
    : out_(out), format_(format), filter_(std::move(filter)) {
  // print() hands a whole batch (up to ~600 KB at saturation) to fwrite at
  // once. Through stdio's 4 KiB buffer that was three write(2)s, its first
  // 4 KiB and its last partial block copied into the buffer on the way;
  // unbuffered, it is one write(2) straight from lines_ (strace of `loupe
  // trace -o json > file` under wrk, docs/benchmarks.md "tracejson2").
  std::setvbuf(out_, nullptr, _IONBF, 0);
}

bool TraceOutput::wanted(const Record& r) const {
  // Without a list, not even the protocol's name is looked up.
  return (filter_.comms.empty() || contains(filter_.comms, r.comm)) &&
         (filter_.protocols.empty() || contains(filter_.protocols, to_string(r.protocol)));
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
  lines_.clear();
}

}  // namespace loupe::cli
