// ClickHouseStore's CPU profiles: one row per (minute, process, chain) per
// write in loupe_profile_samples (signal_schema.cpp), the chain folded
// ("a;b;c") as the agent sent it; a minute sent in parts adds up when read,
// as the embedded store adds it up when written. Written through the spool
// like records (store_write): one part per UTC hour, each row with the
// write's id (schema version 9), so a write resumed after a failure sends
// only the hours ClickHouse does not hold and no minute counts twice; a
// part with the agent's batch key carries it in loupe_batches, so a part
// sent again is stored once (on any replica).
#include <map>

#include "store/clickhouse/clickhouse_store.h"
#include "store/clickhouse/row_binary.h"
#include "store/clickhouse/tables.h"

namespace loupe::store::clickhouse {
namespace {

constexpr std::string_view kProfileColumns =
    "minute, node, pid, process, namespace, pod, container, workload, stack, samples, write_id";
// Distinct (process, chain) rows one query reads at most, as the embedded store.
constexpr uint64_t kMaxQueryRows = 500'000;

// Minutes whose start lies in [from, to), as the embedded store's profile query.
int64_t ceil_minute(uint64_t ns) {
  uint64_t s = (ns + 999'999'999ULL) / 1'000'000'000ULL;
  return static_cast<int64_t>((s + 59) / 60 * 60);
}

}  // namespace

uint64_t ClickHouseStore::write_profiles(const std::vector<ProfileMinute>& minutes,
                                         const std::optional<BatchKey>& key) {
  // A part sent again (its answer lost): stored already, or waiting in
  // the spool. The key goes last in the write, so it is stored only once
  // all of the part is.
  if (key && has_batch(*key)) return 0;
  const uint64_t write_id = next_prefix();
  std::map<uint32_t, RowBinaryWriter> hours;
  uint64_t stored = 0, rows = 0;
  for (const ProfileMinute& m : minutes)
    for (const auto& [chain, samples] : m.stacks.stacks()) {
      const ProfileEntity& e = m.entity;
      const auto minute = static_cast<uint32_t>(m.minute_s / 60 * 60);
      RowBinaryWriter& out = hours[minute / 3600];
      out.uint32(minute);
      out.string(e.node);
      out.uint32(e.pid);
      for (const std::string* f : {&e.process, &e.namespace_, &e.pod, &e.container, &e.workload})
        out.string(*f);
      out.string(chain);
      out.uint64(samples);
      out.uint64(write_id);
      stored += samples;
      ++rows;
    }
  if (!rows) return 0;
  std::map<uint32_t, std::string> bodies;
  for (auto& [hour, out] : hours) bodies.emplace(hour, out.take());
  PreparedWrite write =
      hourly_write(write_id, kProfileSamplesTable, kProfileColumns, std::move(bodies), rows);
  if (key) add_batch_keys(write, {*key});
  store_write(write);
  return stored;
}

ProfileStacks ClickHouseStore::profile(const ProfileQuery& q) {
  int64_t from = ceil_minute(q.range.from_ns), to = ceil_minute(q.range.to_ns);
  // The embedded store deletes a minute once it ended before the cutoff.
  from = std::max(from, static_cast<int64_t>(retention_cutoff_ns_.load() / 60'000'000'000ULL * 60));
  if (from >= to) return {};
  std::string sql = "SELECT process, stack, sum(samples) FROM " +
                    std::string(kProfileSamplesTable) + " WHERE minute >= toDateTime(" +
                    std::to_string(from) + ") AND minute < toDateTime(" + std::to_string(to) + ")";
  auto eq = [&sql](std::string_view column, const std::string& v) {
    sql += " AND " + std::string(column) + " = " + quote_literal(v);
  };
  if (q.node) eq("node", *q.node);
  if (q.workload) eq("workload", *q.workload);
  if (q.pod) {  // "namespace/pod" or a bare pod name
    auto slash = q.pod->find('/');
    if (slash != std::string::npos) eq("namespace", q.pod->substr(0, slash));
    eq("pod", slash == std::string::npos ? *q.pod : q.pod->substr(slash + 1));
  }
  if (q.process) eq("process", *q.process);
  if (q.pid) sql += " AND pid = " + std::to_string(*q.pid);
  sql += " GROUP BY process, stack LIMIT " + std::to_string(kMaxQueryRows);
  return with_client([&sql](Client& c) {
    ProfileStacks out;
    std::vector<std::string> chain;
    for (auto& r : c.select(sql, 3)) {
      chain.clear();
      chain.push_back(r[0].empty() ? "[unknown]" : std::move(r[0]));  // the root frame
      std::string_view rest = r[1];
      while (true) {
        size_t semi = rest.find(';');
        chain.emplace_back(rest.substr(0, semi));
        if (semi == std::string_view::npos) break;
        rest.remove_prefix(semi + 1);
      }
      out.add(chain, parse_uint(r[2]));
    }
    return out;
  });
}

}  // namespace loupe::store::clickhouse
