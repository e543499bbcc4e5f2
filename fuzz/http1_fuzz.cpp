// libFuzzer entry for the HTTP/1 parser: arbitrary bytes, cut into segments
// that go both ways, with random uncaptured tails, for both roles. Checks
// the invariants the agent relies on beyond "does not crash".
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "protocols/http1/http1.h"

namespace {

// Input layout: a stream of [control byte][len byte][len bytes of payload].
// control bit 0: direction; bits 1-2: uncaptured tail size class.
void run(loupe::Role role, const uint8_t* data, size_t size) {
  auto parser = loupe::http1::make_parser(role);
  std::vector<loupe::Record> out;
  size_t pos = 0;
  uint64_t ts = 1;
  while (pos + 2 <= size && !parser->finished()) {
    uint8_t ctl = data[pos];
    size_t len = data[pos + 1];
    pos += 2;
    if (len > size - pos) len = size - pos;
    loupe::Segment seg;
    seg.dir = (ctl & 1) ? loupe::Direction::Egress : loupe::Direction::Ingress;
    seg.ts_ns = ts++;
    seg.bytes = std::string_view(reinterpret_cast<const char*>(data + pos), len);
    static constexpr uint64_t kTails[] = {0, 0, 7, 100000};
    seg.length = len + kTails[(ctl >> 1) & 3];
    parser->feed(seg, out);
    pos += len;
  }
  parser->close(ts, out);
  for (const auto& r : out) {
    if (r.protocol != loupe::Protocol::Http1 || r.path.size() > 1024 || r.route.size() > 1024 ||
        r.end_ns < r.start_ns || (r.trace_id.size() != 0 && r.trace_id.size() != 32))
      std::abort();
  }
  if (parser->stats().records != out.size()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  run(loupe::Role::Server, data, size);
  run(loupe::Role::Client, data, size);
  return 0;
}
