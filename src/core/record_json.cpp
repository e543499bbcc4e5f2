#include "core/record_json.h"

#include "core/time_format.h"
#include "core/utf8.h"

namespace loupe {

namespace {

// Bytes captured from the network need not be text: control characters are
// escaped and invalid UTF-8 becomes U+FFFD, so the output is always valid JSON.
void append_escaped(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  auto plain = [](unsigned char c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'; };
  out += '"';
  size_t i = 0;
  while (i < s.size()) {
    // Copy the run of characters that need no escaping in one append.
    size_t run = i;
    while (run < s.size() && plain(static_cast<unsigned char>(s[run]))) ++run;
    out.append(s.data() + i, run - i);
    i = run;
    if (i == s.size()) break;
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      size_t n = utf8::sequence_length(s, i);
      if (n == 0) {
        out += "\\ufffd";
        ++i;
      } else {
        out.append(s.substr(i, n));
        i += n;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 15];
    }
    ++i;
  }
  out += '"';
}

class ObjectWriter {
 public:
  explicit ObjectWriter(std::string& out) : out_(out) { out_ += '{'; }
  ~ObjectWriter() { out_ += '}'; }
  void str(const char* key, std::string_view v) {
    this->key(key);
    append_escaped(out_, v);
  }
  void num(const char* key, uint64_t v) {
    this->key(key);
    out_ += std::to_string(v);
  }
  void num(const char* key, int v) {
    this->key(key);
    out_ += std::to_string(v);
  }
  void boolean(const char* key, bool v) {
    this->key(key);
    out_ += v ? "true" : "false";
  }

 private:
  void key(const char* k) {
    if (!first_) out_ += ',';
    first_ = false;
    out_ += '"';
    out_ += k;
    out_ += "\":";
  }
  std::string& out_;
  bool first_ = true;
};

}  // namespace

void append_record_json(std::string& out, const Record& r) {
  ObjectWriter w(out);
  w.str("ts", format_rfc3339_ns(r.start_ns));
  w.num("start_ns", r.start_ns);
  w.num("end_ns", r.end_ns);
  w.num("duration_ns", r.duration_ns());
  w.str("protocol", to_string(r.protocol));
  w.str("role", to_string(r.role));
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
  w.str("node", r.node);
  w.str("namespace", r.namespace_);
  w.str("pod", r.pod);
  w.str("container", r.container);
  w.str("workload", r.workload);
  w.str("service", r.service);
  w.str("remote_namespace", r.remote_namespace);
  w.str("remote_pod", r.remote_pod);
  w.str("remote_workload", r.remote_workload);
  w.str("remote_service", r.remote_service);
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
