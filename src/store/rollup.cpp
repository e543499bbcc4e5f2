#include "store/rollup.h"

#include <functional>

namespace loupe::store {

size_t RollupKeyHash::operator()(const RollupKey& k) const {
  auto v = static_cast<size_t>(k.service_id);
  v = v * 1000003 + static_cast<size_t>(k.method_id);
  v = v * 1000003 + static_cast<size_t>(k.route_id);
  v = v * 31 + (static_cast<size_t>(k.protocol) << 1 | (k.counted ? 1 : 0));
  return v * 31 + static_cast<size_t>(k.minute_s);
}

void RollupCell::add(const Record& r) {
  ++count;
  if (r.error) ++errors;
  sum_ns += r.duration_ns();
  sketch.add(static_cast<double>(r.duration_ns()));
}

void RollupCell::merge(const RollupCell& o) {
  count += o.count;
  errors += o.errors;
  sum_ns += o.sum_ns;
  sketch.merge(o.sketch);
}

void RedAccumulator::add(uint64_t count, uint64_t errors, std::string_view sketch_bytes,
                         std::optional<int64_t> minute_s) {
  if (minute_s && count) minutes_.insert(*minute_s);
  count_ += count;
  errors_ += errors;
  sketch_.merge_serialized(sketch_bytes);
}

void RedAccumulator::add_active_minutes(int64_t hour_s, uint64_t minutes) {
  for (int i = 0; i < 60; ++i)
    if (minutes >> i & 1) minutes_.insert(hour_s + 60 * i);
}

RedSummary RedAccumulator::finish(double window_s) const {
  RedSummary r;
  r.requests = count_;
  r.errors = errors_;
  r.error_rate = count_ ? static_cast<double>(errors_) / static_cast<double>(count_) : 0;
  r.rate_per_s = window_s > 0 ? static_cast<double>(count_) / window_s : 0;
  r.active_s = static_cast<double>(minutes_.size()) * 60;
  if (r.active_s > window_s) r.active_s = window_s;  // a window shorter than its minutes
  r.active_rate_per_s = r.active_s > 0 ? static_cast<double>(count_) / r.active_s : 0;
  r.p50_ms = sketch_.quantile(0.50) / 1e6;
  r.p95_ms = sketch_.quantile(0.95) / 1e6;
  r.p99_ms = sketch_.quantile(0.99) / 1e6;
  return r;
}

}  // namespace loupe::store
