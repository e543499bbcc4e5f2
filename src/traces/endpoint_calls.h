// The calls made on behalf of one endpoint (GET /api/v1/map?service=&route=,
// docs/api.md#get-apiv1map): the service map drawn from the traces of the
// endpoint's newest requests instead of from every record. Each sampled
// request brings the call that reached it (its caller -> the endpoint's
// service) and every call below it in its trace; what its callers did for
// other reasons, and every other request's calls, are left out.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "traces/assembler.h"

namespace loupe::traces {

// One caller -> callee edge seen in the sampled traces.
struct CallEdge {
  std::string caller, callee;
  std::vector<Protocol> protocols;  // every protocol seen on the edge
  uint64_t calls = 0, errors = 0;
  std::vector<uint64_t> durations_ns;  // one per call
};

struct EndpointCalls {
  size_t sampled = 0;           // endpoint requests whose traces were read
  std::vector<CallEdge> edges;  // busiest first
};

// Adds the calls of the subtree of `trace` under the span `span_id` (one of
// the endpoint's requests), and the call that reached it, to `edges`.
void add_calls_below(const Trace& trace, uint64_t span_id,
                     std::map<std::pair<std::string, std::string>, CallEdge>& edges);

// The calls below each of `requests` (server records of one endpoint),
// their traces read through `assembler` within `range`.
EndpointCalls endpoint_calls(TraceAssembler& assembler,
                             const std::vector<store::StoredRequest>& requests,
                             const store::TimeRange& range);

}  // namespace loupe::traces
