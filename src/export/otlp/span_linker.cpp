#include "export/otlp/span_linker.h"

namespace loupe::exporting::otlp {

SpanLinker::SpanLinker(std::chrono::milliseconds delay, size_t max_window_bytes)
    : delay_(delay),
      window_(max_window_bytes),
      assembler_([this](const store::RequestQuery& q) { return window_.find(q); }) {}

uint64_t SpanLinker::ticks(Clock::time_point t) const {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count());
}

void SpanLinker::add(SpanSource s, size_t bytes, Clock::time_point now) {
  window_.add({0, s.record, s.service, s.caller, true}, ticks(now));
  held_.push_back({std::move(s), bytes, now + delay_});
}

size_t SpanLinker::drop_held() {
  size_t n = held_.size();
  held_.clear();
  return n;
}

std::vector<SpanSource> SpanLinker::take_due(Clock::time_point now, size_t max, bool all,
                                             size_t& bytes) {
  std::vector<SpanSource> out;
  bytes = 0;
  while (!held_.empty() && out.size() < max && (all || held_.front().due <= now)) {
    Held h = std::move(held_.front());
    held_.pop_front();
    traces::Placement p = assembler_.place(h.span.record);
    h.span.trace_id = std::move(p.trace_id);
    h.span.parent_span_id = p.parent_span_id;
    bytes += h.bytes;
    out.push_back(std::move(h.span));
  }
  // A record is looked up by the spans that arrived up to `delay` before
  // it, each linked `delay` after its arrival.
  auto keep = 2 * delay_ + std::chrono::seconds(1);
  if (now.time_since_epoch() > keep) window_.evict_before(ticks(now - keep));
  return out;
}

}  // namespace loupe::exporting::otlp
