#include "store/request_filter.h"

#include "store/request_rows.h"

namespace loupe::store {

namespace {

std::optional<int64_t> find_name_id(Db& db, const std::string& name) {
  Stmt s(db, "SELECT id FROM names WHERE name = ?");
  s.bind(1, std::string_view(name));
  if (s.step()) return s.i64(0);
  return std::nullopt;
}

// `text` matched anywhere, with LIKE's own wildcards taken literally.
std::string like_pattern(const std::string& text) {
  std::string out = "%";
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  return out + "%";
}

// The name ids of Loupe's own services, as "1,7" (integers, safe to inline).
std::string self_service_ids(Db& db) {
  Stmt s(db, "SELECT n.id FROM names n JOIN services s ON s.name = n.name WHERE s.kind = 'loupe'");
  std::string ids;
  while (s.step()) ids += (ids.empty() ? "" : ",") + std::to_string(s.i64(0));
  return ids;
}

}  // namespace

std::optional<RequestFilter> RequestFilter::make(Db& db, const RequestQuery& q) {
  RequestFilter f;
  f.q_ = &q;
  if (q.service && !(f.service_id_ = find_name_id(db, *q.service))) return std::nullopt;
  if (q.route && !(f.route_id_ = find_name_id(db, *q.route))) return std::nullopt;
  std::string& w = f.where_;
  w = " WHERE id >= ? AND id < ? AND start_ns >= ? AND start_ns < ?";
  // With service and route the index yields rows newest-first directly.
  // With only a service it would have to sort all of that service's rows in
  // the window, so the unary + keeps SQLite on the time-ordered table scan,
  // which stops after `limit` matches.
  if (q.service) w += q.route ? " AND service_id = ?" : " AND +service_id = ?";
  if (q.route) w += " AND route_id = ?";
  if (!q.with_self && !q.service)
    if (std::string self = self_service_ids(db); !self.empty())
      w += " AND +service_id NOT IN (" + self + ")";
  if (q.status) w += " AND status = ?";
  if (q.protocol) w += " AND protocol = ?";
  if (q.min_duration_ns) w += " AND duration_ns >= ?";
  if (q.counted) w += " AND counted = ?";
  if (q.role) w += " AND role = ?";
  if (q.pid) w += " AND pid = ?";
  if (q.tid) w += " AND tid = ?";
  if (q.local_addr) w += " AND local_addr = ?";
  if (q.remote_addr) w += " AND remote_addr = ?";
  if (q.trace_id) w += " AND trace_id = ?";
  if (!q.text.empty()) {
    f.like_ = like_pattern(q.text);
    // One named parameter used four times: one bind.
    w += " AND (path LIKE :text ESCAPE '\\' OR host LIKE :text ESCAPE '\\' OR detail LIKE :text "
         "ESCAPE "
         "'\\' OR error_message LIKE :text ESCAPE '\\')";
  }
  return f;
}

int RequestFilter::bind(Stmt& s) const {
  const RequestQuery& q = *q_;
  int i = 1;
  s.bind(i++, time_key(q.range.from_ns));
  // Keys of rows sharing a microsecond can run past it (over 1024 rows, or
  // late records), always forward; a second of slack covers any real run,
  // and the start_ns condition keeps the result exact.
  s.bind(i++, time_key(q.range.to_ns + 1'000'000'000ULL));
  s.bind(i++, i64(q.range.from_ns));
  s.bind(i++, i64(q.range.to_ns));
  if (service_id_) s.bind(i++, *service_id_);
  if (route_id_) s.bind(i++, *route_id_);
  if (q.status) s.bind(i++, int64_t{*q.status});
  if (q.protocol) s.bind(i++, int64_t{static_cast<uint8_t>(*q.protocol)});
  if (q.min_duration_ns) s.bind(i++, i64(q.min_duration_ns));
  if (q.counted) s.bind(i++, int64_t{*q.counted});
  if (q.role) s.bind(i++, int64_t{static_cast<uint8_t>(*q.role)});
  if (q.pid) s.bind(i++, int64_t{*q.pid});
  if (q.tid) s.bind(i++, int64_t{*q.tid});
  if (q.local_addr) s.bind(i++, std::string_view(*q.local_addr));
  if (q.remote_addr) s.bind(i++, std::string_view(*q.remote_addr));
  if (q.trace_id) s.bind(i++, std::string_view(*q.trace_id));
  if (!like_.empty()) s.bind(i++, std::string_view(like_));
  return i;
}

}  // namespace loupe::store
