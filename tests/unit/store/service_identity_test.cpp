#include "store/service_identity.h"

#include <gtest/gtest.h>

namespace loupe::store {
namespace {

Record server(const std::string& comm, const std::string& local) {
  Record r;
  r.role = Role::Server;
  r.comm = comm;
  r.local_addr = local;
  r.remote_addr = "10.0.0.9:51000";
  return r;
}

Record client(const std::string& remote, const std::string& host = "") {
  Record r;
  r.role = Role::Client;
  r.comm = "curl";
  r.protocol = Protocol::Http1;
  r.local_addr = "127.0.0.1:40000";
  r.remote_addr = remote;
  r.host = host;
  return r;
}

TEST(SplitHostPort, V4AndV6) {
  EXPECT_EQ(split_host_port("10.1.2.3:80")->first, "10.1.2.3");
  EXPECT_EQ(split_host_port("10.1.2.3:80")->second, 80);
  EXPECT_EQ(split_host_port("[::1]:8080")->first, "::1");
  EXPECT_EQ(split_host_port("[::1]:8080")->second, 8080);
  EXPECT_FALSE(split_host_port("nope"));
  EXPECT_FALSE(split_host_port("1.2.3.4:99999"));
}

TEST(ServiceResolver, ServerIsCommColonPort) {
  ServiceResolver res;
  bool is_new = false;
  auto id = res.resolve(server("nginx", "0.0.0.0:80"), &is_new);
  EXPECT_EQ(id.name, "nginx:80");
  EXPECT_EQ(id.kind, "process");
  EXPECT_EQ(id.port, 80);
  EXPECT_TRUE(id.counted);
  EXPECT_TRUE(is_new);
  res.resolve(server("nginx", "0.0.0.0:80"), &is_new);
  EXPECT_FALSE(is_new);
}

TEST(ServiceResolver, KubernetesServiceWins) {
  ServiceResolver res;
  Record r = server("python3", "10.1.0.5:8000");
  edit(r.local_identity).service = "checkout";
  auto id = res.resolve(r);
  EXPECT_EQ(id.name, "checkout");
  EXPECT_EQ(id.kind, "service");
  Record c = client("10.96.0.12:80");
  edit(c.remote_identity).service = "checkout";
  auto callee = res.resolve(c);
  EXPECT_EQ(callee.name, "checkout");
  EXPECT_FALSE(callee.counted);  // the server side was seen and counted
}

TEST(ServiceResolver, LocalCalleeIsNotCountedTwice) {
  ServiceResolver res;
  res.resolve(server("api", "127.0.0.1:8000"));
  auto id = res.resolve(client("127.0.0.1:8000"));
  EXPECT_EQ(id.name, "api:8000");
  EXPECT_FALSE(id.counted);
}

TEST(ServiceResolver, LocalIpLearnedFromServerRecords) {
  ServiceResolver res;
  res.resolve(server("api", "192.168.1.10:8000"));
  EXPECT_FALSE(res.resolve(client("192.168.1.10:8000")).counted);
  // Same port on another host is someone else.
  auto other = res.resolve(client("192.168.1.77:8000"));
  EXPECT_EQ(other.name, "external:192.168.1.77:8000");
  EXPECT_TRUE(other.counted);
}

TEST(ServiceResolver, ExternalUsesHttpHostWhenPresent) {
  ServiceResolver res;
  auto id = res.resolve(client("93.184.216.34:443", "example.com"));
  EXPECT_EQ(id.name, "external:example.com");
  EXPECT_EQ(id.kind, "external");
  EXPECT_TRUE(id.counted);
  Record pg = client("10.0.0.5:5432", "orders");  // host is the database for SQL
  pg.protocol = Protocol::Postgres;
  EXPECT_EQ(res.resolve(pg).name, "external:10.0.0.5:5432");
}

TEST(ServiceResolver, UnknownPortOnLoopbackIsExternal) {
  ServiceResolver res;
  auto id = res.resolve(client("127.0.0.1:6379"));
  EXPECT_EQ(id.name, "external:127.0.0.1:6379");
  EXPECT_TRUE(id.counted);
}

}  // namespace
}  // namespace loupe::store
