#include "traces/endpoint_calls.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "core/span_id.h"

namespace loupe::traces {
namespace {

void add_call(const store::StoredRequest& call,
              std::map<std::pair<std::string, std::string>, CallEdge>& edges) {
  if (call.caller.empty() || call.service.empty()) return;
  CallEdge& e = edges[{call.caller, call.service}];
  if (e.calls == 0) {
    e.caller = call.caller;
    e.callee = call.service;
  }
  const Record& r = call.record;
  if (std::find(e.protocols.begin(), e.protocols.end(), r.protocol) == e.protocols.end())
    e.protocols.push_back(r.protocol);
  ++e.calls;
  e.errors += r.error ? 1 : 0;
  e.durations_ns.push_back(r.duration_ns());
}

}  // namespace

void add_calls_below(const Trace& trace, uint64_t span_id,
                     std::map<std::pair<std::string, std::string>, CallEdge>& edges) {
  std::unordered_map<uint64_t, std::vector<const TraceSpan*>> children;
  const TraceSpan* top = nullptr;
  for (const TraceSpan& s : trace.spans) {
    if (s.span_id == span_id) top = &s;
    if (s.parent_span_id != 0) children[s.parent_span_id].push_back(&s);
  }
  if (top == nullptr) return;
  // The call that reached the endpoint: its client side when seen, else
  // the caller the server side names (an external or Kubernetes peer).
  const TraceSpan* parent = nullptr;
  for (const TraceSpan& s : trace.spans)
    if (top->parent_span_id != 0 && s.span_id == top->parent_span_id) parent = &s;
  if (parent != nullptr && parent->request.record.role == Role::Client)
    add_call(parent->request, edges);
  else
    add_call(top->request, edges);
  // Every client call below it is one edge's call (a server span below is
  // the other side of one of them).
  std::vector<const TraceSpan*> todo{top};
  std::unordered_set<uint64_t> seen{span_id};
  while (!todo.empty()) {
    const TraceSpan* s = todo.back();
    todo.pop_back();
    for (const TraceSpan* c : children[s->span_id]) {
      if (!seen.insert(c->span_id).second) continue;
      if (c->request.record.role == Role::Client) add_call(c->request, edges);
      todo.push_back(c);
    }
  }
}

EndpointCalls endpoint_calls(TraceAssembler& assembler,
                             const std::vector<store::StoredRequest>& requests,
                             const store::TimeRange& range) {
  std::map<std::pair<std::string, std::string>, CallEdge> edges;
  EndpointCalls out;
  // Requests of one trace (a job calling the endpoint in a loop) share
  // one assembly.
  std::vector<Trace> traces;
  std::unordered_map<uint64_t, size_t> trace_of_span;
  for (const store::StoredRequest& r : requests) {
    const uint64_t span_id = span_id_of(r.record);
    auto known = trace_of_span.find(span_id);
    if (known == trace_of_span.end()) {
      auto trace = assembler.trace(TraceAssembler::reference(r.record), range);
      if (!trace) continue;
      for (const TraceSpan& s : trace->spans) trace_of_span.emplace(s.span_id, traces.size());
      traces.push_back(std::move(*trace));
      known = trace_of_span.find(span_id);
      if (known == trace_of_span.end()) continue;
    }
    ++out.sampled;
    add_calls_below(traces[known->second], span_id, edges);
  }
  for (auto& [key, e] : edges) out.edges.push_back(std::move(e));
  std::stable_sort(out.edges.begin(), out.edges.end(),
                   [](const CallEdge& a, const CallEdge& b) { return a.calls > b.calls; });
  return out;
}

}  // namespace loupe::traces
