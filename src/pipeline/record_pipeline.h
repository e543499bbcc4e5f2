// The record pipeline's write side: resolve (pipeline/resolver.h), then
// persist (Store::write_batch), then tell the observers (Prometheus request
// metrics, OTLP) about every committed record with the names it was stored
// under. `loupe run`'s capture and the server's ingest both end here,
// through the ingest queue's writer thread (pipeline/ingest_queue.h), so
// records are named the same way whichever way they came and whichever
// backend keeps them. Enrichment with Kubernetes names happens before, when
// records are queued (docs/architecture.md, "The record pipeline").
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/record.h"
#include "pipeline/resolver.h"
#include "store/batch_records.h"
#include "store/record_observer.h"
#include "store/store.h"

namespace loupe::pipeline {

struct PipelineOptions {
  ResolveOptions resolve;
  // Told about every committed record with its resolved names (may be null;
  // must outlive the pipeline).
  store::RecordObserver* observer = nullptr;
};

class RecordPipeline {
 public:
  // Seeds the resolver from what `store` holds. Throws StoreError.
  explicit RecordPipeline(store::Store& store, PipelineOptions options = {});

  // Resolves `records` (one vector, or the several an ingest round took)
  // and stores them in one transaction with `book` (when given), then tells
  // the observer. The records are read, not copied or moved. Throws
  // StoreError (nothing was stored; the resolver starts again from what the
  // store holds). One thread at a time.
  void write(const store::BatchRecords& records, store::IngestBookkeeping* book = nullptr);
  void write(const std::vector<Record>& records, store::IngestBookkeeping* book = nullptr) {
    write(store::BatchRecords(records), book);
  }

  store::Store& store() { return store_; }

 private:
  // Reads the resolver's seed from the store again.
  void reseed();

  store::Store& store_;
  PipelineOptions options_;
  Resolver resolver_;
  // The last batch's rows, kept with their capacity for the next one (up
  // to kKeptRows always, more while rounds use at least half of it).
  static constexpr size_t kKeptRows = 16384;
  store::ResolvedBatch batch_;
  uint64_t seed_generation_ = 0;
  bool stale_ = false;  // reseeding after a failed write failed too: try again next write
};

}  // namespace loupe::pipeline
