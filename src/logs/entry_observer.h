// Sees every batch of log entries the store has taken, with the Kubernetes
// names and patterns the server gave them. The OTLP exporter
// (export/otlp/exporter.h) sends logs from here.
#pragma once

#include <vector>

#include "logs/log_entry.h"

namespace loupe::logs {

class EntryObserver {
 public:
  virtual ~EntryObserver() = default;
  // Called on the ingest thread after the store wrote the batch; must be
  // cheap (copy what is needed, never wait on the network).
  virtual void observe(const std::vector<Entry>& stored) = 0;
};

}  // namespace loupe::logs
