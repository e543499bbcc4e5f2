#include "pipeline/record_pipeline.h"

namespace loupe::pipeline {

RecordPipeline::RecordPipeline(store::Store& store, PipelineOptions options)
    : store_(store), options_(options), resolver_(options.resolve) {
  reseed();
}

void RecordPipeline::reseed() {
  seed_generation_ = store_.seed_generation();
  resolver_.seed(store_.resolver_seed());
  stale_ = false;
}

void RecordPipeline::write(const store::BatchRecords& records, store::IngestBookkeeping* book) {
  if (records.empty() && !book) return;
  if (stale_ || store_.seed_generation() != seed_generation_) reseed();
  store::ResolvedBatch& batch = batch_;
  resolver_.resolve(records, batch);
  try {
    store_.write_batch(batch, book);
  } catch (...) {
    // The resolver learnt services the store did not keep (it would not
    // register them again): start again from what the store holds.
    stale_ = true;
    try {
      reseed();
    } catch (...) {
      // Still stale; the next write tries again. The write's error is the
      // one to report.
    }
    throw;
  }
  if (options_.observer) options_.observer->observe_batch(batch);
  // Rows are kept for the next round while rounds fill them: a saturated
  // host's rounds (~18k records every 200 ms) rebuilt a vector of over
  // kKeptRows every time (default-constructed, faulted in, unmapped:
  // ~15% of `loupe run`'s writer thread). Past kKeptRows, a round that used
  // less than half of them gives them back: a burst's 50k rows (~11 MB)
  // are not kept resident once it is over.
  if (batch.rows.capacity() > kKeptRows && batch.rows.size() * 2 < batch.rows.capacity())
    batch.rows = {};
}

}  // namespace loupe::pipeline
