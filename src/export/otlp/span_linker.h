// Gives the spans the OTLP exporter sends the parents and trace ids that
// /api/v1/traces shows (docs/traces.md), so an OTLP backend draws the same
// trees. Each record is held `delay` after it arrives, because the records
// it was made on behalf of end (and arrive) after it; then the trace
// assembler goes up from it through the records of a window in memory
// (traces/record_window.h). A span whose parent arrives later than that is
// sent as a root of its own.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <vector>

#include "export/otlp/span_mapping.h"
#include "traces/assembler.h"
#include "traces/record_window.h"

namespace loupe::exporting::otlp {

class SpanLinker {
 public:
  using Clock = std::chrono::steady_clock;
  // `max_window_bytes`: memory for the records spans are linked through.
  SpanLinker(std::chrono::milliseconds delay, size_t max_window_bytes);

  void add(SpanSource s, size_t bytes, Clock::time_point now);
  // The spans whose wait is over at `now` (every held one when `all`),
  // oldest first, at most `max`, with trace_id and parent_span_id set.
  // `bytes` gets the memory they held (as given to add).
  std::vector<SpanSource> take_due(Clock::time_point now, size_t max, bool all, size_t& bytes);

  size_t held() const { return held_.size(); }
  // Forgets the held spans (stop ran out of time); returns how many.
  size_t drop_held();
  const traces::RecordWindow& window() const { return window_; }

 private:
  struct Held {
    SpanSource span;
    size_t bytes;
    Clock::time_point due;
  };
  uint64_t ticks(Clock::time_point t) const;

  std::chrono::milliseconds delay_;
  std::deque<Held> held_;
  traces::RecordWindow window_;
  traces::TraceAssembler assembler_;
};

}  // namespace loupe::exporting::otlp
