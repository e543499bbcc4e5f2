#include "export/otlp/span_linker.h"

#include <gtest/gtest.h>

#include <map>

#include "core/span_id.h"

namespace loupe::exporting::otlp {
namespace {

using Clock = SpanLinker::Clock;
constexpr uint64_t kMs = 1'000'000;
constexpr uint64_t T0 = 1'700'000'000'000'000'000;

SpanSource span(Role role, uint32_t pid, uint32_t tid, uint64_t start_ms, uint64_t end_ms,
                std::string local, std::string remote, std::string path) {
  SpanSource s;
  Record& r = s.record;
  r.protocol = Protocol::Http1;
  r.role = role;
  r.pid = pid;
  r.tid = tid;
  r.start_ns = T0 + start_ms * kMs;
  r.end_ns = T0 + end_ms * kMs;
  r.local_addr = std::move(local);
  r.remote_addr = std::move(remote);
  r.path = std::move(path);
  return s;
}

// curl -> web (pid 10, thread 11) -> db, in the order records complete:
// the innermost first, the root last.
std::vector<SpanSource> chain() {
  return {
      span(Role::Server, 30, 31, 21, 29, "127.0.0.1:5432", "127.0.0.1:42000", "q@server"),
      span(Role::Client, 10, 11, 20, 30, "127.0.0.1:42000", "127.0.0.1:5432", "q@client"),
      span(Role::Server, 10, 11, 1, 99, "127.0.0.1:8000", "127.0.0.1:40000", "order@server"),
      span(Role::Client, 1, 1, 0, 100, "127.0.0.1:40000", "127.0.0.1:8000", "order@client"),
  };
}

std::map<std::string, SpanSource> by_path(std::vector<SpanSource> spans) {
  std::map<std::string, SpanSource> out;
  for (auto& s : spans) out[s.record.path] = std::move(s);
  return out;
}

TEST(SpanLinker, HeldSpansGetTheParentsAndTraceIdOfTheirTree) {
  SpanLinker linker(std::chrono::milliseconds(500), 1 << 20);
  auto t = Clock::now();
  auto spans = chain();
  // Arriving over 300 ms, the root last.
  for (size_t i = 0; i < spans.size(); ++i)
    linker.add(spans[i], 100, t + std::chrono::milliseconds(100 * i));
  size_t bytes = 0;
  EXPECT_TRUE(linker.take_due(t + std::chrono::milliseconds(450), 100, false, bytes).empty());
  auto due = linker.take_due(t + std::chrono::milliseconds(900), 100, false, bytes);
  ASSERT_EQ(due.size(), 4u);
  EXPECT_EQ(bytes, 400u);
  EXPECT_EQ(linker.held(), 0u);
  auto s = by_path(std::move(due));
  const std::string trace = span_id_hex(s["order@client"].record.start_ns) +
                            span_id_hex(span_id_of(s["order@client"].record));
  for (const auto& [path, sp] : s) EXPECT_EQ(sp.trace_id, trace) << path;
  EXPECT_EQ(s["order@client"].parent_span_id, 0u);
  EXPECT_EQ(s["order@server"].parent_span_id, span_id_of(s["order@client"].record));
  EXPECT_EQ(s["q@client"].parent_span_id, span_id_of(s["order@server"].record));
  EXPECT_EQ(s["q@server"].parent_span_id, span_id_of(s["q@client"].record));
}

TEST(SpanLinker, AParentArrivingAfterTheDelayLeavesTheSpanARoot) {
  SpanLinker linker(std::chrono::milliseconds(100), 1 << 20);
  auto t = Clock::now();
  auto spans = chain();
  size_t bytes = 0;
  linker.add(spans[1], 100, t);  // the query, long before its request ends
  auto early = linker.take_due(t + std::chrono::milliseconds(150), 100, false, bytes);
  ASSERT_EQ(early.size(), 1u);
  EXPECT_EQ(early[0].parent_span_id, 0u);
  EXPECT_EQ(early[0].trace_id,
            span_id_hex(early[0].record.start_ns) + span_id_hex(span_id_of(early[0].record)));
}

TEST(SpanLinker, StopLinksEverythingHeldAtOnce) {
  SpanLinker linker(std::chrono::seconds(60), 1 << 20);
  auto t = Clock::now();
  for (auto& s : chain()) linker.add(s, 100, t);
  size_t bytes = 0;
  auto all = linker.take_due(t, 100, true, bytes);
  ASSERT_EQ(all.size(), 4u);
  for (const auto& s : all) EXPECT_EQ(s.trace_id, all.back().trace_id);
  EXPECT_EQ(linker.drop_held(), 0u);
}

}  // namespace
}  // namespace loupe::exporting::otlp
