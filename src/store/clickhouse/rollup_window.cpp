#include "store/clickhouse/rollup_window.h"

#include <utility>
#include <vector>

#include "store/clickhouse/store_schema.h"
#include "store/query_window.h"

namespace loupe::store::clickhouse {
namespace {

constexpr int64_t kHour = 3600;

std::string at(int64_t s) { return "toDateTime(" + std::to_string(s) + ")"; }

// Whole hours in [from_s, to_s) whose hour cells are current.
std::vector<int64_t> current_hours(Client& c, std::string_view table, int64_t from_s,
                                   int64_t to_s) {
  const int64_t first = (from_s + kHour - 1) / kHour * kHour, end = to_s / kHour * kHour;
  std::vector<int64_t> hours;
  if (first >= end) return hours;
  // Small columns only: no sketch is read to decide.
  for (auto& row : c.select(
           "SELECT toUInt32(intDiv(toUInt32(minute), 3600) * 3600) AS hour FROM " +
               std::string(table) + " WHERE minute >= " + at(first) + " AND minute < " + at(end) +
               " GROUP BY hour HAVING countIf(span = " + std::to_string(kMinuteSpan) +
               ") = sumIf(requests, span = " + std::to_string(kFoldMarker) + ") ORDER BY hour",
           1))
    hours.push_back(static_cast<int64_t>(parse_uint(row[0])));
  return hours;
}

}  // namespace

std::string rollup_cells_sql(Client& c, std::string_view table, std::string_view columns,
                             const TimeRange& range, std::string_view filter) {
  auto [from_s, to_s] = minute_bounds(range);
  const std::vector<int64_t> hours = current_hours(c, table, from_s, to_s);
  const std::string select =
      "SELECT " + std::string(columns) + " FROM " + std::string(table) + " WHERE ";
  // The window without the current hours, as minute ranges: each its own
  // partitions, so the current hours' parts are not opened for it.
  std::vector<std::pair<int64_t, int64_t>> rest;
  int64_t from = from_s;
  for (int64_t h : hours) {
    if (from < h) rest.emplace_back(from, h);
    from = h + kHour;
  }
  if (from < to_s) rest.emplace_back(from, to_s);
  std::string sql;
  if (!rest.empty()) {
    std::string ranges;
    for (auto [a, b] : rest)
      ranges += std::string(ranges.empty() ? "" : " OR ") + "minute >= " + at(a) +
                " AND minute < " + at(b);
    sql = select + "span = " + std::to_string(kMinuteSpan) + " AND (" + ranges + ")" +
          std::string(filter);
  }
  if (!hours.empty()) {
    // The hour cells lead the table's key (span first): only they are read.
    std::string list;
    for (int64_t h : hours) list += (list.empty() ? "" : ", ") + std::to_string(h);
    if (!sql.empty()) sql += " UNION ALL ";
    sql += select + "span = " + std::to_string(kHourSpan) + " AND minute >= " + at(hours.front()) +
           " AND minute <= " + at(hours.back()) + " AND toUInt32(minute) IN (" + list + ")" +
           std::string(filter);
  }
  if (sql.empty()) sql = select + "0";  // an empty window
  return sql;
}

std::string minute_cells_sql(std::string_view table, std::string_view columns,
                             const TimeRange& range, std::string_view filter) {
  auto [from_s, to_s] = minute_bounds(range);
  return "SELECT " + std::string(columns) + " FROM " + std::string(table) +
         " WHERE span = " + std::to_string(kMinuteSpan) + " AND minute >= " + at(from_s) +
         " AND minute < " + at(to_s) + std::string(filter);
}

}  // namespace loupe::store::clickhouse
