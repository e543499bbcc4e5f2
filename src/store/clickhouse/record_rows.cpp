#include "store/clickhouse/record_rows.h"

#include <array>
#include <charconv>

#include "store/clickhouse/error.h"

namespace loupe::store::clickhouse {
namespace {

constexpr std::string_view kColumns =
    "id, start_ns, end_ns, service, counted, caller, route, protocol, role, tls, pid, tid, comm, "
    "local_addr, remote_addr, method, path, host, status, error, error_code, error_message, "
    "detail, trace_id, req_bytes, resp_bytes, node, namespace, pod, container, workload, "
    "k8s_service, remote_namespace, remote_pod, remote_workload, remote_service";
constexpr size_t kColumnCount = 36;

// The string fields from comm to trace_id and the Kubernetes ones, in column order.
template <typename R>
auto text_fields(R& r) {
  return std::array{&r.comm, &r.local_addr, &r.remote_addr, &r.method, &r.path, &r.host};
}
template <typename R>
auto error_fields(R& r) {
  return std::array{&r.error_code, &r.error_message, &r.detail, &r.trace_id};
}

int32_t parse_int32(std::string_view field) {
  int32_t v = 0;
  auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), v);
  if (ec != std::errc() || end != field.data() + field.size())
    throw Error(Error::Kind::BadAnswer, "ClickHouse answered '" + one_line(field, 40) +
                                            "' where Loupe expected a status code");
  return v;
}

template <typename T>
T narrow(std::string_view field) {
  return static_cast<T>(parse_uint(field));
}

}  // namespace

std::string_view record_columns() { return kColumns; }
size_t record_column_count() { return kColumnCount; }

void encode_record(RowBinaryWriter& out, uint64_t id, const ResolvedRecord& row, const Record& r) {
  out.uint64(id);
  out.uint64(r.start_ns);
  out.uint64(r.end_ns);
  out.string(row.service->name);
  out.boolean(row.service->counted);
  out.string(row.caller->name);
  out.string(row.route);
  out.uint8(static_cast<uint8_t>(r.protocol));
  out.uint8(static_cast<uint8_t>(r.role));
  out.boolean(r.tls);
  out.uint32(r.pid);
  out.uint32(r.tid);
  for (const std::string* f : text_fields(r)) out.string(*f);
  out.int32(r.status);
  out.boolean(r.error);
  for (const std::string* f : error_fields(r)) out.string(*f);
  out.uint64(r.req_bytes);
  out.uint64(r.resp_bytes);
  for (const std::string* f : identity_fields(r.local(), r.remote())) out.string(*f);
}

StoredRequest decode_record(const TsvRow& row) {
  if (row.size() != kColumnCount)
    throw Error(Error::Kind::BadAnswer, "ClickHouse answered a record row of " +
                                            std::to_string(row.size()) + " fields, not " +
                                            std::to_string(kColumnCount));
  StoredRequest out;
  Record& r = out.record;
  size_t i = 0;
  out.id = static_cast<int64_t>(parse_uint(row[i++]));
  r.start_ns = parse_uint(row[i++]);
  r.end_ns = parse_uint(row[i++]);
  out.service = row[i++];
  out.counted = parse_uint(row[i++]) != 0;
  out.caller = row[i++];
  r.route = row[i++];
  r.protocol = static_cast<Protocol>(narrow<uint8_t>(row[i++]));
  r.role = static_cast<Role>(narrow<uint8_t>(row[i++]));
  r.tls = parse_uint(row[i++]) != 0;
  r.pid = narrow<uint32_t>(row[i++]);
  r.tid = narrow<uint32_t>(row[i++]);
  for (std::string* f : text_fields(r)) *f = row[i++];
  r.status = parse_int32(row[i++]);
  r.error = parse_uint(row[i++]) != 0;
  for (std::string* f : error_fields(r)) *f = row[i++];
  r.req_bytes = parse_uint(row[i++]);
  r.resp_bytes = parse_uint(row[i++]);
  PodIdentity local, remote;
  for (std::string* f : identity_fields(local, remote)) *f = row[i++];
  r.local_identity = intern(local);
  r.remote_identity = intern(remote);
  return out;
}

}  // namespace loupe::store::clickhouse
