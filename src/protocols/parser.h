// The contract between the capture side and every protocol parser.
//
// A parser is pure: it sees the bytes of one connection, in order, one
// segment per read/write syscall, and emits finished records. It knows
// nothing of BPF, processes or addresses. One parser instance serves one
// connection for its whole life.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/record.h"
#include "protocols/redaction.h"

namespace loupe {

// Which way bytes moved, seen from the traced process.
enum class Direction : uint8_t {
  Egress,   // written by the traced process (write/send...)
  Ingress,  // read by the traced process (read/recv...)
};

// The bytes of one syscall on one connection.
struct Segment {
  Direction dir = Direction::Egress;
  uint64_t ts_ns = 0;      // unix epoch ns when the syscall completed
  std::string_view bytes;  // captured prefix of the transfer (may be shorter than length)
  uint64_t length = 0;     // bytes the syscall really moved; length > bytes.size() means
                           // the tail was not captured (a gap the parser must skip)
};

// Counters a parser keeps about the health of its input. Summed per
// protocol by the agent and shown in `loupe trace`'s summary and /api/v1/status.
struct ParserStats {
  uint64_t records = 0;       // records emitted
  uint64_t parse_errors = 0;  // malformed input that forced a resynchronisation
  uint64_t resyncs = 0;       // times the parser skipped bytes to find a message start
  uint64_t unmatched = 0;     // requests without response (or vice versa) dropped

  ParserStats& operator+=(const ParserStats& o) {
    records += o.records;
    parse_errors += o.parse_errors;
    resyncs += o.resyncs;
    unmatched += o.unmatched;
    return *this;
  }
};

// A connection that switched protocols in place (HTTP/1.1 `Upgrade: h2c`
// answered 101): the protocol it continues in, the direction its requests
// travel, and the request whose response comes in the new protocol
// (start_ns, method, path, host, trace_id, req_bytes, and resp_bytes so far),
// with the reply bytes that followed the switch in the same segment.
struct ProtocolSwitch {
  Protocol protocol = Protocol::Unknown;
  Direction request_dir = Direction::Ingress;
  Record request;
  std::string reply_bytes;
};

// What a suspended parser hands its connection to keep while the
// connection waits without a parser (ProtocolParser::suspend): the
// protocol's own type, opaque to the agent.
class SuspendedExchanges {
 public:
  virtual ~SuspendedExchanges() = default;
  // Heap bytes it holds, itself included.
  virtual size_t memory_bytes() const = 0;
};

class ProtocolParser {
 public:
  virtual ~ProtocolParser() = default;

  // Feeds one segment. Completed exchanges are appended to `out` with the
  // protocol fields, start_ns/end_ns, role, req_bytes/resp_bytes set.
  // Must never throw on any input, and must keep its memory bounded.
  virtual void feed(const Segment& seg, std::vector<Record>& out) = 0;

  // The connection closed (or its process exited) at `ts_ns`. Flushes any
  // exchange that is complete only at close (e.g. close-delimited bodies).
  virtual void close(uint64_t ts_ns, std::vector<Record>& out) = 0;

  // True when the parser has given up on the connection for good (e.g. an
  // HTTP Upgrade to a protocol Loupe does not parse); the caller may stop
  // feeding it.
  virtual bool finished() const { return false; }

  // Once finished() after an Upgrade to a protocol Loupe parses: the switch,
  // handed over once. make_parser's parser then goes on in that protocol.
  virtual std::optional<ProtocolSwitch> take_switch() { return std::nullopt; }

  virtual const ParserStats& stats() const = 0;

  // At rest, a new parser for this connection (make_parser with the same
  // protocol, role and redaction) would go on exactly as this one: no
  // message in progress, no request waiting, nothing learnt from earlier
  // exchanges; only its counters differ. Then this adds its counters to
  // `totals`, goes back to a new parser's state (counters zeroed, empty
  // buffers given back) and returns true; otherwise it changes nothing and
  // returns false. The agent then takes it from the connection and gives
  // it to the next connection of that protocol and role to get bytes: at
  // 10k live connections most ends sit idle between exchanges.
  virtual bool rest(ParserStats& /*totals*/) { return false; }

  // Like rest(), with requests waiting for their replies: between messages
  // in both directions and nothing else held that a new parser would not
  // know, the parser hands the waiting requests over, adds its counters to
  // `totals`, goes back to a new parser's state and returns them; otherwise
  // (or with none waiting: rest() then) it changes nothing and returns
  // nullptr. resume() on a parser of the same protocol, role and redaction
  // at a new parser's state (new, or taken at rest) takes them back, and
  // that parser then goes on exactly as this one would have, its counters
  // from zero. The agent suspends an end that waits long for its reply (a
  // client of a busy server: half the ends at 10k live connections), so
  // its parser serves other connections meanwhile.
  virtual std::unique_ptr<SuspendedExchanges> suspend(ParserStats& /*totals*/) { return nullptr; }
  // `waiting` came from suspend() of a parser of this one's kind.
  virtual void resume(std::unique_ptr<SuspendedExchanges> /*waiting*/) {}

  // Bytes the parser holds between calls: the object itself (with its
  // fixed-size buffers), bytes being reassembled, requests waiting for
  // replies, statement caches. The agent keeps all connections together
  // within one byte budget and asks after every segment, so this must take
  // constant time.
  virtual size_t memory_bytes() const = 0;
};

// Creates the parser for `protocol`, or nullptr when none exists.
// `role` says which direction carries requests: Server -> requests arrive
// on Ingress; Client -> requests leave on Egress. Its records are redacted
// at `redaction` and their text is valid UTF-8 within the record limits
// (protocols/finishing_parser.h).
std::unique_ptr<ProtocolParser> make_parser(Protocol protocol, Role role,
                                            Redaction redaction = Redaction::Default);

// Helper for parsers: the direction that carries requests for this role.
inline Direction request_direction(Role role) {
  return role == Role::Client ? Direction::Egress : Direction::Ingress;
}

}  // namespace loupe
