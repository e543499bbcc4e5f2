#include "agent/connection_tracker.h"

#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>

#include "agent/address.h"
#include "agent/tls/tls_record.h"
#include "core/heap_bytes.h"
#include "protocols/detect.h"

// The steps a data event takes once (on_data, feed, route_tls, find,
// wake, unpark, park, recount) are [[gnu::always_inline]] into on_event:
// GCC at -O2 kept each a call of its own, and their saved registers,
// spills and returns cost instructions on every event. feed_parser and
// emit, which detection's replay and close call too, stay calls: copied
// into each caller, the pump under nginx took ~3% more CPU than without
// any of this (docs/benchmarks.md, "issue 14, pumpparse").
namespace loupe {
namespace {

constexpr uint64_t kSecond = 1'000'000'000ULL;
// A connection with no traffic for this long is dropped if its process is
// gone (its exit event was lost) or the table needs room.
constexpr uint64_t kIdleNs = 60 * kSecond;
// Process names kept apart in the loss counters; the rest share "{other}".
constexpr size_t kMaxLossProcesses = 1024;
// Processes whose pod identity is remembered (one small entry per traced pid).
constexpr size_t kMaxPodIds = 65536;

template <typename T>
bool read_struct(std::span<const uint8_t> raw, T& out) {
  if (raw.size() < sizeof(T)) return false;
  std::memcpy(&out, raw.data(), sizeof(T));
  return true;
}

bool process_alive(uint32_t tgid) {
  return kill(static_cast<pid_t>(tgid), 0) == 0 || errno == EPERM;
}

}  // namespace

ConnectionTracker::ConnectionTracker(Options opts, RecordSink sink, ForgetFn forget)
    : opts_(opts), sink_(std::move(sink)), forget_(std::move(forget)) {}

void ConnectionTracker::on_event(std::span<const uint8_t> raw) {
  ++stats_.events;
  loupe_event_header h;
  if (!read_struct(raw, h)) {
    ++stats_.malformed_events;
    return;
  }
  switch (h.type) {
    case LOUPE_EV_OPEN: {
      loupe_open_event ev;
      if (!read_struct(raw, ev)) break;
      on_open(ev);
      return;
    }
    case LOUPE_EV_DATA: {
      loupe_data_event ev;
      if (!read_struct(raw, ev) || raw.size() < sizeof(ev) + ev.captured) break;
      on_data(ev, raw.subspan(sizeof(ev), ev.captured));
      return;
    }
    case LOUPE_EV_CLOSE:
      on_close(h);
      return;
    case LOUPE_EV_PROC_EXIT:
      on_process_exit(h.tgid);
      return;
  }
  ++stats_.malformed_events;
}

Role ConnectionTracker::infer_role(uint32_t tgid, const Connection& c, uint64_t now_ns) {
  if (c.udp) return c.local_port == 53 ? Role::Server : Role::Client;
  // Unknown when the process is already gone: detection then takes the
  // role from which side sent a request.
  std::optional<bool> listening = procs_.is_listening(tgid, c.local_port, now_ns);
  if (!listening) return Role::Unknown;
  return *listening ? Role::Server : Role::Client;
}

void ConnectionTracker::on_open(const loupe_open_event& ev) {
  Key key{ev.h.tgid, ev.h.fd, ev.h.gen};
  Connection c;
  c.udp = ev.h.sock_type == 2;  // SOCK_DGRAM
  std::string thread_comm(ev.comm, strnlen(ev.comm, sizeof ev.comm));
  c.comm = procs_.comm(ev.h.tgid, thread_comm);
  pod_identity(ev.h.tgid);  // read now, while the process surely exists
  c.local_addr = format_address(ev.local);
  c.remote_addr = format_address(ev.remote);
  c.local_port = ev.local.port;
  c.remote_port = ev.remote.port;
  c.last_ns = ev.h.ts_ns;
  c.last_tid = ev.h.tid;
  switch (ev.h.origin) {
    case LOUPE_ORIGIN_ACCEPT:
      c.role = Role::Server;
      break;
    case LOUPE_ORIGIN_CONNECT:
      c.role = c.udp ? infer_role(ev.h.tgid, c, ev.h.ts_ns) : Role::Client;
      break;
    default:
      c.role = infer_role(ev.h.tgid, c, clock_.to_unix(ev.h.ts_ns));
  }
  ++stats_.connections_opened;
  put(key, std::move(c));
  enforce_table_budget();
}

[[gnu::always_inline]] inline void ConnectionTracker::on_data(const loupe_data_event& ev,
                                                              std::span<const uint8_t> payload) {
  Key key{ev.h.tgid, ev.h.fd, ev.h.gen};
  Connection* found = find(key);
  if (found == nullptr) {
    // Its OPEN was lost: keep going with what the data event tells.
    ++stats_.data_without_open;
    Connection c;
    c.udp = ev.h.sock_type == 2;
    c.comm = procs_.comm(ev.h.tgid, "");
    found = &put(key, std::move(c));
  }
  Connection& c = *found;
  feed(key, c, ev, payload);
  // What the connection holds now (addresses, reassembly, caches) counts
  // against the table budget before the next event.
  recount(c);
  enforce_table_budget();
}

[[gnu::always_inline]] inline void ConnectionTracker::feed(const Key& key, Connection& c,
                                                           const loupe_data_event& ev,
                                                           std::span<const uint8_t> payload) {
  c.last_ns = ev.h.ts_ns;
  c.last_tid = ev.h.tid;
  if (c.udp && ev.peer.family != 0) {
    // Unconnected UDP: the peer is per datagram.
    c.remote_addr = format_address(ev.peer);
    c.remote_port = ev.peer.port;
  }

  Direction dir = ev.h.dir == LOUPE_DIR_EGRESS ? Direction::Egress : Direction::Ingress;
  std::string_view bytes(reinterpret_cast<const char*>(payload.data()), payload.size());
  if (!route_tls(c, ev, bytes)) return;
  Segment seg{dir, clock_.to_unix(ev.h.ts_ns), bytes, ev.length};
  if (!c.detection_done) {
    detect(key, c, &seg);
    return;
  }
  feed_parser(key, c, seg);
}

void ConnectionTracker::detect(const Key& key, Connection& c, const Segment* seg) {
  if (!c.detector) {
    if (seg == nullptr) return;
    c.detector = std::make_unique<StreamDetector>(c.role, c.local_port, c.remote_port,
                                                  static_cast<bool>(c.udp), opts_.detect_limits);
  }
  // detect_bytes_ follows what the detector holds across the call, whatever
  // it holds or releases inside.
  StreamDetector& d = *c.detector;
  detect_bytes_ -= std::min(detect_bytes_, d.memory_bytes());
  if (seg == nullptr) {
    d.finish();
  } else if (d.feed(*seg) == StreamDetector::State::Detecting &&
             detect_bytes_ + d.memory_bytes() > opts_.detect_budget_bytes) {
    ++stats_.detect_budget_exhausted;
    d.finish();
  }
  detect_bytes_ += d.memory_bytes();
  conclude_detection(key, c);
}

void ConnectionTracker::conclude_detection(const Key& key, Connection& c) {
  StreamDetector& d = *c.detector;
  if (d.state() == StreamDetector::State::Detecting) return;
  c.detection_done = true;
  if (d.state() == StreamDetector::State::Undetected) {
    note_loss(c, LossReason::Undetected);
  } else {
    c.protocol = d.protocol();
    if (c.role == Role::Unknown) c.role = d.role();
    c.parser = make_parser(c.protocol, c.role, opts_.redaction);
    // The parser sees every byte from the first, as if it had been there all along.
    for (const Segment& held : d.held()) feed_parser(key, c, held);
  }
  drop_detector(c);
}

void ConnectionTracker::drop_detector(Connection& c) {
  if (!c.detector) return;
  detect_bytes_ -= std::min(detect_bytes_, c.detector->memory_bytes());
  c.detector.reset();
}

void ConnectionTracker::feed_parser(const Key& key, Connection& c, const Segment& seg) {
  if (c.resting) wake(c);
  if (!c.parser || c.parser->finished()) return;
  std::vector<Record>& out = output();
  const size_t first = out.size();
  c.parser->feed(seg, out);
  emit(c, key.tgid, out, first);
  const ParserStats& s = c.parser->stats();
  if (s.parse_errors > 0) {
    note_loss(c, LossReason::ParseError);
  } else if (s.resyncs > 0) {
    note_loss(c, LossReason::Resync);
  }
  // Exchanges end with a reply: asked then (and when the role is unknown).
  if (c.role == Role::Unknown || seg.dir != request_direction(c.role)) {
    park(c);
  } else if (conns_.size() >= kSuspendFromConnections) {
    note_request(key, c);
  }
}

[[gnu::always_inline]] inline void ConnectionTracker::park(Connection& c) {
  Spares& spares = spares_for(c.protocol, c.role);
  if (!c.parser->rest(*spares.totals)) return;
  c.resting = true;
  if (spares.parsers.size() < kMaxSpares) {
    spares.parsers.push_back(std::move(c.parser));
  } else {
    c.parser.reset();
  }
}

void ConnectionTracker::note_request(const Key& key, const Connection& c) {
  Request& oldest = requests_[next_request_];
  next_request_ = (next_request_ + 1) % kWaitWindow;
  if (oldest.last_ns != 0) {
    auto it = conns_.find(oldest.key);
    // Its last_ns unchanged: no byte either way since that request.
    if (it != conns_.end() && it->second.last_ns == oldest.last_ns && it->second.parser) {
      suspend_waiting(it->second);
      recount(it->second);
    }
  }
  oldest = Request{key, c.last_ns};
}

void ConnectionTracker::suspend_waiting(Connection& c) {
  Spares& spares = spares_for(c.protocol, c.role);
  c.suspended = c.parser->suspend(*spares.totals);
  if (!c.suspended) return;
  c.resting = true;
  if (spares.parsers.size() < kMaxSpares) {
    spares.parsers.push_back(std::move(c.parser));
  } else {
    c.parser.reset();
  }
}

[[gnu::always_inline]] inline void ConnectionTracker::wake(Connection& c) {
  c.parser = unpark(c.protocol, c.role);
  if (c.suspended) c.parser->resume(std::move(c.suspended));
  c.resting = false;
}

[[gnu::always_inline]] inline std::unique_ptr<ProtocolParser> ConnectionTracker::unpark(
    Protocol protocol, Role role) {
  Spares& spares = spares_for(protocol, role);
  if (spares.parsers.empty()) return make_parser(protocol, role, opts_.redaction);
  std::unique_ptr<ProtocolParser> p = std::move(spares.parsers.back());
  spares.parsers.pop_back();
  return p;
}

ConnectionTracker::Spares& ConnectionTracker::add_spares(Protocol protocol, Role role) {
  return spares_.emplace_back(Spares{protocol, role, &stats_.parsers[protocol], {}});
}

[[gnu::always_inline]] inline bool ConnectionTracker::route_tls(Connection& c,
                                                                const loupe_data_event& ev,
                                                                std::string_view bytes) {
  bool plaintext = ev.flags & LOUPE_DATA_F_TLS;
  if (plaintext && !c.tls) {
    // First plaintext: what came before (a peeked ClientHello, PostgreSQL's
    // SSLRequest) says nothing about the protocol inside the TLS session.
    c.tls = true;
    ++stats_.tls_connections;
    if (c.opaque_tls) --stats_.tls_opaque_connections;
    c.opaque_tls = false;
    c.protocol = Protocol::Unknown;
    c.parser.reset();
    c.suspended.reset();
    c.resting = false;
    drop_detector(c);
    c.detection_done = false;
    return true;
  }
  if (c.tls) return plaintext;  // ciphertext that raced the kernel's TLS mark
  if (!c.detection_done && tls::looks_like_tls_record(bytes)) {
    c.opaque_tls = true;
    c.detection_done = true;
    drop_detector(c);
    ++stats_.tls_opaque_connections;
    return false;
  }
  return !c.opaque_tls;
}

void ConnectionTracker::emit(Connection& c, uint32_t tgid, std::vector<Record>& out, size_t first) {
  if (out.size() <= first) return;
  std::span<Record> records(out.data() + first, out.size() - first);
  for (Record& r : records) {
    r.pid = tgid;
    r.tid = c.last_tid;
    r.tls = c.tls;
    if (r.role == Role::Unknown) r.role = c.role;
  }
  if (!c.pod_known) {
    c.in_pod = !pod_identity(tgid).id.empty();
    c.pod_known = true;
  }
  const PidPod* in_pod = c.in_pod ? &pod_identity(tgid) : nullptr;
  if (encoded_ != nullptr) {
    RecordIdentity id{.comm = c.comm, .local_addr = c.local_addr, .remote_addr = c.remote_addr};
    if (in_pod) {
      id.container = in_pod->id.container_id;
      id.pod = in_pod->id.pod_uid;
    }
    encoded_->append(records, encoded_node_, &id);
  } else {
    for (Record& r : records) {
      r.comm = c.comm;
      r.local_addr = c.local_addr;
      r.remote_addr = c.remote_addr;
      if (in_pod) r.local_identity = in_pod->record_identity;
    }
  }
  stats_.records += records.size();
  sink_(records);
  if (&out == &scratch_) scratch_.clear();
}

void ConnectionTracker::note_loss(Connection& c, LossReason reason) {
  if (reason <= c.loss) return;
  auto counter = [](LossCounts& n, LossReason r) -> uint64_t& {
    switch (r) {
      case LossReason::Undetected:
        return n.undetected;
      case LossReason::ParseError:
        return n.parse_error;
      default:
        return n.resync;
    }
  };
  // Bounded: at most kMaxLossProcesses names, the rest share one entry.
  std::string process = c.comm;
  LossStats& lost = stats_.lost;
  if (!lost.by_process.contains(process) && lost.by_process.size() >= kMaxLossProcesses)
    process = "{other}";
  LossCounts* totals[] = {&lost.total,
                          &lost.by_port[c.role == Role::Server ? c.local_port : c.remote_port],
                          &lost.by_process[process]};
  for (LossCounts* n : totals) {
    if (c.loss != LossReason::None) --counter(*n, c.loss);
    ++counter(*n, reason);
  }
  c.loss = reason;
}

void ConnectionTracker::finish(const Key& key, Connection& c, uint64_t mono_ns) {
  // Bytes still held for detection are decided now, however few they are:
  // a short connection is parsed or counted, never dropped silently.
  detect(key, c, nullptr);
  // Requests it suspended with go unanswered as the parser says.
  if (c.suspended) wake(c);
  if (c.parser) {
    std::vector<Record>& out = output();
    const size_t first = out.size();
    c.parser->close(clock_.to_unix(mono_ns), out);
    emit(c, key.tgid, out, first);
    stats_.parsers[c.protocol] += c.parser->stats();
  }
  ++stats_.connections_closed;
}

void ConnectionTracker::on_close(const loupe_event_header& h) {
  Key key{h.tgid, h.fd, h.gen};
  auto it = conns_.find(key);
  if (it == conns_.end()) return;
  finish(key, it->second, h.ts_ns);
  erase(it);
}

const ConnectionTracker::PidPod& ConnectionTracker::pod_identity(uint32_t tgid) {
  if (auto it = pod_ids_.find(tgid); it != pod_ids_.end()) return it->second;
  if (pod_ids_.size() >= kMaxPodIds) pod_ids_.clear();  // bounded; exits erase too
  PidPod& pod = pod_ids_[tgid];
  pod.id = k8s::resolve_pid(tgid).value_or(k8s::ContainerIdentity{});
  pod.record_identity = intern({.pod = pod.id.pod_uid, .container = pod.id.container_id});
  return pod;
}

void ConnectionTracker::on_process_exit(uint32_t tgid) {
  auto held = tgid_conns_.find(tgid);
  uint32_t left = held == tgid_conns_.end() ? 0 : held->second;
  for (auto it = conns_.begin(); left > 0 && it != conns_.end();) {
    if (it->first.tgid != tgid) {
      ++it;
      continue;
    }
    finish(it->first, it->second, it->second.last_ns);
    if (forget_) forget_(tgid, it->first.fd);
    it = erase(it);
    --left;
  }
  procs_.forget(tgid);
  pod_ids_.erase(tgid);  // after finish(): its last records still carry it
}

namespace {

// What a table entry costs besides its strings and parser: the node (key,
// value, next link; no cached hash, KeyHash being noexcept) and its bucket
// pointer.
constexpr size_t kNodeOverhead = 2 * sizeof(void*);

}  // namespace

ConnectionTracker::Connection& ConnectionTracker::put(const Key& key, Connection c) {
  auto [it, inserted] = conns_.try_emplace(key);
  if (inserted) ++tgid_conns_[key.tgid];
  if (!inserted) stats_.table_bytes -= it->second.held;
  it->second = std::move(c);
  it->second.held = 0;
  recount(it->second);
  return it->second;
}

[[gnu::always_inline]] inline void ConnectionTracker::recount(Connection& c) {
  const size_t bytes =
      kNodeOverhead + sizeof(Table::value_type) + heap_bytes(c.comm) + heap_bytes(c.local_addr) +
      heap_bytes(c.remote_addr) + (c.detector ? sizeof(StreamDetector) : 0) +
      (c.parser ? c.parser->memory_bytes() : 0) + (c.suspended ? c.suspended->memory_bytes() : 0);
  const uint32_t now =
      static_cast<uint32_t>(std::min<size_t>(bytes, std::numeric_limits<uint32_t>::max()));
  stats_.table_bytes = stats_.table_bytes - c.held + now;
  c.held = now;
}

[[gnu::always_inline]] inline ConnectionTracker::Connection* ConnectionTracker::find(
    const Key& key) {
  Recent& recent = recent_[recent_slot(key)];
  if (recent.conn != nullptr && recent.key == key) return recent.conn;
  auto it = conns_.find(key);
  if (it == conns_.end()) return nullptr;
  recent = Recent{key, &it->second};
  return &it->second;
}

ConnectionTracker::Table::iterator ConnectionTracker::erase(Table::iterator it) {
  if (Recent& recent = recent_[recent_slot(it->first)]; recent.conn == &it->second) recent = {};
  stats_.table_bytes -= it->second.held;
  drop_detector(it->second);
  if (auto held = tgid_conns_.find(it->first.tgid);
      held != tgid_conns_.end() && --held->second == 0)
    tgid_conns_.erase(held);
  return conns_.erase(it);
}

void ConnectionTracker::enforce_table_budget() {
  if (stats_.table_bytes <= opts_.table_budget_bytes) return;
  // Only runs past the budget, and frees a tenth of it, so the scans below
  // are rare. Idle connections go first: their peers are likely gone.
  const size_t target = opts_.table_budget_bytes / 10 * 9;
  uint64_t newest = 0;
  std::vector<std::pair<size_t, Key>> live;
  for (const auto& [key, c] : conns_) newest = std::max(newest, c.last_ns);
  auto evict = [&](Table::iterator it) {
    finish(it->first, it->second, it->second.last_ns);
    if (forget_) forget_(it->first.tgid, it->first.fd);
    ++stats_.connections_evicted;
    return erase(it);
  };
  for (auto it = conns_.begin(); it != conns_.end() && stats_.table_bytes > target;) {
    if (newest - it->second.last_ns > kIdleNs) {
      it = evict(it);
    } else {
      live.emplace_back(it->second.held, it->first);
      ++it;
    }
  }
  if (stats_.table_bytes <= target) return;
  // Then the largest holders: a connection hoarding reassembly buffers or
  // statements costs the table more than many ordinary ones.
  std::sort(live.begin(), live.end(),
            [](const auto& a, const auto& b) { return a.first > b.first; });
  for (const auto& [held, key] : live) {
    if (stats_.table_bytes <= target) break;
    if (auto it = conns_.find(key); it != conns_.end()) evict(it);
  }
}

void ConnectionTracker::tick() {
  clock_.resync();
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  uint64_t now = static_cast<uint64_t>(ts.tv_sec) * kSecond + static_cast<uint64_t>(ts.tv_nsec);
  for (auto it = conns_.begin(); it != conns_.end();) {
    if (now - it->second.last_ns > kIdleNs && !process_alive(it->first.tgid)) {
      finish(it->first, it->second, it->second.last_ns);
      it = erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace loupe
