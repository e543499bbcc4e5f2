// Turns the tracer's raw events into records: one Connection per
// (tgid, fd, generation), protocol detection on its first bytes, one parser
// per connection, and the process/address identity on every record.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "agent/clock.h"
#include "agent/process_info.h"
#include "core/batch_codec.h"
#include "core/record.h"
#include "k8s/cgroup_path.h"
#include "protocols/parser.h"
#include "protocols/stream_detector.h"
#include "socket_trace.h"

namespace loupe {

// Connections whose bytes did not all become records, by the first reason
// that cost records (each connection counted once, under its worst reason).
struct LossCounts {
  uint64_t undetected = 0;   // no protocol module claimed the bytes
  uint64_t parse_error = 0;  // the parser met malformed input and resynchronised
  uint64_t resync = 0;       // the parser skipped bytes to find a message start

  uint64_t total() const { return undetected + parse_error + resync; }
};

struct LossStats {
  LossCounts total;
  std::map<uint16_t, LossCounts> by_port;        // server port -> connections
  std::map<std::string, LossCounts> by_process;  // process name -> connections
};

enum class LossReason : uint8_t { None, Resync, ParseError, Undetected };

struct TrackerStats {
  uint64_t events = 0;
  uint64_t malformed_events = 0;  // sizes that do not match their type (never expected)
  uint64_t connections_opened = 0;
  uint64_t connections_closed = 0;
  uint64_t connections_evicted = 0;     // dropped to keep the table within its byte budget
  uint64_t table_bytes = 0;             // what the connection table holds now
  uint64_t data_without_open = 0;       // the OPEN event was lost (ring buffer full)
  uint64_t tls_connections = 0;         // plaintext seen through the SSL uprobes
  uint64_t tls_opaque_connections = 0;  // TLS records from a library Loupe could not probe
  uint64_t records = 0;
  uint64_t detect_budget_exhausted = 0;  // detections decided early for lack of memory
  LossStats lost;
  std::map<Protocol, ParserStats> parsers;
};

class ConnectionTracker {
 public:
  // Gets each segment's records once they carry their identity: the ones
  // just appended to the output vector (see append_to), in place.
  using RecordSink = std::function<void(std::span<Record> added)>;
  // Called when the tracker drops a connection, so the kernel can too.
  using ForgetFn = std::function<void(uint32_t tgid, int32_t fd)>;

  struct Options {
    // Bytes the connection table may hold: each entry with its strings and
    // its parser (ProtocolParser::memory_bytes: bytes being reassembled,
    // requests waiting for replies, statement caches), counted after every
    // event. Past it, connections idle for a minute go first, then the
    // largest holders, until a tenth of it is free.
    size_t table_budget_bytes = 128 * 1024 * 1024;
    // What one connection may hold while its protocol is undecided.
    StreamDetector::Limits detect_limits;
    // Bytes all undecided connections together may hold; past it a
    // connection is decided with what it has.
    size_t detect_budget_bytes = 64 * 1024 * 1024;
    // What parsers mask in records (`--redact`).
    Redaction redaction = Redaction::Default;
  };

  ConnectionTracker(Options opts, RecordSink sink, ForgetFn forget = {});

  // Parsers append records straight to `batch` (the caller's batch being
  // filled), so a record is built where it is handed over, never moved on
  // the way; the sink may then move them out or swap the vector. Without
  // it (nullptr) the tracker appends to a vector of its own and empties it
  // after every sink call.
  void append_to(std::vector<Record>* batch) { batch_ = batch; }

  // `loupe agent`'s way (with no batch): each segment's records are
  // encoded into `out` before the sink gets them, a record without a node
  // named `node`, and the connection's identity (comm, addresses, pod)
  // written from the connection itself; the records the sink gets then
  // hold none of it. nullptr: records carry their identity (the default).
  void encode_to(EncodedRecords* out, std::string_view node) {
    encoded_ = out;
    encoded_node_ = node;
  }

  // Handles one raw ring-buffer event.
  void on_event(std::span<const uint8_t> raw);

  // Periodic housekeeping: resyncs the clock and drops connections of
  // processes that are gone without an exit event. Call about once a second.
  void tick();

  const TrackerStats& stats() const { return stats_; }
  size_t connection_count() const { return conns_.size(); }

