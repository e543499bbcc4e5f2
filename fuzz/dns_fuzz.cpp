// Fuzzes the DNS parser: the input is split into segments, each with a
// direction, a captured length and a wire length (so gaps are exercised),
// for a parser of each role. Also runs detection on the raw bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "protocols/dns/dns.h"

namespace {

void run(const uint8_t* data, size_t size, loupe::Role role) {
  auto parser = loupe::dns::make_parser(role);
  std::vector<loupe::Record> out;
  size_t i = 0;
  uint64_t ts = 1;
  // Each segment: 1 control byte (direction, gap flag), 1 length byte, bytes.
  while (i + 2 <= size) {
    uint8_t ctl = data[i], len = data[i + 1];
    i += 2;
    size_t n = len < size - i ? len : size - i;
    loupe::Segment seg;
    seg.dir = (ctl & 1) ? loupe::Direction::Egress : loupe::Direction::Ingress;
    seg.ts_ns = ts++;
    seg.bytes = std::string_view(reinterpret_cast<const char*>(data + i), n);
    seg.length = n + ((ctl & 2) ? (uint64_t{ctl} << 4) : 0);
    i += n;
    parser->feed(seg, out);
    if (out.size() > 4096) out.clear();
  }
  parser->close(ts, out);
  (void)parser->stats();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view raw(reinterpret_cast<const char*>(data), size);
  for (auto role : {loupe::Role::Client, loupe::Role::Server, loupe::Role::Unknown}) {
    (void)loupe::dns::detect(raw, loupe::Direction::Ingress, role);
    run(data, size, role);
  }
  return 0;
}
