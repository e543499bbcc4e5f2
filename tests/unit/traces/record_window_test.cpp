#include "traces/record_window.h"

#include <gtest/gtest.h>

namespace loupe::traces {
namespace {

store::StoredRequest rec(Role role, uint32_t pid, uint32_t tid, uint64_t start, std::string local,
                         std::string remote) {
  store::StoredRequest s;
  s.record.role = role;
  s.record.pid = pid;
  s.record.tid = tid;
  s.record.start_ns = start;
  s.record.end_ns = start + 10;
  s.record.local_addr = std::move(local);
  s.record.remote_addr = std::move(remote);
  return s;
}

store::RequestQuery thread_query(uint32_t pid, uint32_t tid) {
  store::RequestQuery q;
  q.pid = pid;
  q.tid = tid;
  q.range = {0, 1000};
  return q;
}

TEST(RecordWindow, FindsOneThreadsAndOneConnectionSidesRecordsNewestFirst) {
  RecordWindow w(1 << 20);
  w.add(rec(Role::Server, 1, 2, 100, "a:1", "b:2"), 1);
  w.add(rec(Role::Client, 1, 2, 110, "a:3", "c:4"), 2);
  w.add(rec(Role::Server, 1, 3, 120, "a:1", "b:5"), 3);
  w.add(rec(Role::Server, 1, 2, 130, "a:1", "b:2"), 4);
  auto mine = w.find(thread_query(1, 2));
  ASSERT_EQ(mine.size(), 3u);
  EXPECT_EQ(mine[0].record.start_ns, 130u);
  auto q = thread_query(1, 2);
  q.role = Role::Server;
  q.range = {100, 130};
  ASSERT_EQ(w.find(q).size(), 1u);  // role and range apply
  store::RequestQuery conn;
  conn.local_addr = "a:1";
  conn.remote_addr = "b:2";
  conn.range = {0, 1000};
  EXPECT_EQ(w.find(conn).size(), 2u);
  store::RequestQuery by_service;  // not a lookup the window answers
  by_service.service = "x";
  by_service.range = {0, 1000};
  EXPECT_TRUE(w.find(by_service).empty());
}

TEST(RecordWindow, ForgetsByArrivalAndByMemory) {
  RecordWindow w(1 << 20);
  for (uint64_t i = 0; i < 10; ++i) w.add(rec(Role::Server, 1, 2, 100 + i, "a:1", "b:2"), i);
  w.evict_before(6);
  EXPECT_EQ(w.size(), 4u);
  EXPECT_EQ(w.find(thread_query(1, 2)).size(), 4u);
  size_t one = w.bytes() / 4;
  RecordWindow small(3 * one);
  for (uint64_t i = 0; i < 10; ++i) small.add(rec(Role::Server, 1, 2, 100 + i, "a:1", "b:2"), i);
  EXPECT_LE(small.bytes(), 3 * one);
  auto left = small.find(thread_query(1, 2));
  ASSERT_FALSE(left.empty());
  EXPECT_EQ(left[0].record.start_ns, 109u);  // the newest stay
}

}  // namespace
}  // namespace loupe::traces
