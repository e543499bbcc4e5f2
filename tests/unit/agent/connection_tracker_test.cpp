// ConnectionTracker fed with synthetic raw events, exactly as the ring
// buffer delivers them.
#include "agent/connection_tracker.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "../postgres/pg_wire.h"

namespace loupe {
namespace {

constexpr uint32_t kTgid = 4242;  // not a live process: role must come from the event

loupe_addr v4(const char* ip, uint16_t port) {
  loupe_addr a{};
  a.family = AF_INET;
  a.port = port;
  inet_pton(AF_INET, ip, a.addr);
  return a;
}

class TrackerTest : public ::testing::Test {
 protected:
  ConnectionTracker tracker_{{}, [this](std::span<Record> rs) {
                               for (auto& r : rs) records_.push_back(r);
                             }};
  std::vector<Record> records_;
  uint64_t now_ = 1'000'000;
  uint32_t tgid_ = kTgid;  // the process of the events fed

  void open(int fd, uint64_t gen, loupe_origin origin, uint16_t lport, uint16_t rport) {
    loupe_open_event ev{};
    ev.h.type = LOUPE_EV_OPEN;
    ev.h.origin = origin;
    ev.h.sock_type = 1;
    ev.h.tgid = tgid_;
    ev.h.fd = fd;
    ev.h.gen = gen;
    ev.h.ts_ns = now_;
    ev.local = v4("127.0.0.1", lport);
    ev.remote = v4("127.0.0.1", rport);
    std::strcpy(ev.comm, "srv");
    feed(&ev, sizeof ev);
  }

  void data(int fd, uint64_t gen, loupe_dir dir, std::string_view bytes, uint64_t length = 0) {
    std::vector<uint8_t> buf(sizeof(loupe_data_event) + bytes.size());
    loupe_data_event ev{};
    ev.h.type = LOUPE_EV_DATA;
    ev.h.dir = dir;
    ev.h.sock_type = 1;
    ev.h.tgid = tgid_;
    ev.h.fd = fd;
    ev.h.gen = gen;
    ev.h.ts_ns = now_ += 1000;
    ev.length = length ? length : bytes.size();
    ev.captured = static_cast<uint32_t>(bytes.size());
    std::memcpy(buf.data(), &ev, sizeof ev);
    std::memcpy(buf.data() + sizeof ev, bytes.data(), bytes.size());
    tracker_.on_event(buf);
  }

  void simple(loupe_event_type type, int fd, uint64_t gen) {
    loupe_event_header h{};
    h.type = type;
    h.tgid = tgid_;
    h.fd = fd;
    h.gen = gen;
    h.ts_ns = now_ += 1000;
    feed(&h, sizeof h);
  }