  // Requests (of any connection) after which an end still waiting for its
  // reply, with no traffic since its own, gives its parser up (suspend).
  static constexpr size_t kWaitWindow = 256;
  // Connections tracked from which requests are noted for that: below it
  // suspending would save under ~400 KB (~400 bytes an end), not worth a
  // table lookup per request segment (docs/benchmarks.md, runrss6).
  static constexpr size_t kSuspendFromConnections = 1024;

 private:
  struct Key {
    uint32_t tgid;
    int32_t fd;
    uint64_t gen;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    // noexcept: the table then keeps no hash code in each node (8 bytes
    // of every one of 20,000 entries at 10k connections); it is cheap to
    // compute again. A lookup (one per event) then reads the node's first
    // cache line only: the hash kept at its end was a second one, most of
    // `find`'s time in the pump's profile.
    size_t operator()(const Key& k) const noexcept {
      return std::hash<uint64_t>()((static_cast<uint64_t>(k.tgid) << 32) ^
                                   static_cast<uint32_t>(k.fd) ^ (k.gen * 0x9e3779b97f4a7c15ULL));
    }
  };
  // Members ordered so that no padding is left between them, flags as
  // bits: one per traced connection end (144 bytes: a table node of 168,
  // malloc's chunk of 176).
  struct Connection {
    std::string comm;
    std::string local_addr;
    std::string remote_addr;
    std::unique_ptr<StreamDetector> detector;  // while detection_done is false
    std::unique_ptr<ProtocolParser> parser;
    // While resting after suspend(): its requests waiting for replies.
    std::unique_ptr<SuspendedExchanges> suspended;
    uint64_t last_ns = 0;
    // Its share of stats_.table_bytes, as last counted: a connection's
    // parser bounds what it holds far below 4 GiB (clamped all the same).
    uint32_t held = 0;
    uint32_t last_tid = 0;  // the thread of the latest event: its records' tid
    uint16_t local_port = 0;
    uint16_t remote_port = 0;
    Role role = Role::Unknown;
    Protocol protocol = Protocol::Unknown;
    LossReason loss = LossReason::None;
    bool udp : 1 = false;
    bool tls : 1 = false;         // payload comes from the SSL uprobes (plaintext)
    bool opaque_tls : 1 = false;  // ciphertext only: counted, never parsed
    bool detection_done : 1 = false;
    // Its parser went back at rest (park) or suspended (suspend_waiting):
    // the next bytes get one.
    bool resting : 1 = false;
    // Whether its process has a pod identity (Kubernetes), asked once: on
    // a bare host no record needs the lookup.
    bool pod_known : 1 = false;
    bool in_pod : 1 = false;
  };
  using Table = std::unordered_map<Key, Connection, KeyHash>;

  void on_open(const loupe_open_event& ev);
  void on_data(const loupe_data_event& ev, std::span<const uint8_t> payload);
  // Routes one data event's bytes to detection or the parser.
  void feed(const Key& key, Connection& c, const loupe_data_event& ev,
            std::span<const uint8_t> payload);
  void on_close(const loupe_event_header& h);
  // Returns false when the segment must not reach detection or the parser.
  bool route_tls(Connection& c, const loupe_data_event& ev, std::string_view bytes);
  void on_process_exit(uint32_t tgid);
  void finish(const Key& key, Connection& c, uint64_t ts_ns);
  // A data event's connection: one of recent_, or from the table.
  Connection* find(const Key& key);
  // The table's byte count follows every entry: inserted, re-counted after
  // each event that may change what it holds, erased.
  Connection& put(const Key& key, Connection c);
  void recount(Connection& c);
  Table::iterator erase(Table::iterator it);
  // Feeds `seg` to the connection's protocol detection, or with nullptr
  // tells it no more bytes come; once decided, replays into the parser.
  void detect(const Key& key, Connection& c, const Segment* seg);
  void conclude_detection(const Key& key, Connection& c);
  void drop_detector(Connection& c);
  void feed_parser(const Key& key, Connection& c, const Segment& seg);
  // A parser at rest (ProtocolParser::rest) leaves its connection, its
  // counters added to the totals, restarted for the next connection of its
  // protocol and role to get bytes; a resting connection's next bytes get
  // one of those, or a new one. A busy server's ends each hold a parser
  // only while an exchange is in flight.
  void park(Connection& c);
  // An end that sent or got a request and has seen no traffic since
  // kWaitWindow more requests came (of any connection) suspends its parser
  // (ProtocolParser::suspend): it keeps only its waiting requests, and the
  // parser goes to the spares as at rest. Ends answered sooner (a server
  // that replies at once, a client of a fast one) keep theirs: suspending
  // and resuming would cost more than the parser holds for that long.
  void note_request(const Key& key, const Connection& c);
  void suspend_waiting(Connection& c);
  // A resting connection's next bytes (or its close) get a spare parser,
  // given back the requests it suspended with.
  void wake(Connection& c);
  std::unique_ptr<ProtocolParser> unpark(Protocol protocol, Role role);
  void note_loss(Connection& c, LossReason reason);
  // Where records are appended now: the caller's batch or scratch_.
  std::vector<Record>& output() { return batch_ ? *batch_ : scratch_; }
  // Fills identity on out[first..] and gives them to the sink.
  void emit(Connection& c, uint32_t tgid, std::vector<Record>& out, size_t first);
  // Past the table budget: finishes and drops connections, idle ones first,
  // then the largest holders, until a tenth of the budget is free.
  void enforce_table_budget();
  Role infer_role(uint32_t tgid, const Connection& c, uint64_t now_ns);
  // The pid's container id and pod uid from its cgroup (empty outside
  // Kubernetes), read once per pid: records carry them for the server to
  // turn into names (docs/kubernetes.md, "Records enrichment"), all of the
  // pid's records one shared identity.
  struct PidPod {
    k8s::ContainerIdentity id;
    PodIdentityRef record_identity;  // null outside Kubernetes
  };
  const PidPod& pod_identity(uint32_t tgid);

