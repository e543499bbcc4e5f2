// Zero-code distributed traces: records linked into trees at query time,
// from what the kernel showed, with no header injected (docs/traces.md):
//
//   - inside a process: a client record made by the thread that served a
//     server record, between that request's first read and last write, is
//     its child ("thread" link; the same node, pid and tid);
//   - across processes and nodes: the server record of the connection a
//     client record used (its local and remote addresses swapped), within
//     the client's time span (a clock skew allowed between nodes), is the
//     client's child ("connection" link).
//
// Each record's span id is span_id_of(record) (core/span_id.h). A trace's
// id is its root's traceparent trace id when the root had one (so Loupe's
// traces merge with instrumented services'), else the root's start time
// and span id in hex (16 + 16 digits): any record's "start+span" reference
// names the trace it belongs to. Where a link is a guess (one thread
// served overlapping requests, as event loops do; or several server
// records fit one client call) the child is marked `ambiguous`.
//
// Linking reads a record source at query time (the store for the API,
// a window of recent records for OTLP export: record_window.h), so records
// may arrive in any order and from any agent; nothing is written per
// record for it.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.h"

namespace loupe::traces {

struct TraceOptions {
  uint64_t skew_ns = 100'000'000;  // clock difference allowed between two nodes
  // Both sides of a connection on one node are stamped when their syscalls
  // return: the reader woken by a write can return before the writer does.
  uint64_t same_host_slack_ns = 10'000'000;
  // A server read the request at most this long after its client wrote it.
  uint64_t call_lookback_ns = 1'000'000'000;
  // The longest request whose calls find it going up (a parent lookup).
  uint64_t request_lookback_ns = 30'000'000'000;
  size_t max_spans = 2000;      // per trace; beyond it `truncated`
  size_t max_depth = 32;        // parent hops to the root
  size_t window_limit = 20000;  // records read per lookup
};

struct TraceSpan {
  store::StoredRequest request;
  uint64_t span_id = 0;
  uint64_t parent_span_id = 0;  // 0: a root
  std::string_view link;        // "thread", "connection", or "" for a root
  bool ambiguous = false;       // more than one parent fitted; the likeliest was taken
};

struct Trace {
  std::string trace_id;
  std::vector<TraceSpan> spans;  // by start time
  bool truncated = false;
};

// Where one record sits in its trace.
struct Placement {
  std::string trace_id;         // as Trace::trace_id
  uint64_t parent_span_id = 0;  // 0: a root
  std::string_view link;        // as TraceSpan::link
  bool ambiguous = false;
};

struct TraceSummary {
  std::string trace_id;
  TraceSpan root;
};

class TraceAssembler {
 public:
  using RecordSource = std::function<std::vector<store::StoredRequest>(const store::RequestQuery&)>;
  explicit TraceAssembler(RecordSource source, TraceOptions options = {});

  // The trace a trace id names: a Loupe id (any span's start+span
  // reference), else a traceparent trace id looked up in `range`.
  std::optional<Trace> trace(std::string_view trace_id, const store::TimeRange& range);
  // Traces with a server span of `service` (any, if unset) lasting at
  // least `min_duration_ns`, started in `range`, newest first.
  std::vector<TraceSummary> find(const std::optional<std::string>& service,
                                 uint64_t min_duration_ns, const store::TimeRange& range,
                                 size_t limit);

  // Its parent and its trace's id, found going up from `r` only (what the
  // OTLP exporter sends with each span).
  Placement place(const Record& r);

  // "<start hex><span id hex>" of a record.
  static std::string reference(const Record& r);

 private:
  struct Link {
    store::StoredRequest request;
    bool ambiguous = false;
  };
  std::optional<Link> parent_of(const Record& r);
  // Of the other sides of r's connection, the one of r's exchange.
  std::optional<Link> best_exchange(const Record& r, std::vector<store::StoredRequest> other_sides);
  uint64_t tolerance(const Record& a, const Record& b) const;
  std::vector<Link> children_of(const Record& r);
  store::StoredRequest root_of(store::StoredRequest r);
  std::string trace_id_of_root(const Record& root) const;
  // Adds `root` and everything below it to `out` (skipping spans in `seen`).
  void assemble(store::StoredRequest root, Trace& out, std::vector<uint64_t>& seen);
  std::optional<store::StoredRequest> by_reference(std::string_view id);
  std::vector<store::StoredRequest> read(store::RequestQuery q);

  RecordSource source_;
  TraceOptions options_;
};

}  // namespace loupe::traces