  void feed(const void* p, size_t n) { tracker_.on_event({static_cast<const uint8_t*>(p), n}); }
};

constexpr std::string_view kRequest = "GET /x HTTP/1.1\r\nHost: h\r\n\r\n";
constexpr std::string_view kResponse = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

TEST_F(TrackerTest, AcceptedConnectionYieldsServerRecordWithIdentity) {
  open(5, 1, LOUPE_ORIGIN_ACCEPT, 8080, 40000);
  data(5, 1, LOUPE_DIR_INGRESS, kRequest);
  data(5, 1, LOUPE_DIR_EGRESS, kResponse);
  ASSERT_EQ(records_.size(), 1u);
  const Record& r = records_[0];
  EXPECT_EQ(r.role, Role::Server);
  EXPECT_EQ(r.protocol, Protocol::Http1);
  EXPECT_EQ(r.pid, kTgid);
  EXPECT_EQ(r.local_addr, "127.0.0.1:8080");
  EXPECT_EQ(r.remote_addr, "127.0.0.1:40000");
  EXPECT_EQ(r.path, "/x");
  EXPECT_EQ(r.duration_ns(), 1000u);
}

// `loupe agent`'s way: records encoded with the connection's identity
// written from the connection, not from copies in the records, which the
// sink then gets without it. An address past 15 bytes (a heap string).
TEST_F(TrackerTest, EncodedRecordsCarryTheConnectionsIdentityTheSinksDoNot) {
  EncodedRecords encoded;
  tracker_.encode_to(&encoded, "node-1");
  loupe_open_event ev{};
  ev.h.type = LOUPE_EV_OPEN;
  ev.h.origin = LOUPE_ORIGIN_ACCEPT;
  ev.h.sock_type = 1;
  ev.h.tgid = kTgid;
  ev.h.fd = 5;
  ev.h.gen = 1;
  ev.h.ts_ns = now_;
  ev.local = v4("10.244.123.45", 8080);
  ev.remote = v4("10.244.200.201", 54321);
  std::strcpy(ev.comm, "srv");
  feed(&ev, sizeof ev);
  data(5, 1, LOUPE_DIR_INGRESS, kRequest);
  data(5, 1, LOUPE_DIR_EGRESS, kResponse);
  ASSERT_EQ(records_.size(), 1u);
  EXPECT_EQ(records_[0].local_addr, "");
  EXPECT_EQ(encoded.count(), 1u);

  BatchEncoder encoder;
  auto batch = decode_batch(encoder.encode({.agent = "a", .seq = 1}, std::span(&encoded, 1)));
  ASSERT_TRUE(batch);
  ASSERT_EQ(batch->records.size(), 1u);
  const Record& r = batch->records[0];
  EXPECT_EQ(r.comm, "srv");
  EXPECT_EQ(r.local_addr, "10.244.123.45:8080");
  EXPECT_EQ(r.remote_addr, "10.244.200.201:54321");
  EXPECT_EQ(r.node(), "node-1");
  EXPECT_EQ(r.pid, kTgid);
  EXPECT_EQ(r.role, Role::Server);
  EXPECT_EQ(r.path, "/x");
  EXPECT_EQ(r.host, "h");
}

// At 10k live keep-alive connections the table holds 20,000 entries (both
// ends traced): what one holds between exchanges is the agent's largest
// per-connection cost (docs/benchmarks.md, "issue 14, agentrss2").
TEST_F(TrackerTest, AKeepAliveConnectionBetweenExchangesIsSmall) {
  open(5, 1, LOUPE_ORIGIN_ACCEPT, 8080, 40000);
  for (int i = 0; i < 3; ++i) {
    data(5, 1, LOUPE_DIR_INGRESS, kRequest);
    data(5, 1, LOUPE_DIR_EGRESS, kResponse);
  }
  EXPECT_EQ(tracker_.stats().records, 3u);
  // Entry, node and bucket, the HTTP/1 parser and its wrapper; no buffer
  // kept for the next request (was ~1,000 bytes).
  EXPECT_LE(tracker_.stats().table_bytes, 700u);
}

// Its parser at rest between exchanges is dropped (ProtocolParser::at_rest):
// the end holds its table entry only, and the next request gets a new
// parser whose counters add to the old one's.
TEST_F(TrackerTest, AnEndBetweenExchangesHoldsNoParser) {
  open(5, 1, LOUPE_ORIGIN_ACCEPT, 8080, 40000);
  data(5, 1, LOUPE_DIR_INGRESS, kRequest);
  const uint64_t waiting = tracker_.stats().table_bytes;
  data(5, 1, LOUPE_DIR_EGRESS, kResponse);
  EXPECT_LE(tracker_.stats().table_bytes, 200u);  // entry, node and bucket
  EXPECT_LE(tracker_.stats().table_bytes + 400, waiting);
  data(5, 1, LOUPE_DIR_INGRESS, "GET /y HTTP/1.1\r\nHo");  // a head split in two
  data(5, 1, LOUPE_DIR_INGRESS, "st: h\r\n\r\n");
  data(5, 1, LOUPE_DIR_EGRESS, kResponse);
  data(5, 1, LOUPE_DIR_INGRESS, std::string_view("\x01\x02 not http\r\n\r\n"));
  data(5, 1, LOUPE_DIR_INGRESS, kRequest);
  data(5, 1, LOUPE_DIR_EGRESS, kResponse);
  ASSERT_EQ(records_.size(), 3u);
  EXPECT_EQ(records_[1].path, "/y");
  EXPECT_EQ(records_[2].path, "/x");
  simple(LOUPE_EV_CLOSE, 5, 1);
  const ParserStats& s = tracker_.stats().parsers.at(Protocol::Http1);
  EXPECT_EQ(s.records, 3u);
  EXPECT_EQ(s.resyncs, 1u);
  EXPECT_EQ(tracker_.stats().lost.total.resync + tracker_.stats().lost.total.parse_error, 1u);
  EXPECT_EQ(tracker_.stats().table_bytes, 0u);
}

TEST_F(TrackerTest, AnEndWaitingLongForItsReplyHoldsNoParser) {
  // Two clients send requests (GET, then HEAD: its empty-bodied reply must
  // still be read as HEAD's) that a server end answers only after
  // kWaitWindow exchanges of another connection, among enough connections
  // for it.
  for (int fd = 100; fd < 100 + static_cast<int>(ConnectionTracker::kSuspendFromConnections); ++fd)
    open(fd, 1, LOUPE_ORIGIN_ACCEPT, 8080, static_cast<uint16_t>(fd));
  open(30, 1, LOUPE_ORIGIN_CONNECT, 40000, 8080);
  open(31, 1, LOUPE_ORIGIN_CONNECT, 40001, 8080);
  open(32, 1, LOUPE_ORIGIN_ACCEPT, 8080, 40002);
  data(32, 1, LOUPE_DIR_INGRESS, kRequest);
  data(32, 1, LOUPE_DIR_EGRESS, kResponse);
  data(30, 1, LOUPE_DIR_EGRESS, "GET /slow HTTP/1.1\r\nHost: h\r\n\r\n");
  data(31, 1, LOUPE_DIR_EGRESS, "HEAD /never HTTP/1.1\r\nHost: h\r\n\r\n");
  const uint64_t waiting = tracker_.stats().table_bytes;
  for (size_t i = 0; i + 2 < ConnectionTracker::kWaitWindow; ++i) {
    data(32, 1, LOUPE_DIR_INGRESS, kRequest);
    data(32, 1, LOUPE_DIR_EGRESS, kResponse);
  }
  // Not yet: /slow is kWaitWindow - 1 requests old.
  EXPECT_EQ(tracker_.stats().table_bytes, waiting);
  data(32, 1, LOUPE_DIR_INGRESS, kRequest);
  data(32, 1, LOUPE_DIR_EGRESS, kResponse);
  data(32, 1, LOUPE_DIR_INGRESS, kRequest);
  data(32, 1, LOUPE_DIR_EGRESS, kResponse);
  // Each keeps its request (~200 bytes), not its parser (~450).
  EXPECT_LE(tracker_.stats().table_bytes + 2 * 350, waiting);
  data(30, 1, LOUPE_DIR_INGRESS, kResponse);
  data(31, 1, LOUPE_DIR_INGRESS, "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n");
  const size_t answered = ConnectionTracker::kWaitWindow + 1;
  ASSERT_EQ(records_.size(), answered + 2);
  EXPECT_EQ(records_[answered].path, "/slow");
  EXPECT_EQ(records_[answered].role, Role::Client);
  EXPECT_EQ(records_[answered + 1].method, "HEAD");
  EXPECT_EQ(records_[answered + 1].status, 200);

  // Waiting at close: its request counts as unanswered.
  data(31, 1, LOUPE_DIR_EGRESS, "GET /gone HTTP/1.1\r\n\r\n");
  const uint64_t unanswered = tracker_.stats().table_bytes;
  for (size_t i = 0; i < ConnectionTracker::kWaitWindow; ++i) {
    data(32, 1, LOUPE_DIR_INGRESS, kRequest);
    data(32, 1, LOUPE_DIR_EGRESS, kResponse);
  }
  EXPECT_LE(tracker_.stats().table_bytes + 350, unanswered);
  for (int fd : {30, 31, 32}) simple(LOUPE_EV_CLOSE, fd, 1);
  for (int fd = 100; fd < 100 + static_cast<int>(ConnectionTracker::kSuspendFromConnections); ++fd)
    simple(LOUPE_EV_CLOSE, fd, 1);
  const ParserStats& s = tracker_.stats().parsers.at(Protocol::Http1);
  EXPECT_EQ(s.records, records_.size());
  EXPECT_EQ(s.unmatched, 1u);
  EXPECT_EQ(tracker_.stats().table_bytes, 0u);
}

TEST_F(TrackerTest, FewConnectionsKeepTheirParsersWhileWaiting) {
  // Under kSuspendFromConnections, what suspending would save is not worth
  // a lookup per request.
  open(30, 1, LOUPE_ORIGIN_CONNECT, 40000, 8080);
  open(32, 1, LOUPE_ORIGIN_ACCEPT, 8080, 40002);
  data(30, 1, LOUPE_DIR_EGRESS, kRequest);
  data(32, 1, LOUPE_DIR_INGRESS, kRequest);
  data(32, 1, LOUPE_DIR_EGRESS, kResponse);
  const uint64_t waiting = tracker_.stats().table_bytes;
  for (size_t i = 0; i < 2 * ConnectionTracker::kWaitWindow; ++i) {
    data(32, 1, LOUPE_DIR_INGRESS, kRequest);
    data(32, 1, LOUPE_DIR_EGRESS, kResponse);
  }
  EXPECT_EQ(tracker_.stats().table_bytes, waiting);
  data(30, 1, LOUPE_DIR_INGRESS, kResponse);
  EXPECT_EQ(records_.size(), 2 * ConnectionTracker::kWaitWindow + 2);
}

TEST_F(TrackerTest, ConnectedSocketIsClient) {
  open(6, 1, LOUPE_ORIGIN_CONNECT, 40000, 8080);
  data(6, 1, LOUPE_DIR_EGRESS, kRequest);
  data(6, 1, LOUPE_DIR_INGRESS, kResponse);
  ASSERT_EQ(records_.size(), 1u);
  EXPECT_EQ(records_[0].role, Role::Client);
}

TEST_F(TrackerTest, ReusedFdWithNewGenerationDoesNotMixConnections) {
  open(7, 1, LOUPE_ORIGIN_ACCEPT, 8080, 40000);
  data(7, 1, LOUPE_DIR_INGRESS, kRequest);       // request of the first connection, never answered
  open(7, 2, LOUPE_ORIGIN_ACCEPT, 8080, 40001);  // same fd, new connection (close was missed)
  data(7, 2, LOUPE_DIR_INGRESS, "GET /y HTTP/1.1\r\n\r\n");
  data(7, 2, LOUPE_DIR_EGRESS, kResponse);
  ASSERT_EQ(records_.size(), 1u);
  EXPECT_EQ(records_[0].path, "/y");
  EXPECT_EQ(records_[0].remote_addr, "127.0.0.1:40001");
}

TEST_F(TrackerTest, CloseFlushesCloseDelimitedResponse) {
  open(8, 1, LOUPE_ORIGIN_CONNECT, 40000, 80);
  data(8, 1, LOUPE_DIR_EGRESS, "GET / HTTP/1.0\r\n\r\n");
  data(8, 1, LOUPE_DIR_INGRESS, "HTTP/1.0 200 OK\r\n\r\nbody until close");
  EXPECT_TRUE(records_.empty());
  simple(LOUPE_EV_CLOSE, 8, 1);
  ASSERT_EQ(records_.size(), 1u);
  EXPECT_EQ(tracker_.connection_count(), 0u);
}

TEST_F(TrackerTest, ProcessExitDropsItsConnections) {
  open(9, 1, LOUPE_ORIGIN_ACCEPT, 8080, 40000);
  open(10, 1, LOUPE_ORIGIN_ACCEPT, 8080, 40001);
  EXPECT_EQ(tracker_.connection_count(), 2u);
  simple(LOUPE_EV_PROC_EXIT, -1, 0);
  EXPECT_EQ(tracker_.connection_count(), 0u);
}

// The table is walked only for a process that holds connections (their
// count is kept per process): what it holds is still dropped after others
// came and went, and an exit of another process leaves it.
TEST_F(TrackerTest, ProcessExitDropsItsConnectionsOnlyAfterOthersCameAndWent) {
  open(9, 1, LOUPE_ORIGIN_ACCEPT, 8080, 40000);
  tgid_ = kTgid + 1;
  open(9, 1, LOUPE_ORIGIN_CONNECT, 40000, 8080);
  open(10, 1, LOUPE_ORIGIN_CONNECT, 40001, 8080);
  simple(LOUPE_EV_CLOSE, 9, 1);
  data(11, 1, LOUPE_DIR_EGRESS, kRequest);  // its open lost: tracked all the same
  EXPECT_EQ(tracker_.connection_count(), 3u);
  tgid_ = kTgid + 2;  // holds none
  simple(LOUPE_EV_PROC_EXIT, -1, 0);
  EXPECT_EQ(tracker_.connection_count(), 3u);
  tgid_ = kTgid + 1;
  simple(LOUPE_EV_PROC_EXIT, -1, 0);
  EXPECT_EQ(tracker_.connection_count(), 1u);      // fds 10 and 11 dropped
  open(12, 1, LOUPE_ORIGIN_CONNECT, 40002, 8080);  // the pid used again
  simple(LOUPE_EV_PROC_EXIT, -1, 0);
  EXPECT_EQ(tracker_.connection_count(), 1u);
  tgid_ = kTgid;
  simple(LOUPE_EV_PROC_EXIT, -1, 0);
  EXPECT_EQ(tracker_.connection_count(), 0u);
}

TEST_F(TrackerTest, UnknownBytesAreCountedPerPort) {
  open(11, 1, LOUPE_ORIGIN_ACCEPT, 9999, 40000);
  data(11, 1, LOUPE_DIR_INGRESS, std::string_view("\x01\x02\x03\x04garbage", 11));
  simple(LOUPE_EV_CLOSE, 11, 1);
  EXPECT_EQ(tracker_.stats().lost.total.undetected, 1u);
  EXPECT_EQ(tracker_.stats().lost.by_port.at(9999).undetected, 1u);
  EXPECT_EQ(tracker_.stats().lost.by_process.at("srv").undetected, 1u);
}

TEST_F(TrackerTest, DataWithoutOpenIsStillParsed) {
  data(12, 1, LOUPE_DIR_EGRESS, kRequest);
  data(12, 1, LOUPE_DIR_INGRESS, kResponse);
  EXPECT_EQ(tracker_.stats().data_without_open, 1u);
  EXPECT_EQ(records_.size(), 1u);
}

// A connection that went (closed, its process gone) is not found again,
// however recently its events came: the next data event of its key is one
// whose open was lost.
TEST_F(TrackerTest, DataAfterItsConnectionWentIsANewConnections) {
  open(13, 1, LOUPE_ORIGIN_ACCEPT, 8080, 40000);
  data(13, 1, LOUPE_DIR_INGRESS, kRequest);
  data(13, 1, LOUPE_DIR_EGRESS, kResponse);
  simple(LOUPE_EV_CLOSE, 13, 1);
  EXPECT_EQ(tracker_.connection_count(), 0u);
  data(13, 1, LOUPE_DIR_INGRESS, kRequest);
  EXPECT_EQ(tracker_.stats().data_without_open, 1u);
  EXPECT_EQ(tracker_.connection_count(), 1u);
  simple(LOUPE_EV_PROC_EXIT, -1, 0);
  EXPECT_EQ(tracker_.connection_count(), 0u);
  data(13, 1, LOUPE_DIR_INGRESS, kRequest);
  EXPECT_EQ(tracker_.stats().data_without_open, 2u);
  EXPECT_EQ(tracker_.connection_count(), 1u);
  EXPECT_EQ(records_.size(), 1u);
}

TEST_F(TrackerTest, MalformedEventsAreCountedNotTrusted) {
  uint8_t tiny[3] = {LOUPE_EV_DATA, 0, 0};
  feed(tiny, sizeof tiny);
  loupe_data_event ev{};
  ev.h.type = LOUPE_EV_DATA;
  ev.captured = 1000;  // claims more payload than the event holds
  feed(&ev, sizeof ev);
  loupe_event_header h{};
  h.type = 99;
  feed(&h, sizeof h);
  EXPECT_EQ(tracker_.stats().malformed_events, 3u);
}

TEST_F(TrackerTest, TableStaysWithinItsBytes) {
  constexpr size_t kBudget = 256 * 1024;
  tracker_ = ConnectionTracker({.table_budget_bytes = kBudget}, [](std::span<Record>) {});
  for (int fd = 0; fd < 10'000; ++fd) {
    open(fd, 1, LOUPE_ORIGIN_ACCEPT, 8080, static_cast<uint16_t>(10'000 + fd));
    ASSERT_LE(tracker_.stats().table_bytes, kBudget);
  }
  EXPECT_GT(tracker_.stats().connections_evicted, 0u);
  EXPECT_LT(tracker_.connection_count(), 10'000u);
  EXPECT_GT(tracker_.stats().table_bytes, kBudget / 2);  // counted, not zero
  for (int fd = 0; fd < 10'000; ++fd) simple(LOUPE_EV_CLOSE, fd, 1);
  EXPECT_EQ(tracker_.connection_count(), 0u);
  EXPECT_EQ(tracker_.stats().table_bytes, 0u);  // every entry gave its bytes back
}

}  // namespace
}  // namespace loupe

namespace loupe {
namespace {

TEST_F(TrackerTest, RequestWrittenOneBytePerSyscallIsRecorded) {
  open(20, 1, LOUPE_ORIGIN_ACCEPT, 8080, 40000);
  for (char ch : kRequest) data(20, 1, LOUPE_DIR_INGRESS, std::string_view(&ch, 1));
  for (char ch : kResponse) data(20, 1, LOUPE_DIR_EGRESS, std::string_view(&ch, 1));
  ASSERT_EQ(records_.size(), 1u);
  EXPECT_EQ(records_[0].method, "GET");
  EXPECT_EQ(records_[0].path, "/x");
  EXPECT_EQ(records_[0].req_bytes, kRequest.size());
  simple(LOUPE_EV_CLOSE, 20, 1);
  EXPECT_EQ(tracker_.stats().lost.total.total(), 0u);
}

TEST_F(TrackerTest, ShortConnectionStillUndecidedAtCloseIsCounted) {
  open(21, 1, LOUPE_ORIGIN_ACCEPT, 8080, 40000);
  data(21, 1, LOUPE_DIR_INGRESS, "GE");
  EXPECT_EQ(tracker_.stats().lost.total.undetected, 0u);  // still waiting for bytes
  simple(LOUPE_EV_CLOSE, 21, 1);
  EXPECT_EQ(tracker_.stats().lost.total.undetected, 1u);
  EXPECT_EQ(tracker_.stats().lost.by_port.at(8080).undetected, 1u);
}

TEST_F(TrackerTest, ParseErrorsAndResyncsAreCountedOncePerConnection) {
  open(22, 1, LOUPE_ORIGIN_ACCEPT, 8080, 40000);
  data(22, 1, LOUPE_DIR_INGRESS, "GET /a HTTP/1.1\r\nContent-Length: x\r\n\r\n");
  data(22, 1, LOUPE_DIR_INGRESS, "GET /b HTTP/1.1\r\nContent-Length: y\r\n\r\n");
  simple(LOUPE_EV_CLOSE, 22, 1);
  // Captured mid-stream: body bytes, then a request.
  open(23, 1, LOUPE_ORIGIN_ACCEPT, 8080, 40001);
  data(23, 1, LOUPE_DIR_INGRESS, "GET /partial-body-tail HTTP/1.1\r\n\r\n");
  data(23, 1, LOUPE_DIR_EGRESS, "tail of a body\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  simple(LOUPE_EV_CLOSE, 23, 1);
  const LossStats& lost = tracker_.stats().lost;
  EXPECT_EQ(lost.total.parse_error, 1u);
  EXPECT_EQ(lost.total.resync, 1u);
  EXPECT_EQ(lost.total.undetected, 0u);
  EXPECT_EQ(lost.by_port.at(8080).parse_error, 1u);
  EXPECT_EQ(lost.by_process.at("srv").resync, 1u);
  EXPECT_EQ(records_.size(), 1u);  // the resynchronised exchange
}

TEST_F(TrackerTest, UndecidedBytesShareOneBudget) {
  ConnectionTracker::Options opts;
  opts.detect_budget_bytes = 200;
  tracker_ = ConnectionTracker(opts, [this](std::span<Record> rs) {
    for (auto& r : rs) records_.push_back(r);
  });
  // A token-method request line still arriving: undecided, held.
  std::string partial = "FOO /" + std::string(25, 'a');
  for (int fd = 30; fd < 33; ++fd) {
    open(fd, 1, LOUPE_ORIGIN_ACCEPT, 8080, static_cast<uint16_t>(40000 + fd));
    data(fd, 1, LOUPE_DIR_INGRESS, partial);
  }
  // The third did not fit: decided with what it had (nothing claims it).
  EXPECT_EQ(tracker_.stats().detect_budget_exhausted, 1u);
  EXPECT_EQ(tracker_.stats().lost.total.undetected, 1u);
  for (int fd = 30; fd < 33; ++fd) simple(LOUPE_EV_CLOSE, fd, 1);
  EXPECT_EQ(tracker_.stats().lost.total.undetected, 3u);
  // Closed connections gave their share back.
  open(33, 1, LOUPE_ORIGIN_ACCEPT, 8080, 40033);
  data(33, 1, LOUPE_DIR_INGRESS, partial);
  data(33, 1, LOUPE_DIR_INGRESS, " HTTP/1.1\r\n\r\n");
  data(33, 1, LOUPE_DIR_EGRESS, kResponse);
  EXPECT_EQ(tracker_.stats().detect_budget_exhausted, 1u);
  ASSERT_EQ(records_.size(), 1u);
  EXPECT_EQ(records_[0].method, "FOO");
}

TEST_F(TrackerTest, StatementCachesCountAndTheLargestHolderGoesFirst) {
  tracker_ = ConnectionTracker({.table_budget_bytes = 20'000}, [this](std::span<Record> rs) {
    for (auto& r : rs) records_.push_back(r);
  });
  // Two PostgreSQL clients preparing statements: fd 41 one short one, fd 40
  // a hundred long ones, which pass the budget.
  for (int fd : {40, 41}) {
    open(fd, 1, LOUPE_ORIGIN_CONNECT, static_cast<uint16_t>(40000 + fd), 5432);
    data(fd, 1, LOUPE_DIR_EGRESS, postgres::testing::startup("app", "shop"));
    data(fd, 1, LOUPE_DIR_INGRESS, postgres::testing::auth(0) + postgres::testing::ready());
  }
  data(41, 1, LOUPE_DIR_EGRESS,
       postgres::testing::parse("one", "SELECT 1") + postgres::testing::sync_msg());
  EXPECT_EQ(tracker_.stats().connections_evicted, 0u);
  std::string prepares;
  for (int i = 0; i < 100; ++i)
    prepares +=
        postgres::testing::parse("s" + std::to_string(i), "SELECT " + std::string(300, 'x'));
  data(40, 1, LOUPE_DIR_EGRESS, prepares + postgres::testing::sync_msg());
  EXPECT_EQ(tracker_.stats().connections_evicted, 1u);
  EXPECT_EQ(tracker_.connection_count(), 1u);  // the small holder stays
  EXPECT_LE(tracker_.stats().table_bytes, 20'000u);
  // It keeps working.
  data(41, 1, LOUPE_DIR_INGRESS, postgres::testing::parse_complete() + postgres::testing::ready());
  EXPECT_EQ(tracker_.stats().connections_evicted, 1u);
}

// An attacker (or a slow client) sending heads that never end, on many
// connections to a monitored server: each head is reassembled by its
// parser, and together they stay within the table budget; ordinary
// traffic is still recorded.
TEST_F(TrackerTest, ReassemblyBuffersCountAgainstTheTableBudget) {
  constexpr size_t kBudget = 2 * 1024 * 1024;
  tracker_ = ConnectionTracker({.table_budget_bytes = kBudget}, [this](std::span<Record> rs) {
    for (auto& r : rs) records_.push_back(r);
  });
  // A head written 4 KiB per syscall, 40 KiB so far and no end in sight.
  auto endless = [&](int fd) {
    open(fd, 1, LOUPE_ORIGIN_ACCEPT, 8080, static_cast<uint16_t>(50000 + fd));
    data(fd, 1, LOUPE_DIR_INGRESS, "GET / HTTP/1.1\r\n");
    for (int i = 0; i < 10; ++i) data(fd, 1, LOUPE_DIR_INGRESS, "X-Pad: " + std::string(4089, 'a'));
  };
  endless(100);
  EXPECT_GE(tracker_.stats().table_bytes, 40u * 1024);  // the head is counted
  for (int fd = 101; fd < 300; ++fd) {                  // 200 x 40 KiB: four times the budget
    endless(fd);
    ASSERT_LE(tracker_.stats().table_bytes, kBudget);
  }
  EXPECT_GT(tracker_.stats().connections_evicted, 100u);
  open(300, 1, LOUPE_ORIGIN_ACCEPT, 8080, 60000);
  data(300, 1, LOUPE_DIR_INGRESS, kRequest);
  data(300, 1, LOUPE_DIR_EGRESS, kResponse);
  ASSERT_EQ(records_.size(), 1u);
  EXPECT_EQ(records_[0].path, "/x");
}

}  // namespace
}  // namespace loupe
