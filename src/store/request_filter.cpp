#include "store/request_filter.h"

#include <algorithm>

namespace loupe::store {

namespace {

std::optional<int64_t> find_name_id(Db& db, const std::string& name) {
  Stmt s(db, "SELECT id FROM names WHERE name = ?");
  s.bind(1, std::string_view(name));
  if (s.step()) return s.i64(0);
  return std::nullopt;
}

// The name ids of Loupe's own services, as "1,7" (integers, safe to inline).
std::string self_service_ids(Db& db) {
  Stmt s(db, "SELECT n.id FROM names n JOIN services s ON s.name = n.name WHERE s.kind = 'loupe'");
  std::string ids;
  while (s.step()) ids += (ids.empty() ? "" : ",") + std::to_string(s.i64(0));
  return ids;
}

char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// SQL's `hay LIKE '%needle%'` as SQLite has it: case folded for ASCII
// letters only, every other byte compared as it is. `lower_needle` is
// already folded.
bool contains_folded(std::string_view hay, std::string_view lower_needle) {
  return std::search(hay.begin(), hay.end(), lower_needle.begin(), lower_needle.end(),
                     [](char h, char n) { return ascii_lower(h) == n; }) != hay.end();
}

}  // namespace

std::optional<RequestFilter> RequestFilter::make(Db& db, const RequestQuery& q) {
  RequestFilter f;
  f.q_ = &q;
  if (q.service && !(f.service_id_ = find_name_id(db, *q.service))) return std::nullopt;
  std::string& c = f.chunk_conditions_;
  if (q.service) c += " AND service_id = ?";
  if (!q.with_self && !q.service)
    if (std::string self = self_service_ids(db); !self.empty())
      c += " AND service_id NOT IN (" + self + ")";
  if (q.min_duration_ns) c += " AND max_duration_ns >= ?";
  for (char ch : q.text) f.lower_text_ += ascii_lower(ch);
  f.per_record_ = q.route || q.status || q.protocol || q.min_duration_ns || q.counted || q.role ||
                  q.pid || q.tid || q.local_addr || q.remote_addr || q.trace_id || !q.text.empty();
  return f;
}

int RequestFilter::bind(Stmt& s, int first) const {
  int i = first;
  if (service_id_) s.bind(i++, *service_id_);
  if (q_->min_duration_ns) s.bind(i++, static_cast<int64_t>(q_->min_duration_ns));
  return i;
}

bool RequestFilter::matches(const Record& r, std::string_view route, bool counted) const {
  const RequestQuery& q = *q_;
  if (r.start_ns < q.range.from_ns || r.start_ns >= q.range.to_ns) return false;
  if (!per_record_) return true;
  if (q.route && route != *q.route) return false;
  if (q.status && r.status != *q.status) return false;
  if (q.protocol && r.protocol != *q.protocol) return false;
  if (q.min_duration_ns && r.duration_ns() < q.min_duration_ns) return false;
  if (q.counted && counted != *q.counted) return false;
  if (q.role && r.role != *q.role) return false;
  if (q.pid && r.pid != *q.pid) return false;
  if (q.tid && r.tid != *q.tid) return false;
  if (q.local_addr && r.local_addr != *q.local_addr) return false;
  if (q.remote_addr && r.remote_addr != *q.remote_addr) return false;
  if (q.trace_id && r.trace_id != *q.trace_id) return false;
  if (!lower_text_.empty() &&
      !(contains_folded(r.path, lower_text_) || contains_folded(r.host, lower_text_) ||
        contains_folded(r.detail, lower_text_) || contains_folded(r.error_message, lower_text_)))
    return false;
  return true;
}

}  // namespace loupe::store
