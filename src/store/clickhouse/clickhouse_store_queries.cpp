// ClickHouseStore's queries: raw records from loupe_records; RED, latency,
// the map and Kubernetes RED by folding the per-minute cells (each a
// write's partial DDSketch) with the embedded store's folds
// (store/rollup_answers.h), so both stores answer alike.
#include <algorithm>
#include <map>
#include <utility>

#include "store/clickhouse/clickhouse_store.h"
#include "store/clickhouse/record_rows.h"
#include "store/clickhouse/request_filter.h"
#include "store/clickhouse/rollup_window.h"
#include "store/clickhouse/store_schema.h"
#include "store/clickhouse/tables.h"
#include "store/query_window.h"
#include "store/rollup_answers.h"

namespace loupe::store::clickhouse {
namespace {

int64_t as_i64(const std::string& field) { return static_cast<int64_t>(parse_uint(field)); }

// Cells of a pair table (edges or workload -> pod) into `fold`.
void fold_pairs(Client& c, std::string_view table, const TimeRange& range,
                const std::optional<std::string>& only_a, PairFold& fold) {
  std::string filter = only_a ? " AND a = " + quote_literal(*only_a) : std::string();
  for (auto& row : c.select(rollup_cells_sql(c, table,
                                             "a, b, a_kind, b_kind, protocol, requests, errors, "
                                             "sketch",
                                             range, filter),
                            8))
    fold.add(row[0], row[1], row[2], row[3], static_cast<Protocol>(parse_uint(row[4])),
             {parse_uint(row[5]), parse_uint(row[6]), row[7]});
}

}  // namespace

std::vector<ServiceSummary> ClickHouseStore::services(const ServicesQuery& q) {
  return with_client([&q](Client& c) {
    ServicesFold fold(q);
    constexpr std::string_view kColumns =
        "service, requests, errors, sketch, toUInt32(minute), active";
    constexpr std::string_view kFilter = " AND counted = 1";
    for (auto& row : c.select("SELECT name, any(kind), port FROM " + std::string(kServicesTable) +
                                  " GROUP BY name, port",
                              3))
      fold.registered(row[0], row[1], static_cast<uint16_t>(parse_uint(row[2])));
    // A series of steps shorter than an hour needs the minutes (as latency).
    for (auto& row :
         c.select(q.series && q.series->step_s % 3600 != 0
                      ? minute_cells_sql(kRecordMinuteTable, kColumns, q.range, kFilter)
                      : rollup_cells_sql(c, kRecordMinuteTable, kColumns, q.range, kFilter),
                  6))
      fold.add(row[0], {parse_uint(row[1]), parse_uint(row[2]), row[3], as_i64(row[4]),
                        parse_uint(row[5])});
    return fold.finish();
  });
}

std::vector<EndpointSummary> ClickHouseStore::endpoints(const std::optional<std::string>& service,
                                                        const TimeRange& range) {
  return with_client([&](Client& c) {
    std::string filter = " AND counted = 1";
    if (service) filter += " AND service = " + quote_literal(*service);
    EndpointsFold fold;
    for (auto& row : c.select(rollup_cells_sql(c, kRecordMinuteTable,
                                               "service, method, route, protocol, requests, "
                                               "errors, sketch, toUInt32(minute), active",
                                               range, filter),
                              9))
      fold.add(
          row[0], row[1], row[2], static_cast<Protocol>(parse_uint(row[3])),
          {parse_uint(row[4]), parse_uint(row[5]), row[6], as_i64(row[7]), parse_uint(row[8])});
    return fold.finish(range);
  });
}

std::vector<LatencyPoint> ClickHouseStore::latency(const LatencyQuery& q) {
  if (q.step_s == 0 || q.range.to_ns <= q.range.from_ns) return {};
  return with_client([&q](Client& c) {
    std::string filter = " AND counted = 1 AND service = " + quote_literal(q.service);
    if (q.route) filter += " AND route = " + quote_literal(*q.route);
    if (q.method) filter += " AND method = " + quote_literal(*q.method);
    constexpr std::string_view kColumns = "toUInt32(minute), errors, sketch";
    // Steps of whole hours may read hour cells (each falls in one step);
    // shorter steps need the minutes.
    const std::string sql = q.step_s % 3600 == 0
                                ? rollup_cells_sql(c, kRecordMinuteTable, kColumns, q.range, filter)
                                : minute_cells_sql(kRecordMinuteTable, kColumns, q.range, filter);
    LatencyFold fold(q);
    for (auto& row : c.select(sql, 3)) fold.add({0, parse_uint(row[1]), row[2], as_i64(row[0])});
    return fold.finish();
  });
}

std::vector<StoredRequest> ClickHouseStore::requests(const RequestQuery& q) {
  if (q.limit == 0 || q.range.to_ns <= q.range.from_ns) return {};
  return with_client([&q](Client& c) {
    // Two steps. 18.16 cannot stop early on ORDER BY ... LIMIT (later
    // releases read in the table's order), so one SELECT of every column
    // reads all 36 of every row of the window (a busy service's day: 500,000
    // rows at 10 M records, ~800 ms). First the ids and start times of the
    // `limit` rows, from the filter's and the order's columns only; then the
    // full rows of those ids, within their start times (the table's key).
    const std::string where = request_where(q);
    const std::string order =
        q.order == RequestOrder::Slowest
            ? " ORDER BY " + std::string(kDurationNs) + " DESC, start_ns DESC, id DESC"
            : std::string(" ORDER BY start_ns DESC, id DESC");
    auto pick = [&](const RequestQuery& within) {
      return c.select("SELECT id, start_ns FROM " + std::string(kRecordsTable) +
                          request_where(within) + order + " LIMIT " + std::to_string(q.limit),
                      2);
    };
    // The newest: the window's last minutes first, then wider. When a
    // slice [to - w, to) holds `limit` rows they are the window's newest
    // (every row outside it started earlier), so the answer is the same.
    std::vector<TsvRow> picked;
    constexpr uint64_t kMinute = 60'000'000'000ULL;
    if (q.order == RequestOrder::Newest)
      for (uint64_t width : {5 * kMinute, 60 * kMinute}) {
        if (q.range.to_ns - q.range.from_ns <= width) break;
        RequestQuery recent = q;
        recent.range.from_ns = q.range.to_ns - width;
        picked = pick(recent);
        if (picked.size() == q.limit) break;
      }
    if (picked.size() < q.limit) picked = pick(q);
    if (picked.empty()) return std::vector<StoredRequest>{};
    // (id, start_ns) -> rank: an id names one record (clickhouse_store.h);
    // the start time guards against a colliding prefix all the same.
    std::map<std::pair<uint64_t, uint64_t>, size_t> rank;
    uint64_t first = UINT64_MAX, last = 0;
    std::string ids;
    for (const auto& row : picked) {
      uint64_t id = parse_uint(row[0]), start = parse_uint(row[1]);
      rank.emplace(std::pair{id, start}, rank.size());
      first = std::min(first, start);
      last = std::max(last, start);
      ids += (ids.empty() ? "" : ", ") + row[0];
    }
    constexpr uint64_t kSec = 1'000'000'000ULL;
    std::vector<std::pair<size_t, StoredRequest>> found;
    for (auto& row : c.select(
             "SELECT " + std::string(record_columns()) + " FROM " + std::string(kRecordsTable) +
                 where + " AND start_ns >= " + std::to_string(first) +
                 " AND start_ns <= " + std::to_string(last) + " AND time >= toDateTime(" +
                 std::to_string(first / kSec) + ") AND time <= toDateTime(" +
                 std::to_string(last / kSec) + ") AND id IN (" + ids + ")",
             record_column_count())) {
      StoredRequest r = decode_record(row);
      auto it = rank.find({static_cast<uint64_t>(r.id), r.record.start_ns});
      if (it != rank.end()) found.emplace_back(it->second, std::move(r));
    }
    std::stable_sort(found.begin(), found.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    // As many as the first step picked (a row stored twice comes back twice).
    std::vector<StoredRequest> out;
    for (size_t i = 0; i < found.size() && i < picked.size(); ++i)
      out.push_back(std::move(found[i].second));
    return out;
  });
}

uint64_t ClickHouseStore::count_requests(const RequestQuery& q, uint64_t at_most) {
  if (at_most == 0 || q.range.to_ns <= q.range.from_ns) return 0;
  return with_client([&q, at_most](Client& c) {
    // start_ns, not a constant: 18.16 loses a PREWHERE column when a
    // Distributed table (cluster mode) is read for a constant in a subquery.
    auto rows = c.select("SELECT count() FROM (SELECT start_ns FROM " + std::string(kRecordsTable) +
                             request_where(q) + " LIMIT " + std::to_string(at_most) + ")",
                         1);
    return rows.empty() ? uint64_t{0} : parse_uint(rows[0][0]);
  });
}

std::optional<StoredRequest> ClickHouseStore::request(int64_t id) {
  if (id <= 0) return std::nullopt;
  return with_client([id](Client& c) -> std::optional<StoredRequest> {
    auto rows =
        c.select("SELECT " + std::string(record_columns()) + " FROM " + std::string(kRecordsTable) +
                     " WHERE id = " + std::to_string(id) + " LIMIT 1",
                 record_column_count());
    if (rows.empty()) return std::nullopt;
    return decode_record(rows[0]);
  });
}

std::vector<MapEdge> ClickHouseStore::map(const TimeRange& range) {
  return with_client([&range](Client& c) {
    PairFold fold(false);
    fold_pairs(c, kEdgeMinuteTable, range, {}, fold);
    return fold.edges(range);
  });
}

std::vector<WorkloadSummary> ClickHouseStore::workloads(const TimeRange& range) {
  return with_client([&range](Client& c) {
    PairFold fold(true);
    fold_pairs(c, kPodMinuteTable, range, {}, fold);
    return fold.workloads(range);
  });
}

std::vector<PodSummary> ClickHouseStore::pods(const std::optional<std::string>& workload,
                                              const TimeRange& range) {
  return with_client([&](Client& c) {
    PairFold fold(false);
    fold_pairs(c, kPodMinuteTable, range, workload, fold);
    return fold.pods(range);
  });
}

}  // namespace loupe::store::clickhouse
