#include "store/clickhouse/request_rows.h"

namespace loupe::store::clickhouse {

// `time` is not written: the table computes it from start_ns (MATERIALIZED).
std::string_view request_insert_target() {
  return "loupe_requests (start_ns, duration_ns, protocol, role, tls, pid, tid, comm, "
         "local_addr, remote_addr, method, path, route, host, status, error, error_code, "
         "error_message, detail, trace_id, req_bytes, resp_bytes, node, namespace, pod, "
         "container, workload, service, remote_namespace, remote_pod, remote_workload, "
         "remote_service, batch_id)";
}

void encode_request(RowBinaryWriter& out, const Record& r, std::string_view batch_id) {
  out.uint64(r.start_ns);
  out.uint64(r.duration_ns());
  out.string(to_string(r.protocol));
  out.string(to_string(r.role));
  out.boolean(r.tls);
  out.uint32(r.pid);
  out.uint32(r.tid);
  out.string(r.comm);
  out.string(r.local_addr);
  out.string(r.remote_addr);
  out.string(r.method);
  out.string(r.path);
  out.string(r.route);
  out.string(r.host);
  out.int32(r.status);
  out.boolean(r.error);
  out.string(r.error_code);
  out.string(r.error_message);
  out.string(r.detail);
  out.string(r.trace_id);
  out.uint64(r.req_bytes);
  out.uint64(r.resp_bytes);
  out.string(r.node());
  out.string(r.namespace_());
  out.string(r.pod());
  out.string(r.container());
  out.string(r.workload());
  out.string(r.service());
  out.string(r.remote_namespace());
  out.string(r.remote_pod());
  out.string(r.remote_workload());
  out.string(r.remote_service());
  out.string(batch_id);
}

}  // namespace loupe::store::clickhouse
