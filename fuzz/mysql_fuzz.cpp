// libFuzzer entry for the mysql parser: arbitrary bytes cut into segments
// that go both ways, some with uncaptured tails, for every role. Also runs
// detection and the SQL normalizer on the raw bytes. Beyond "no crash",
// checks the invariants the agent relies on.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "protocols/mysql/mysql.h"
#include "protocols/sql/normalize.h"

namespace {

// Input layout: a stream of [control byte][len byte][len bytes of payload].
// control bit 0: direction; bits 1-3: uncaptured tail size class.
void run(const uint8_t* data, size_t size, loupe::Role role) {
  auto parser = loupe::mysql::make_parser(role);
  std::vector<loupe::Record> out;
  size_t i = 0;
  uint64_t ts = 1;
  while (i + 2 <= size) {
    const uint8_t ctl = data[i], len = data[i + 1];
    i += 2;
    const size_t n = len < size - i ? len : size - i;
    static constexpr uint64_t kTail[8] = {0, 0, 0, 1, 7, 300, 70000, 20000000};
    loupe::Segment seg;
    seg.dir = (ctl & 1) ? loupe::Direction::Egress : loupe::Direction::Ingress;
    seg.ts_ns = ts++;
    seg.bytes = std::string_view(reinterpret_cast<const char*>(data + i), n);
    seg.length = n + kTail[(ctl >> 1) & 7];
    i += n;
    parser->feed(seg, out);
    for (const auto& r : out) {
      if (r.end_ns < r.start_ns || r.route.size() > loupe::sql::kMaxNormalized) std::abort();
    }
    out.clear();
  }
  parser->close(ts, out);
  (void)parser->stats();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view raw(reinterpret_cast<const char*>(data), size);
  for (auto role : {loupe::Role::Client, loupe::Role::Server, loupe::Role::Unknown}) {
    (void)loupe::mysql::detect(raw, loupe::Direction::Ingress, role);
    (void)loupe::mysql::detect(raw, loupe::Direction::Egress, role);
    run(data, size, role);
  }
  const auto dialect = loupe::sql::Dialect::Mysql;
  if (loupe::sql::normalize_sql(raw, dialect).size() > loupe::sql::kMaxNormalized) std::abort();
  (void)loupe::sql::mask_sql_literals(raw, dialect);
  (void)loupe::sql::sql_operation(raw);
  return 0;
}
