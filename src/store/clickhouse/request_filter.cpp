#include "store/clickhouse/request_filter.h"

#include "store/clickhouse/client.h"
#include "store/clickhouse/tables.h"

namespace loupe::store::clickhouse {
namespace {

std::string number(uint64_t v) { return std::to_string(v); }

}  // namespace

std::string request_where(const RequestQuery& q) {
  constexpr uint64_t kSec = 1'000'000'000ULL;
  std::string w = " WHERE start_ns >= " + number(q.range.from_ns) + " AND start_ns < " +
                  number(q.range.to_ns) + " AND time >= toDateTime(" +
                  number(q.range.from_ns / kSec) + ") AND time <= toDateTime(" +
                  number(q.range.to_ns / kSec) + ")";
  if (q.service) w += " AND service = " + quote_literal(*q.service);
  if (q.route) w += " AND route = " + quote_literal(*q.route);
  if (!q.with_self && !q.service)
    // GLOBAL: in cluster mode both tables are Distributed, and the services
    // are read once and sent to the shards (same answer on one server).
    w += " AND service GLOBAL NOT IN (SELECT name FROM " + std::string(kServicesTable) +
         " WHERE kind = 'loupe')";
  if (q.status) w += " AND status = " + std::to_string(*q.status);
  if (q.protocol) w += " AND protocol = " + std::to_string(static_cast<unsigned>(*q.protocol));
  if (q.min_duration_ns)
    w += " AND " + std::string(kDurationNs) + " >= " + number(q.min_duration_ns);
  if (q.counted) w += std::string(" AND counted = ") + (*q.counted ? "1" : "0");
  if (q.role) w += " AND role = " + std::to_string(static_cast<unsigned>(*q.role));
  if (q.pid) w += " AND pid = " + std::to_string(*q.pid);
  if (q.tid) w += " AND tid = " + std::to_string(*q.tid);
  if (q.local_addr) w += " AND local_addr = " + quote_literal(*q.local_addr);
  if (q.remote_addr) w += " AND remote_addr = " + quote_literal(*q.remote_addr);
  if (q.trace_id) w += " AND trace_id = " + quote_literal(*q.trace_id);
  if (!q.text.empty()) {
    // ASCII case-insensitive substring, as the embedded store's LIKE.
    std::string text = quote_literal(q.text);
    w += " AND (";
    const char* sep = "";
    for (const char* column : {"path", "host", "detail", "error_message"}) {
      w += std::string(sep) + "positionCaseInsensitive(" + column + ", " + text + ") > 0";
      sep = " OR ";
    }
    w += ")";
  }
  return w;
}

}  // namespace loupe::store::clickhouse
