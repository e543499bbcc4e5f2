#include "agent/metrics/tcp_health.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <map>

namespace loupe::metrics {
namespace {

TcpEvent event(TcpEventKind kind, const std::string& peer, uint64_t value = 0) {
  TcpEvent e;
  e.kind = kind;
  e.pid = 42;
  e.command = "curl";
  e.peer = peer;
  e.value = value;
  return e;
}

std::map<std::string, double> by_key(const std::vector<MetricSample>& v) {
  std::map<std::string, double> out;
  for (const auto& s : v) out[s.name + " " + s.label + " " + s.metric] = s.value;
  return out;
}

TEST(TcpHealth, CountsPerOwnerAndPeerAndKeepsActiveConnections) {
  TcpHealth h;
  TcpOwner pod{"pod", "/kubepods/pod1", "uid-1"}, proc{"process", "curl", ""};
  h.add(pod, event(TcpEventKind::ConnectFailed, "10.0.0.1:80", ECONNREFUSED));
  h.add(pod, event(TcpEventKind::ConnectFailed, "10.0.0.1:80", ETIMEDOUT));
  h.add(pod, event(TcpEventKind::Connected, "10.0.0.2:5432", 2'000'000));
  h.add(pod, event(TcpEventKind::Connected, "10.0.0.2:5432", 4'000'000));
  h.add(pod, event(TcpEventKind::Retransmit, "10.0.0.2:5432"));
  h.add(pod, event(TcpEventKind::Closed, "10.0.0.2:5432"));
  h.add(proc, event(TcpEventKind::ResetReceived, "10.0.0.3:6379"));
  std::vector<MetricSample> out;
  h.flush(1, out);
  auto m = by_key(out);
  EXPECT_EQ(m["/kubepods/pod1 10.0.0.1:80 tcp_connect_failures"], 2);
  EXPECT_EQ(m["/kubepods/pod1 10.0.0.1:80 tcp_connect_refused"], 1);
  EXPECT_EQ(m["/kubepods/pod1 10.0.0.1:80 tcp_connect_timeouts"], 1);
  EXPECT_EQ(m["/kubepods/pod1 10.0.0.2:5432 tcp_connects"], 2);
  EXPECT_DOUBLE_EQ(m["/kubepods/pod1 10.0.0.2:5432 tcp_connect_time_seconds"], 0.003);
  EXPECT_EQ(m["/kubepods/pod1 10.0.0.2:5432 tcp_retransmits"], 1);
  EXPECT_EQ(m["/kubepods/pod1 10.0.0.2:5432 tcp_active_connections"], 1);
  EXPECT_EQ(m["curl 10.0.0.3:6379 tcp_resets_received"], 1);
  for (const auto& s : out)
    if (s.entity == "pod") {
      EXPECT_EQ(s.pod_uid, "uid-1");
    }

  // Next interval: only the open connection is still reported.
  out.clear();
  h.flush(2, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].metric, "tcp_active_connections");
  EXPECT_EQ(out[0].value, 1);
}

// A server's accepted connections: counted per client address, with the
// resets and retransmits on them, and no connect counts.
TEST(TcpHealth, AcceptedConnectionsCountForTheListener) {
  TcpHealth h;
  TcpOwner server{"pod", "/kubepods/pod2", "uid-2"};
  auto in = [](TcpEventKind kind) {
    TcpEvent e = event(kind, "10.0.0.7");
    e.incoming = true;
    return e;
  };
  h.add(server, in(TcpEventKind::Accepted));
  h.add(server, in(TcpEventKind::Accepted));
  h.add(server, in(TcpEventKind::ResetReceived));
  h.add(server, in(TcpEventKind::Closed));
  std::vector<MetricSample> out;
  h.flush(1, out);
  auto m = by_key(out);
  EXPECT_EQ(m["/kubepods/pod2 10.0.0.7 tcp_accepts"], 2);
  EXPECT_EQ(m["/kubepods/pod2 10.0.0.7 tcp_resets_received"], 1);
  EXPECT_EQ(m["/kubepods/pod2 10.0.0.7 tcp_active_connections"], 1);
  EXPECT_FALSE(m.contains("/kubepods/pod2 10.0.0.7 tcp_connects"));
  EXPECT_FALSE(m.contains("/kubepods/pod2 10.0.0.7 tcp_connect_failures"));
  out.clear();
  h.add(server, in(TcpEventKind::Accepted));
  h.flush(2, out);
  EXPECT_EQ(by_key(out)["/kubepods/pod2 10.0.0.7 tcp_accepts"], 1)
      << "still an incoming series after a flush";
}

TEST(TcpHealth, BoundedSeries) {
  TcpHealth h;
  TcpOwner owner{"process", "scanner", ""};
  for (size_t i = 0; i < TcpHealth::kMaxSeries + 5; ++i)
    h.add(owner, event(TcpEventKind::ConnectFailed, "10.0.0.1:" + std::to_string(i), ECONNREFUSED));
  EXPECT_EQ(h.dropped(), 5u);
  std::vector<MetricSample> out;
  h.flush(1, out);
  h.add(owner, event(TcpEventKind::ConnectFailed, "10.9.9.9:1", ECONNREFUSED));
  EXPECT_EQ(h.dropped(), 5u) << "a flush frees the finished series";
}

}  // namespace
}  // namespace loupe::metrics
