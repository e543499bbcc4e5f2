// The one libFuzzer driver every protocol parser's fuzz target uses.
//
// Input layout: a stream of [control byte][length byte][length bytes]
// segments. Control bit 0 is the direction; bits 1-3 pick the size of an
// uncaptured tail (the syscall moved more bytes than were captured), so
// gaps are exercised. The bytes also go through detection both ways, and
// the segments through a StreamDetector (held bytes stay bounded). A
// parser of every role sees the same stream; beyond "no crash, no leak,
// no hang", the invariants the agent relies on are checked, plus the
// target's own per-record `check` on the parser's own records, which must
// also fit the record limits (core/record_limits.h: the server rejects
// longer ones); every text field of the records make_parser hands the
// agent (redacted, cleaned) must be valid UTF-8; and a parser taken at rest
// (ProtocolParser::rest), or suspended with requests waiting
// (ProtocolParser::suspend) and these resumed, for a new one, or for itself
// restarted, goes on as the kept one would have.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "core/record_limits.h"
#include "core/utf8.h"
#include "protocols/registry.h"
#include "protocols/stream_detector.h"
#include "same_records.h"

namespace loupe::fuzz {

// Uncaptured tail sizes a control byte picks (bits 1-3).
inline constexpr uint64_t kTail[8] = {0, 0, 0, 1, 7, 300, 70000, 20000000};

// Feeds `data` as segments (layout above) to `parser`, checking each record.
template <typename Check>
void run_stream(std::unique_ptr<ProtocolParser> parser, Protocol protocol, const uint8_t* data,
                size_t size, Check check) {
  std::string_view raw(reinterpret_cast<const char*>(data), size);
  std::vector<Record> out;
  uint64_t emitted = 0;
  auto verify = [&] {
    for (const Record& r : out) {
      // The http2 module reports gRPC calls as grpc records.
      const bool carried = protocol == Protocol::Http2 && r.protocol == Protocol::Grpc;
      if ((r.protocol != protocol && !carried) || r.end_ns < r.start_ns) std::abort();
      check(r);
    }
    emitted += out.size();
    out.clear();
  };
  size_t i = 0;
  uint64_t ts = 1;
  while (i + 2 <= size && !parser->finished()) {
    const uint8_t ctl = data[i], len = data[i + 1];
    i += 2;
    const size_t n = len < size - i ? len : size - i;
    Segment seg;
    seg.dir = (ctl & 1) ? Direction::Egress : Direction::Ingress;
    seg.ts_ns = ts++;
    seg.bytes = raw.substr(i, n);
    seg.length = n + kTail[(ctl >> 1) & 7];
    i += n;
    parser->feed(seg, out);
    verify();
  }
  parser->close(ts, out);
  verify();
  if (parser->stats().records != emitted) std::abort();
}

// The agent takes a parser at rest (or suspended, its waiting requests
// kept) from its connection and gives the connection's next bytes another
// one: the same records and counters as one parser kept throughout,
// whether the next is new or restarted.
inline void check_rest(Protocol protocol, Role role, const uint8_t* data, size_t size) {
  std::string_view raw(reinterpret_cast<const char*>(data), size);
  std::unique_ptr<ProtocolParser> kept = make_parser(protocol, role);
  std::unique_ptr<ProtocolParser> taken = make_parser(protocol, role);
  std::vector<Record> kept_out, taken_out;
  ParserStats totals;
  bool restarted = false;  // alternates: a new parser, then the same one restarted
  size_t i = 0;
  uint64_t ts = 1;
  while (i + 2 <= size) {
    const uint8_t ctl = data[i], len = data[i + 1];
    i += 2;
    const size_t n = len < size - i ? len : size - i;
    Segment seg{(ctl & 1) ? Direction::Egress : Direction::Ingress, ts++, raw.substr(i, n),
                n + kTail[(ctl >> 1) & 7]};
    i += n;
    kept->feed(seg, kept_out);
    taken->feed(seg, taken_out);
    std::unique_ptr<SuspendedExchanges> waiting;
    if (taken->rest(totals) || (waiting = taken->suspend(totals))) {
      if (taken->stats().records != 0) std::abort();
      if (!restarted) taken = make_parser(protocol, role);
      restarted = !restarted;
      if (waiting) taken->resume(std::move(waiting));
    }
  }
  kept->close(ts, kept_out);
  taken->close(ts, taken_out);
  totals += taken->stats();
  const ParserStats& k = kept->stats();
  if (!same_records(kept_out, taken_out) || k.records != totals.records ||
      k.parse_errors != totals.parse_errors || k.resyncs != totals.resyncs ||
      k.unmatched != totals.unmatched)
    std::abort();
}

template <typename Check>
void fuzz_protocol(Protocol protocol, const uint8_t* data, size_t size, Check check) {
  const ProtocolModule* module = find_protocol_module(protocol);
  if (!module || !module->detect) std::abort();
  std::string_view raw(reinterpret_cast<const char*>(data), size);
  for (Role role : {Role::Client, Role::Server, Role::Unknown}) {
    StreamDetector detector(role, module->default_ports[0], 40000, false);
    const StreamDetector::Limits limits;
    uint64_t ts = 1;
    for (size_t i = 0; i + 2 <= size && detector.state() == StreamDetector::State::Detecting;) {
      const uint8_t ctl = data[i], len = data[i + 1];
      i += 2;
      const size_t n = len < size - i ? len : size - i;
      std::string_view bytes = raw.substr(i, n);
      i += n;
      detector.feed({(ctl & 1) ? Direction::Egress : Direction::Ingress, ts++, bytes,
                     n + kTail[(ctl >> 1) & 7]});
      size_t held = 0;
      for (const Segment& s : detector.held()) held += s.bytes.size();
      if (held > limits.max_bytes || detector.held().size() > limits.max_segments) std::abort();
    }
    detector.finish();
  }
  for (Role role : {Role::Client, Role::Server, Role::Unknown}) {
    check_rest(protocol, role, data, size);
    (void)module->detect(raw, Direction::Ingress, role);
    (void)module->detect(raw, Direction::Egress, role);
    for (bool finished : {false, true})
      run_stream(finished ? make_parser(protocol, role) : module->make_parser(role), protocol, data,
                 size, [&](const Record& r) {
                   if (finished) {
                     for (const TextField& f : record_text_fields())
                       if (!utf8::is_valid(text_of(r, f))) std::abort();
                     return;
                   }
                   if (oversize_field(r) != nullptr) std::abort();
                   check(r);
                 });
  }
}

}  // namespace loupe::fuzz
