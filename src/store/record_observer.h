// Sees every record the store commits, with the names the record pipeline
// gave it (pipeline/record_pipeline.h): the resolved service (callee for
// client records), the caller and the route after the cardinality caps. The Prometheus request
// metrics (export/request_metrics.h) and the OTLP exporter (export/otlp/) count from here, so their
// service and route names are the ones /api/v1 queries take.
#pragma once

#include <string_view>
#include <vector>

#include "core/record.h"
#include "store/resolved_batch.h"
#include "store/service_identity.h"

namespace loupe::store {

struct ObservedRecord {
  const Record& record;
  const ServiceIdentity& service;  // who served it (callee for client records)
  std::string_view caller;         // the caller's name (store/caller_identity.h)
  std::string_view route;          // record.route, or "{other}" past the per-service cap
};

class RecordObserver {
 public:
  virtual ~RecordObserver() = default;
  // Called on the pipeline's writer thread after each committed batch, once
  // per record; must be cheap and thread-safe against the observer's readers.
  virtual void observe(const ObservedRecord& r) = 0;
  // Every row of a committed batch, in the batch's order: what the
  // pipeline calls. One by one here; an observer that locks per record
  // locks once per batch instead (export/request_metrics.h).
  virtual void observe_batch(const ResolvedBatch& batch) {
    for (const ResolvedRecord& row : batch.rows) observe(observed(batch, row));
  }

 protected:
  static ObservedRecord observed(const ResolvedBatch& batch, const ResolvedRecord& row) {
    return {batch.records[row.index], *row.service, row.caller->stable_name, row.route};
  }
};

// Several observers behind the store's one: each sees every record, in
// the order added. The observers outlive it.
class RecordObservers : public RecordObserver {
 public:
  void add(RecordObserver* o) {
    if (o) observers_.push_back(o);
  }
  void observe(const ObservedRecord& r) override {
    for (RecordObserver* o : observers_) o->observe(r);
  }
  void observe_batch(const ResolvedBatch& batch) override {
    for (RecordObserver* o : observers_) o->observe_batch(batch);
  }

 private:
  std::vector<RecordObserver*> observers_;
};

}  // namespace loupe::store
