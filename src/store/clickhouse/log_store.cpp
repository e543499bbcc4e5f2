// ClickHouseStore's logs: entries in loupe_logs (one row each, with who
// wrote it and its text), the workload each source was first named with in
// loupe_log_sources (entries read before the cluster model knew their pod
// get it from there, as the embedded store's source rows give it), and the
// pattern miner's patterns in loupe_log_patterns (signal_schema.cpp).
//
// The embedded store's answers, from the rows: histograms and pattern
// counts count entries (no per-minute count table yet), searches are RE2
// matches per word (log_search.h), folds are shared (store/log_answers.h).
// An entry is stored once per (node, source, offset): write_logs leaves out
// the batch's entries ClickHouse holds already when it can ask (the count
// it returns), then writes the rest through the spool like records
// (store_write, prepared_write.h: one part per UTC hour, their ids' prefix
// the write id); a write sent from the spool is asked again as it is sent
// (log_rows.h), so entries accepted while ClickHouse was down, or sent
// again while they waited in the spool, are stored once too.
#include <algorithm>
#include <chrono>
#include <ctime>
#include <map>
#include <set>
#include <tuple>

#include "store/clickhouse/clickhouse_store.h"
#include "store/clickhouse/log_rows.h"
#include "store/clickhouse/log_search.h"
#include "store/clickhouse/row_binary.h"
#include "store/clickhouse/tables.h"
#include "store/log_answers.h"