  // Parsers at rest, restarted, by protocol and role (a handful of kinds).
  // At most kMaxSpares of each kind: past it a parser at rest is dropped.
  struct Spares {
    Protocol protocol;
    Role role;
    ParserStats* totals;  // stats_.parsers[protocol] (a map: its nodes stay put)
    std::vector<std::unique_ptr<ProtocolParser>> parsers;
  };
  static constexpr size_t kMaxSpares = 64;
  Spares& spares_for(Protocol protocol, Role role) {
    for (Spares& s : spares_)
      if (s.protocol == protocol && s.role == role) return s;
    return add_spares(protocol, role);
  }
  Spares& add_spares(Protocol protocol, Role role);

  Options opts_;
  RecordSink sink_;
  ForgetFn forget_;
  MonotonicToUnix clock_;
  ProcessInfo procs_;
  Table conns_;
  // Connections found lately, one per slot of their key's hash; erase()
  // drops its entry (nodes stay put otherwise). At a paced load every
  // connection's events find it here, at 10k connections most that come
  // close together (an exchange's four events come from its two ends): the
  // table's lookup divides by its bucket count and reads the bucket, the
  // node before and the node after the one sought (~5% of the pump's
  // samples, ~2% of its instructions).
  struct Recent {
    Key key{};
    Connection* conn = nullptr;
  };
  static constexpr int kRecentBits = 6;
  static size_t recent_slot(const Key& key) {
    const uint64_t hash = KeyHash{}(key);
    return (hash * 0x9e3779b97f4a7c15ULL) >> (64 - kRecentBits);  // its top bits, mixed
  }
  std::array<Recent, size_t{1} << kRecentBits> recent_{};
  std::unordered_map<uint32_t, PidPod> pod_ids_;
  // Connections each process holds in conns_: the tracer reports every
  // process exit on the host, and walking the table (20,000 entries at 10k
  // connections) for each was 4.7% of `loupe run`'s CPU on a host starting
  // compilers (docs/benchmarks.md, runrss5); the exit of a process that
  // holds none walks nothing now.
  std::unordered_map<uint32_t, uint32_t> tgid_conns_;
  std::vector<Record>* batch_ = nullptr;
  std::vector<Record> scratch_;
  EncodedRecords* encoded_ = nullptr;
  std::string encoded_node_;
  std::vector<Spares> spares_;
  // The latest kWaitWindow requests' ends (note_request), oldest at
  // next_request_: each with its last_ns then, unchanged while it waits.
  struct Request {
    Key key;
    uint64_t last_ns = 0;  // 0: an empty slot
  };
  std::array<Request, kWaitWindow> requests_{};
  size_t next_request_ = 0;
  size_t detect_bytes_ = 0;  // held by all detectors
  TrackerStats stats_;
};

}  // namespace loupe
