#include "core/record_json.h"

#include "core/time_format.h"

namespace loupe {

nlohmann::json record_to_json(const Record& r) {
  return nlohmann::json{
      {"ts", format_rfc3339_ns(r.start_ns)},
      {"start_ns", r.start_ns},
      {"end_ns", r.end_ns},
      {"duration_ns", r.duration_ns()},
      {"protocol", to_string(r.protocol)},
      {"role", to_string(r.role)},
      {"tls", r.tls},
      {"pid", r.pid},
      {"comm", r.comm},
      {"local_addr", r.local_addr},
      {"remote_addr", r.remote_addr},
      {"method", r.method},
      {"path", r.path},
      {"route", r.route},
      {"host", r.host},
      {"status", r.status},
      {"error", r.error},
      {"error_code", r.error_code},
      {"error_message", r.error_message},
      {"detail", r.detail},
      {"trace_id", r.trace_id},
      {"req_bytes", r.req_bytes},
      {"resp_bytes", r.resp_bytes},
      {"node", r.node},
      {"namespace", r.namespace_},
      {"pod", r.pod},
      {"container", r.container},
      {"workload", r.workload},
      {"service", r.service},
      {"remote_namespace", r.remote_namespace},
      {"remote_pod", r.remote_pod},
      {"remote_workload", r.remote_workload},
      {"remote_service", r.remote_service},
  };
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
  get("node", r.node);
  get("namespace", r.namespace_);
  get("pod", r.pod);
  get("container", r.container);
  get("workload", r.workload);
  get("service", r.service);
  get("remote_namespace", r.remote_namespace);
  get("remote_pod", r.remote_pod);
  get("remote_workload", r.remote_workload);
  get("remote_service", r.remote_service);
  return r;
}

}  // namespace loupe