namespace loupe::store::clickhouse {
namespace {

constexpr uint64_t kNsPerMinute = 60'000'000'000ULL;
constexpr std::string_view kReadColumns =
    "id, time_ns, level, stream, truncated, pos, text, node, source, file, namespace, pod, "
    "container, pod_uid, pattern";

std::string eq(std::string_view column, const std::string& value) {
  return " AND " + std::string(column) + " = " + quote_literal(value);
}

// The workload a source was first named with (the embedded store's
// log_sources.workload).
std::string source_workload_sql() {
  return "SELECT node, source, argMin(workload, time) AS w FROM " + std::string(kLogSourcesTable) +
         " GROUP BY node, source";
}

// Who wrote the entry and its level (and pattern, when asked).
std::string entity_where(const LogQuery& q, bool with_pattern) {
  std::string sql;
  if (q.node) sql += eq("node", *q.node);
  if (q.namespace_) sql += eq("namespace", *q.namespace_);
  if (q.pod) sql += eq("pod", *q.pod);
  if (q.container) sql += eq("container", *q.container);
  if (q.workload)  // GLOBAL: in cluster mode both sides are Distributed tables
    sql += " AND (node, source) GLOBAL IN (SELECT node, source FROM (" + source_workload_sql() +
           ") WHERE w = " + quote_literal(*q.workload) + ")";
  if (!q.levels.empty()) {
    std::string in;
    for (logs::Level l : q.levels)
      in += (in.empty() ? "" : ",") + std::to_string(static_cast<int>(l));
    sql += " AND level IN (" + in + ")";
  }
  if (with_pattern && q.pattern) sql += " AND pattern = " + std::to_string(*q.pattern);
  return sql;
}

std::string time_where(uint64_t from_ns, uint64_t to_ns) {
  return " WHERE time_ns >= " + std::to_string(from_ns) + " AND time_ns < " + std::to_string(to_ns);
}

logs::Level level_of(const std::string& field) {
  return static_cast<logs::Level>(std::min<uint64_t>(parse_uint(field), 6));
}

// (node, source) -> workload, for the sources named in `rows` at `node_at`, `source_at`.
std::map<std::pair<std::string, std::string>, std::string> workloads_of(
    Client& c, const std::vector<TsvRow>& rows, size_t node_at, size_t source_at) {
  std::set<std::pair<std::string, std::string>> sources;
  for (const TsvRow& r : rows) sources.emplace(r[node_at], r[source_at]);
  std::map<std::pair<std::string, std::string>, std::string> out;
  if (sources.empty()) return out;
  std::string in;
  for (const auto& [node, source] : sources)
    in += (in.empty() ? "(" : ", (") + quote_literal(node) + ", " + quote_literal(source) + ")";
  for (auto& row : c.select("SELECT node, source, argMin(workload, time) FROM " +
                                std::string(kLogSourcesTable) + " WHERE (node, source) IN (" + in +
                                ") GROUP BY node, source",
                            3))
    out[{row[0], row[1]}] = row[2];
  return out;
}

// Every pattern: its text is its newest, the rest of its first sighting (as
// the embedded store updates only the text).
std::vector<logs::Pattern> read_patterns(Client& c) {
  std::vector<logs::Pattern> out;
  for (auto& r : c.select("SELECT id, argMax(text, at), argMin(level, at), "
                          "argMin(first_seen_ns, at), argMin(example, at) FROM " +
                              std::string(kLogPatternsTable) + " GROUP BY id ORDER BY id",
                          5))
    out.push_back(
        {static_cast<uint32_t>(parse_uint(r[0])), r[1], level_of(r[2]), parse_uint(r[3]), r[4]});
  return out;
}

}  // namespace

bool ClickHouseStore::source_named(const std::string& node, const std::string& source) {
  std::lock_guard lock(named_sources_mu_);
  return named_sources_.contains({node, source});
}

void ClickHouseStore::note_named_sources(
    const std::set<std::pair<std::string_view, std::string_view>>& sources) {
  std::lock_guard lock(named_sources_mu_);
  // Bounded: past the cap the set starts again (a source is then named again).
  if (named_sources_.size() + sources.size() > 100'000) named_sources_.clear();
  for (const auto& [node, source] : sources) named_sources_.emplace(node, source);
}

std::string ClickHouseStore::log_where(const LogQuery& q, bool paging) const {
  uint64_t from = std::max(q.range.from_ns, retention_cutoff_ns_.load());
  std::string sql = time_where(from, q.range.to_ns) + entity_where(q, true) +
                    log_text_condition(log_search(q.text));
  if (paging && q.before)
    sql += " AND (time_ns < " + std::to_string(q.before->first) +
           " OR (time_ns = " + std::to_string(q.before->first) + " AND id < " +
           std::to_string(q.before->second) + "))";
  return sql;
}

uint64_t ClickHouseStore::write_logs(const std::vector<logs::Entry>& entries) {
  if (entries.empty()) return 0;
  auto [lo, hi] = std::minmax_element(
      entries.begin(), entries.end(),
      [](const logs::Entry& a, const logs::Entry& b) { return a.time_ns < b.time_ns; });
  std::set<std::string> nodes;
  for (const logs::Entry& e : entries) nodes.insert(e.node);
  std::string node_list;
  for (const std::string& n : nodes)
    node_list += (node_list.empty() ? "" : ", ") + quote_literal(n);
  std::string stored_sql = "SELECT node, source, pos FROM " + std::string(kLogsTable) +
                           time_where(lo->time_ns, hi->time_ns + 1) + " AND node IN (" + node_list +
                           ")";
  const uint64_t write_id = next_prefix();
  const uint64_t now_s = static_cast<uint64_t>(std::time(nullptr));
  std::set<std::tuple<std::string, std::string, uint64_t>> seen;
  try {
    with_client([&](Client& c) {
      for (auto& row : c.select(stored_sql, 3))
        seen.emplace(std::move(row[0]), std::move(row[1]), parse_uint(row[2]));
      return 0;
    });
  } catch (const StoreError&) {
    // ClickHouse is down: spooled all the same (the agent gets its 200),
    // and the spool's replay asks as it sends (without_stored_logs).
    if (!spooled()) throw;
  }
  std::map<uint32_t, RowBinaryWriter> hours;
  RowBinaryWriter sources;
  std::set<std::pair<std::string_view, std::string_view>> named;
  uint64_t stored = 0;
  for (const logs::Entry& e : entries) {
    if (!seen.emplace(e.node, e.source, e.offset).second) continue;  // stored before
    if (stored >= kMaxRowsPerWrite) throw StoreError("too many log entries in one write");
    // One part per UTC hour, whole or not at all: the spool resumes a
    // write by the hours loupe_logs holds (prepared_write.h).
    encode_log_row(hours[static_cast<uint32_t>(e.time_ns / (60 * kNsPerMinute))],
                   write_id << kIndexBits | stored++, e);
    if (!e.workload.empty() && !source_named(e.node, e.source) &&
        named.emplace(e.node, e.source).second) {
      sources.uint32(static_cast<uint32_t>(now_s));
      sources.string(e.node);
      sources.string(e.source);
      sources.string(e.workload);
    }
  }
  if (!stored) return 0;
  // Sources first (a source's first workload counts, so a repeat changes
  // nothing): an entry is never without the workload it named.
  std::optional<WritePart> first;
  if (sources.size())
    first = WritePart{std::string(kLogSourcesTable),
                      std::string(kLogSourcesTable) + " (time, node, source, workload)", kAnyHour,
                      sources.take()};
  std::map<uint32_t, std::string> bodies;
  for (auto& [hour, rows] : hours) bodies.emplace(hour, rows.take());
  store_write(
      hourly_write(write_id, kLogsTable, kLogColumns, std::move(bodies), stored, std::move(first)));
  note_named_sources(named);
  return stored;
}

std::vector<StoredLog> ClickHouseStore::logs(const LogQuery& q) {
  if (q.limit == 0 || log_search(q.text).matches_nothing()) return {};
  std::string sql = "SELECT " + std::string(kReadColumns) + " FROM " + std::string(kLogsTable) +
                    log_where(q, true) + " ORDER BY time_ns DESC, id DESC LIMIT " +
                    std::to_string(q.limit);
  return with_client([&sql](Client& c) {
    auto rows = c.select(sql, 15);
    auto workloads = workloads_of(c, rows, 7, 8);
    std::vector<StoredLog> out;
    out.reserve(rows.size());
    for (auto& r : rows) {
      StoredLog s;
      s.id = static_cast<int64_t>(parse_uint(r[0]));
      logs::Entry& e = s.entry;
      e.time_ns = parse_uint(r[1]);
      e.level = level_of(r[2]);
      e.stream = static_cast<logs::Stream>(std::min<uint64_t>(parse_uint(r[3]), 2));
      e.truncated = parse_uint(r[4]) != 0;
      e.offset = parse_uint(r[5]);
      e.text = std::move(r[6]);
      e.workload = workloads[{r[7], r[8]}];
      e.node = std::move(r[7]);
      e.source = std::move(r[8]);
      e.file = std::move(r[9]);
      e.namespace_ = std::move(r[10]);
      e.pod = std::move(r[11]);
      e.container = std::move(r[12]);
      e.pod_uid = std::move(r[13]);
      e.pattern = static_cast<uint32_t>(parse_uint(r[14]));
      out.push_back(std::move(s));
    }
    return out;
  });
}

std::vector<LogHistogramPoint> ClickHouseStore::log_histogram(const LogQuery& q, uint64_t step_s) {
  if (step_s == 0 || log_search(q.text).matches_nothing()) return {};
  std::string sql = "SELECT intDiv(time_ns, " + std::to_string(step_s * 1'000'000'000ULL) +
                    ") AS b, level, count() FROM " + std::string(kLogsTable) + log_where(q, false) +
                    " GROUP BY b, level";
  return with_client([&](Client& c) {
    LevelCounts counts;
    for (auto& row : c.select(sql, 3))
      counts[{parse_uint(row[0]) * step_s, static_cast<int64_t>(parse_uint(row[1]))}] +=
          parse_uint(row[2]);
    return log_histogram_points(counts);
  });
}

std::vector<LogSourceCount> ClickHouseStore::count_logs(const LogQuery& q) {
  if (log_search(q.text).matches_nothing()) return {};
  std::string sql =
      "SELECT node, source, any(namespace), any(pod), any(container), any(file), count() FROM " +
      std::string(kLogsTable) + log_where(q, false) +
      " GROUP BY node, source ORDER BY node, source";
  return with_client([&sql](Client& c) {
    auto rows = c.select(sql, 7);
    auto workloads = workloads_of(c, rows, 0, 1);
    std::vector<LogSourceCount> out;
    for (auto& r : rows)
      out.push_back({r[0], r[2], workloads[{r[0], r[1]}], r[3], r[4], r[5], parse_uint(r[6])});
    return out;
  });
}

void ClickHouseStore::write_log_patterns(const std::vector<logs::Pattern>& patterns) {
  if (patterns.empty()) return;
  RowBinaryWriter out;
  // Wall-clock nanoseconds: which definition came first, and which text is newest.
  const auto at = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                            std::chrono::system_clock::now().time_since_epoch())
                                            .count());
  for (const logs::Pattern& p : patterns) {
    out.uint32(p.id);
    out.string(p.text);
    out.uint8(static_cast<uint8_t>(p.level));
    out.uint64(p.first_seen_ns);
    out.string(p.example);
    out.uint64(at);
  }
  // A pattern's first and newest rows make its answer: the spool may send
  // these rows again.
  store_write(idempotent_write(kLogPatternsTable, "id, text, level, first_seen_ns, example, at",
                               out.take(), patterns.size()));
}

std::vector<logs::Pattern> ClickHouseStore::all_log_patterns() {
  return with_client([](Client& c) { return read_patterns(c); });
}

std::vector<LogPatternRow> ClickHouseStore::log_patterns(const LogPatternQuery& q) {
  if (q.step_s == 0) return {};
  // Counted per minute like the embedded store's log_pattern_minutes, which
  // keeps the minutes from the retention cutoff's on.
  const uint64_t cutoff_min = retention_cutoff_ns_.load() / kNsPerMinute;
  const std::string entities = entity_where(q.filter, false);
  return with_client([&](Client& c) {
    std::map<uint32_t, logs::Pattern> definitions;
    bool loaded = false;
    return log_pattern_rows(
        q,
        [&](uint64_t from_min, uint64_t to_min, const auto& add) {
          from_min = std::max(from_min, cutoff_min);
          if (from_min >= to_min) return;
          std::string sql = "SELECT pattern, intDiv(intDiv(time_ns, " +
                            std::to_string(kNsPerMinute) + ") * 60, " + std::to_string(q.step_s) +
                            ") * " + std::to_string(q.step_s) + " AS b, count() FROM " +
                            std::string(kLogsTable) +
                            time_where(from_min * kNsPerMinute, to_min * kNsPerMinute) + entities +
                            " GROUP BY pattern, b";
          for (auto& r : c.select(sql, 3))
            add(static_cast<uint32_t>(parse_uint(r[0])), parse_uint(r[1]), parse_uint(r[2]));
        },
        [&](uint32_t id) -> std::optional<logs::Pattern> {
          if (!loaded) {
            for (logs::Pattern& p : read_patterns(c)) definitions[p.id] = std::move(p);
            loaded = true;
          }
          auto it = definitions.find(id);
          if (it == definitions.end()) return std::nullopt;
          return it->second;
        });
  });
}

}  // namespace loupe::store::clickhouse
