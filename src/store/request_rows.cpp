#include "store/request_rows.h"

#include <string>
#include <string_view>

namespace loupe::store {

namespace {

// The ten Kubernetes fields are empty on a bare host and only ever read
// back whole, so they share one column: one bind instead of ten per row
// (~7% of ingest CPU). Unit-separator joined; empty string when all empty.
constexpr char kSep = '\x1f';
std::string pack_k8s(const Record& r) {
  const std::string* fields[] = {
      &r.node,    &r.namespace_,       &r.pod,        &r.container,       &r.workload,
      &r.service, &r.remote_namespace, &r.remote_pod, &r.remote_workload, &r.remote_service};
  bool any = false;
  for (const auto* f : fields) any = any || !f->empty();
  if (!any) return {};
  std::string out;
  for (const auto* f : fields) out.append(*f).push_back(kSep);
  return out;
}

void unpack_k8s(std::string_view packed, Record& r) {
  std::string* fields[] = {
      &r.node,    &r.namespace_,       &r.pod,        &r.container,       &r.workload,
      &r.service, &r.remote_namespace, &r.remote_pod, &r.remote_workload, &r.remote_service};
  for (auto* f : fields) {
    auto end = packed.find(kSep);
    if (end == std::string_view::npos) return;
    f->assign(packed.substr(0, end));
    packed.remove_prefix(end + 1);
  }
}

}  // namespace

std::string insert_requests_sql(int rows, const char* verb) {
  std::string row = "(?";
  for (int c = 1; c < kInsertColumnCount; ++c) row += ",?";
  row += ")";
  std::string sql = std::string(verb) + " INTO requests(" + kInsertColumns + ") VALUES" + row;
  for (int r = 1; r < rows; ++r) sql += "," + row;
  return sql;
}

void bind_record(Stmt& s, int first, const Record& r, int64_t key, bool counted, int64_t service_id,
                 int64_t route_id, std::string_view caller) {
  int i = first;
  s.bind(i++, key);
  s.bind(i++, i64(r.start_ns));
  s.bind(i++, i64(r.end_ns));
  s.bind(i++, i64(r.duration_ns()));
  s.bind(i++, service_id);
  s.bind(i++, int64_t{counted});
  s.bind(i++, int64_t{static_cast<uint8_t>(r.protocol)});
  s.bind(i++, int64_t{static_cast<uint8_t>(r.role)});
  s.bind(i++, int64_t{r.tls});
  s.bind(i++, int64_t{r.pid});
  for (const std::string* f : {&r.comm, &r.local_addr, &r.remote_addr, &r.method, &r.path})
    s.bind(i++, std::string_view(*f));
  s.bind(i++, route_id);
  s.bind(i++, std::string_view(r.host));
  s.bind(i++, int64_t{r.status});
  s.bind(i++, int64_t{r.error});
  for (const std::string* f : {&r.error_code, &r.error_message, &r.detail, &r.trace_id})
    s.bind(i++, std::string_view(*f));
  s.bind(i++, i64(r.req_bytes));
  s.bind(i++, i64(r.resp_bytes));
  std::string k8s = pack_k8s(r);
  if (k8s.empty())
    s.bind_null(i++);
  else
    s.bind_copy(i++, k8s);
  s.bind(i++, caller);
  s.bind(i++, int64_t{r.tid});
}

StoredRequest read_record(const Stmt& s) {
  StoredRequest out;
  Record& r = out.record;
  int i = 0;
  out.id = s.i64(i++);
  r.start_ns = static_cast<uint64_t>(s.i64(i++));
  r.end_ns = static_cast<uint64_t>(s.i64(i++));
  ++i;  // duration_ns is derived
  out.service = s.text(i++);
  out.counted = s.i64(i++) != 0;
  r.protocol = static_cast<Protocol>(s.i64(i++));
  r.role = static_cast<Role>(s.i64(i++));
  r.tls = s.i64(i++) != 0;
  r.pid = static_cast<uint32_t>(s.i64(i++));
  for (std::string* f :
       {&r.comm, &r.local_addr, &r.remote_addr, &r.method, &r.path, &r.route, &r.host})
    *f = s.text(i++);
  r.status = static_cast<int>(s.i64(i++));
  r.error = s.i64(i++) != 0;
  for (std::string* f : {&r.error_code, &r.error_message, &r.detail, &r.trace_id}) *f = s.text(i++);
  r.req_bytes = static_cast<uint64_t>(s.i64(i++));
  r.resp_bytes = static_cast<uint64_t>(s.i64(i++));
  unpack_k8s(s.text(i++), r);
  out.caller = s.text(i++);
  r.tid = static_cast<uint32_t>(s.i64(i++));
  return out;
}

}  // namespace loupe::store
