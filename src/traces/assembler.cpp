#include "traces/assembler.h"

#include <algorithm>
#include <charconv>

#include "core/span_id.h"

namespace loupe::traces {
namespace {

bool same_host(const Record& a, const Record& b) { return a.node() == b.node(); }

// [s.start, s.end] holds [c.start, c.end], with `tol` of slack each side.
bool holds(const Record& s, const Record& c, uint64_t tol) {
  return s.start_ns <= c.start_ns + tol && c.end_ns <= s.end_ns + tol;
}

// How long two records share (negative: the gap between them).
int64_t overlap_ns(const Record& a, const Record& b) {
  return static_cast<int64_t>(std::min(a.end_ns, b.end_ns)) -
         static_cast<int64_t>(std::max(a.start_ns, b.start_ns));
}

bool is_w3c_trace_id(std::string_view id) {
  return id.size() == 32 && id.find_first_not_of("0123456789abcdef") == std::string_view::npos &&
         id.find_first_not_of('0') != std::string_view::npos;
}

std::optional<uint64_t> hex64(std::string_view s) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// A connection a record's client side can be matched on (TCP: not DNS).
bool has_server_side(const Record& r) { return r.protocol != Protocol::Dns; }

}  // namespace

TraceAssembler::TraceAssembler(RecordSource source, TraceOptions options)
    : source_(std::move(source)), options_(options) {}

std::string TraceAssembler::reference(const Record& r) {
  return span_id_hex(r.start_ns) + span_id_hex(span_id_of(r));
}

std::vector<store::StoredRequest> TraceAssembler::read(store::RequestQuery q) {
  q.limit = options_.window_limit;
  return source_(q);
}

uint64_t TraceAssembler::tolerance(const Record& a, const Record& b) const {
  return same_host(a, b) ? options_.same_host_slack_ns : options_.skew_ns;
}

std::optional<TraceAssembler::Link> TraceAssembler::best_exchange(
    const Record& r, std::vector<store::StoredRequest> other_sides) {
  // The other side that shares the most time with `r` is the same exchange;
  // a runner-up sharing at least half as much is a guess (pipelining,
  // HTTP/2 streams, or clocks too coarse to tell).
  std::optional<Link> best;
  int64_t best_overlap = 0, runner_up = 0;
  bool have_runner_up = false;
  for (auto& o : other_sides) {
    const Record& client = r.role == Role::Client ? r : o.record;
    const Record& server = r.role == Role::Client ? o.record : r;
    if (!holds(client, server, tolerance(client, server))) continue;
    int64_t overlap = overlap_ns(client, server);
    if (!best || overlap > best_overlap) {
      if (best) {
        runner_up = best_overlap;
        have_runner_up = true;
      }
      best = Link{std::move(o), false};
      best_overlap = overlap;
    } else if (!have_runner_up || overlap > runner_up) {
      runner_up = overlap;
      have_runner_up = true;
    }
  }
  if (best && have_runner_up && runner_up > 0 && 2 * runner_up >= best_overlap)
    best->ambiguous = true;
  return best;
}

std::optional<TraceAssembler::Link> TraceAssembler::parent_of(const Record& r) {
  store::RequestQuery q;
  if (r.role == Role::Server) {
    // The client side of this connection whose call spans this request.
    q.role = Role::Client;
    q.local_addr = r.remote_addr;
    q.remote_addr = r.local_addr;
    uint64_t back = options_.call_lookback_ns + options_.skew_ns;
    q.range = {r.start_ns > back ? r.start_ns - back : 0, r.start_ns + options_.skew_ns + 1};
    return best_exchange(r, read(q));
  }
  if (r.role != Role::Client || r.tid == 0) return std::nullopt;
  // The request the same thread was serving when it made this call.
  q.role = Role::Server;
  q.pid = r.pid;
  q.tid = r.tid;
  uint64_t back = options_.request_lookback_ns;
  q.range = {r.start_ns > back ? r.start_ns - back : 0, r.start_ns + 1};
  std::vector<store::StoredRequest> candidates;
  for (auto& s : read(q))
    if (same_host(s.record, r) && holds(s.record, r, 0)) candidates.push_back(std::move(s));
  if (candidates.empty()) return std::nullopt;
  // The innermost (latest started) request: the thread served several at
  // once (an event loop), so this is a guess.
  auto best = std::max_element(
      candidates.begin(), candidates.end(),
      [](const auto& a, const auto& b) { return a.record.start_ns < b.record.start_ns; });
  return Link{std::move(*best), candidates.size() > 1};
}

std::vector<TraceAssembler::Link> TraceAssembler::children_of(const Record& r) {
  std::vector<Link> out;
  store::RequestQuery q;
  if (r.role == Role::Server && r.tid != 0) {
    q.pid = r.pid;
    q.tid = r.tid;
    q.role = Role::Client;
    q.range = {r.start_ns, r.end_ns + 1};
    auto calls = read(q);
    if (calls.empty()) return out;
    // Other requests the same thread served meanwhile: an event loop, or
    // nested requests; each call goes to the innermost request holding it.
    q.role = Role::Server;
    uint64_t back = options_.request_lookback_ns;
    q.range = {r.start_ns > back ? r.start_ns - back : 0, r.end_ns + 1};
    std::vector<store::StoredRequest> overlapping;
    uint64_t self = span_id_of(r);
    for (auto& s : read(q))
      if (same_host(s.record, r) && s.record.start_ns <= r.end_ns &&
          s.record.end_ns >= r.start_ns && span_id_of(s.record) != self)
        overlapping.push_back(std::move(s));
    for (auto& c : calls) {
      const Record& call = c.record;
      if (!same_host(call, r) || !holds(r, call, 0)) continue;
      bool inner_elsewhere =
          std::any_of(overlapping.begin(), overlapping.end(), [&](const auto& s) {
            return holds(s.record, call, 0) && s.record.start_ns > r.start_ns;
          });
      if (inner_elsewhere) continue;
      bool shared = std::any_of(overlapping.begin(), overlapping.end(),
                                [&](const auto& s) { return holds(s.record, call, 0); });
      out.push_back({std::move(c), shared});
    }
  } else if (r.role == Role::Client && has_server_side(r)) {
    // The server side of the same exchange: one per client record.
    q.role = Role::Server;
    q.local_addr = r.remote_addr;
    q.remote_addr = r.local_addr;
    q.range = {r.start_ns > options_.skew_ns ? r.start_ns - options_.skew_ns : 0,
               r.end_ns + options_.skew_ns + 1};
    if (auto best = best_exchange(r, read(q))) out.push_back(std::move(*best));
  }
  return out;
}

store::StoredRequest TraceAssembler::root_of(store::StoredRequest r) {
  for (size_t hop = 0; hop < options_.max_depth; ++hop) {
    auto parent = parent_of(r.record);
    if (!parent) break;
    r = std::move(parent->request);
  }
  return r;
}

Placement TraceAssembler::place(const Record& r) {
  Placement out;
  auto parent = parent_of(r);
  if (!parent) {
    out.trace_id = trace_id_of_root(r);
    return out;
  }
  out.parent_span_id = span_id_of(parent->request.record);
  out.link = r.role == Role::Server ? "connection" : "thread";
  out.ambiguous = parent->ambiguous;
  out.trace_id = trace_id_of_root(root_of(std::move(parent->request)).record);
  return out;
}

std::string TraceAssembler::trace_id_of_root(const Record& root) const {
  return is_w3c_trace_id(root.trace_id) ? root.trace_id : reference(root);
}

void TraceAssembler::assemble(store::StoredRequest root, Trace& out, std::vector<uint64_t>& seen) {
  struct Pending {
    store::StoredRequest request;
    uint64_t parent;
    std::string_view link;
    bool ambiguous;
  };
  std::vector<Pending> stack;
  stack.push_back({std::move(root), 0, "", false});
  while (!stack.empty()) {
    Pending p = std::move(stack.back());
    stack.pop_back();
    uint64_t id = span_id_of(p.request.record);
    if (std::find(seen.begin(), seen.end(), id) != seen.end()) continue;
    if (out.spans.size() >= options_.max_spans) {
      out.truncated = true;
      break;
    }
    seen.push_back(id);
    std::string_view child_link = p.request.record.role == Role::Server ? "thread" : "connection";
    for (auto& c : children_of(p.request.record))
      stack.push_back({std::move(c.request), id, child_link, c.ambiguous});
    out.spans.push_back({std::move(p.request), id, p.parent, p.link, p.ambiguous});
  }
}

std::optional<store::StoredRequest> TraceAssembler::by_reference(std::string_view id) {
  if (id.size() != 32) return std::nullopt;
  auto start = hex64(id.substr(0, 16));
  auto span = hex64(id.substr(16));
  if (!start || !span) return std::nullopt;
  store::RequestQuery q;
  q.range = {*start, *start + 1};
  for (auto& r : read(q))
    if (span_id_of(r.record) == *span) return std::move(r);
  return std::nullopt;
}

std::optional<Trace> TraceAssembler::trace(std::string_view trace_id,
                                           const store::TimeRange& range) {
  Trace out;
  std::vector<uint64_t> seen;
  if (auto entry = by_reference(trace_id)) {
    store::StoredRequest root = root_of(std::move(*entry));
    out.trace_id = trace_id_of_root(root.record);
    assemble(std::move(root), out, seen);
  } else if (is_w3c_trace_id(trace_id)) {
    // Every record that carried this traceparent, with what Loupe links to it.
    store::RequestQuery q;
    q.trace_id = std::string(trace_id);
    q.range = range;
    auto entries = read(q);
    std::reverse(entries.begin(), entries.end());  // oldest first: roots before their calls
    for (auto& e : entries) {
      if (std::find(seen.begin(), seen.end(), span_id_of(e.record)) != seen.end()) continue;
      assemble(root_of(std::move(e)), out, seen);
    }
    out.trace_id = trace_id;
  }
  if (out.spans.empty()) return std::nullopt;
  std::sort(out.spans.begin(), out.spans.end(), [](const auto& a, const auto& b) {
    return a.request.record.start_ns < b.request.record.start_ns;
  });
  return out;
}

std::vector<TraceSummary> TraceAssembler::find(const std::optional<std::string>& service,
                                               uint64_t min_duration_ns,
                                               const store::TimeRange& range, size_t limit) {
  store::RequestQuery q;
  q.service = service;
  q.role = Role::Server;
  q.min_duration_ns = min_duration_ns;
  q.range = range;
  q.limit = limit * 4;  // several requests of one trace may match
  std::vector<TraceSummary> out;
  for (auto& r : source_(q)) {
    store::StoredRequest root = root_of(std::move(r));
    std::string id = trace_id_of_root(root.record);
    if (std::any_of(out.begin(), out.end(), [&](const auto& t) { return t.trace_id == id; }))
      continue;
    uint64_t span = span_id_of(root.record);
    out.push_back({std::move(id), {std::move(root), span, 0, "", false}});
    if (out.size() >= limit) break;
  }
  return out;
}

}  // namespace loupe::traces
