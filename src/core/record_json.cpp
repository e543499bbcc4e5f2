#include "core/record_json.h"

#include "core/json_writer.h"
#include "core/time_format.h"

namespace loupe {

void append_record_json(std::string& out, const Record& r, RecordKeys keys) {
  JsonObjectWriter w(out,
                     keys == RecordKeys::NonDefault ? JsonDefaults::Omit : JsonDefaults::Write);
  const bool all_keys = !w.omits_defaults();
  if (all_keys) {
    // One per thread (records are written on the pump's and the
    // exporters' threads); a batch's records mostly share their second.
    thread_local Rfc3339Memo times;
    char ts[kRfc3339NsSize];
    times.write(ts, r.start_ns);
    w.plain_str("ts", {ts, sizeof ts});
  }
  w.num("start_ns", r.start_ns);
  w.num("end_ns", r.end_ns);
  if (all_keys) w.num("duration_ns", r.duration_ns());
  // Names of ours, plain ASCII.
  if (all_keys || r.protocol != Protocol::Unknown) w.plain_str("protocol", to_string(r.protocol));
  if (all_keys || r.role != Role::Unknown) w.plain_str("role", to_string(r.role));
  w.boolean("tls", r.tls);
  w.num("pid", static_cast<uint64_t>(r.pid));
  w.num("tid", static_cast<uint64_t>(r.tid));
  w.str("comm", r.comm);
  w.str("local_addr", r.local_addr);
  w.str("remote_addr", r.remote_addr);
  w.str("method", r.method);
  w.str("path", r.path);
  w.str("route", r.route);
  w.str("host", r.host);
  w.num("status", r.status);
  w.boolean("error", r.error);
  w.str("error_code", r.error_code);
  w.str("error_message", r.error_message);
  w.str("detail", r.detail);
  w.str("trace_id", r.trace_id);
  w.num("req_bytes", r.req_bytes);
  w.num("resp_bytes", r.resp_bytes);
  // No identity (a bare host, a peer outside the cluster: most records)
  // writes each side's empty fields as one constant.
  if (r.local_identity) {
    w.str("node", r.node());
    w.str("namespace", r.namespace_());
    w.str("pod", r.pod());
    w.str("container", r.container());
    w.str("workload", r.workload());
    w.str("service", r.service());
  } else if (all_keys) {
    w.members(R"(,"node":"","namespace":"","pod":"","container":"","workload":"","service":"")");
  }
  if (r.remote_identity) {
    w.str("remote_namespace", r.remote_namespace());
    w.str("remote_pod", r.remote_pod());
    w.str("remote_workload", r.remote_workload());
    w.str("remote_service", r.remote_service());
  } else if (all_keys) {
    w.members(R"(,"remote_namespace":"","remote_pod":"","remote_workload":"","remote_service":"")");
  }
}

nlohmann::json record_to_json(const Record& r) {
  std::string text;
  append_record_json(text, r);
  return nlohmann::json::parse(text);
}

Record record_from_json(const nlohmann::json& j) {
  Record r;
  auto get = [&j](const char* key, auto& field) {
    if (auto it = j.find(key); it != j.end() && !it->is_null()) it->get_to(field);
  };
  get("start_ns", r.start_ns);
  get("end_ns", r.end_ns);
  std::string s;
  get("protocol", s);
  r.protocol = protocol_from_string(s);
  s.clear();
  get("role", s);
  r.role = role_from_string(s);
  get("tls", r.tls);
  get("pid", r.pid);
  get("tid", r.tid);
  get("comm", r.comm);
  get("local_addr", r.local_addr);
  get("remote_addr", r.remote_addr);
  get("method", r.method);
  get("path", r.path);
  get("route", r.route);
  get("host", r.host);
  get("status", r.status);
  get("error", r.error);
  get("error_code", r.error_code);
  get("error_message", r.error_message);
  get("detail", r.detail);
  get("trace_id", r.trace_id);
  get("req_bytes", r.req_bytes);
  get("resp_bytes", r.resp_bytes);
  PodIdentity local, remote;
  get("node", local.node);
  get("namespace", local.namespace_);
  get("pod", local.pod);
  get("container", local.container);
  get("workload", local.workload);
  get("service", local.service);
  get("remote_namespace", remote.namespace_);
  get("remote_pod", remote.pod);
  get("remote_workload", remote.workload);
  get("remote_service", remote.service);
  r.local_identity = intern(local);
  r.remote_identity = intern(remote);
  return r;
}

}  // namespace loupe
