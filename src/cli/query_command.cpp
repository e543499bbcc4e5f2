// `loupe query`: reads a running Loupe's JSON API (loupe run / loupe server)
// and prints services, endpoints, requests or a latency series as an aligned
// table, or the API's JSON with --json.
#include <httplib.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/serve_flags.h"
#include "cli/signals.h"
#include "core/time_format.h"

namespace loupe::cli {
namespace {

using nlohmann::json;

struct QueryFlags {
  std::string server = "http://127.0.0.1:8080";
  bool json = false;
  std::string since = "15m";
  std::string service, route;
  std::string workload;                     // pods
  std::string namespace_, object, reason;   // events
  std::string entity, name, metric, label;  // metrics
  std::string pod, container, level, text;  // logs
  bool follow = false;                      // logs
  bool patterns = false;                    // logs
  std::string new_since;                    // logs --patterns
  int limit = 20;
  double q = 0.95;
  int step = 60;
  std::string token_file;  // --token-file, else $LOUPE_TOKEN
  std::string ca_file;     // trust this CA for an https --server
};

// Column-aligned output; numeric columns (flagged) are right-aligned.
class Table {
 public:
  Table(std::vector<std::string> header, std::vector<bool> right) : right_(std::move(right)) {
    rows_.push_back(std::move(header));
  }
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void print() const {
    std::vector<size_t> w(rows_[0].size(), 0);
    for (const auto& r : rows_)
      for (size_t i = 0; i < r.size(); ++i) w[i] = std::max(w[i], r[i].size());
    for (const auto& r : rows_) {
      std::string line;
      for (size_t i = 0; i < r.size(); ++i) {
        std::string pad(w[i] - r[i].size(), ' ');
        bool last = i + 1 == r.size();
        line += right_[i] ? pad + r[i] : r[i] + (last ? "" : pad);
        if (!last) line += "  ";
      }
      std::cout << line << "\n";
    }
    if (rows_.size() == 1) std::cout << "(nothing in this window)\n";
  }

 private:
  std::vector<bool> right_;
  std::vector<std::vector<std::string>> rows_;
};

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::string ms(const json& v) {
  double x = v.get<double>();
  return fmt(x < 10 ? "%.2f" : x < 1000 ? "%.1f" : "%.0f", x);
}

std::string num(const json& v) { return std::to_string(v.get<uint64_t>()); }

std::string time_of(uint64_t ns) {
  std::string s = format_rfc3339_ns(ns);  // 2026-11-25T12:53:44.123456789Z
  return s.substr(0, 10) + " " + s.substr(11, 12);
}

// GETs `path` with `params`; prints a clear error and returns nullopt on failure.
std::optional<json> fetch(const QueryFlags& f, const std::string& path,
                          const httplib::Params& params, int& exit_code) {
  std::unique_ptr<httplib::Client> client;
  try {
    client = std::make_unique<httplib::Client>(f.server);
  } catch (const std::exception&) {
  }
  if (!client || !client->is_valid()) {
    std::cerr << "loupe query: '" << f.server << "' is not a URL: use e.g. http://127.0.0.1:8080\n";
    exit_code = kUsage;
    return std::nullopt;
  }
  client->set_connection_timeout(3);
  client->set_read_timeout(60);
  if (!f.ca_file.empty()) client->set_ca_cert_path(f.ca_file.c_str());
  if (std::string token = read_token(f.token_file); !token.empty())
    client->set_bearer_token_auth(token.c_str());
  auto res = client->Get(path, params, httplib::Headers{});
  if (!res) {
    std::cerr << "loupe query: cannot reach Loupe at " << f.server << ": is `loupe run` running? ("
              << httplib::to_string(res.error()) << ")\n";
    exit_code = kFailure;
    return std::nullopt;
  }
  json body = json::parse(res->body, nullptr, false);
  if (res->status != 200) {
    std::string msg = body.is_object() ? body.value("error", res->body) : res->body;
    std::cerr << "loupe query: " << f.server << " answered " << res->status << ": " << msg;
    if (body.is_object() && body.contains("parameter"))
      std::cerr << " (parameter " << body["parameter"].get<std::string>() << ")";
    std::cerr << "\n";
    if (res->status == 401)
      std::cerr << "loupe query: pass the server's token with --token-file or LOUPE_TOKEN\n";
    exit_code = res->status == 400 ? kUsage : kFailure;
    return std::nullopt;
  }
  if (body.is_discarded()) {
    std::cerr << "loupe query: " << f.server << " did not answer JSON: is it Loupe?\n";
    exit_code = kFailure;
    return std::nullopt;
  }
  return body;
}

// Window parameters common to every query: from = now - --since.
bool window(const QueryFlags& f, httplib::Params& p, int& exit_code) {
  auto since = parse_duration(f.since);
  if (!since || *since == 0) {
    std::cerr << "loupe query: --since '" << f.since << "' is not a duration: use e.g. 15m, 2h\n";
    exit_code = kUsage;
    return false;
  }
  uint64_t now = now_unix_ns();
  p.emplace("from", std::to_string((now - std::min(now, *since)) / 1'000'000'000ULL));
  p.emplace("to", std::to_string(now / 1'000'000'000ULL + 1));
  return true;
}

void add_red(std::vector<std::string>& row, const json& j) {
  row.push_back(num(j["requests"]));
  row.push_back(fmt("%.2f", j["rate_per_s"].get<double>()));
  row.push_back(fmt("%.1f%%", j["error_rate"].get<double>() * 100));
  row.push_back(ms(j["p50_ms"]));
  row.push_back(ms(j["p95_ms"]));
  row.push_back(ms(j["p99_ms"]));
}

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

int64_t integer(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<int64_t>() : 0;
}

std::string or_dash(std::string s) { return s.empty() ? "-" : s; }

std::string age(int64_t s) {
  if (s <= 0) return "-";
  if (s < 120) return std::to_string(s) + "s";
  if (s < 7200) return std::to_string(s / 60) + "m";
  if (s < 172800) return std::to_string(s / 3600) + "h";
  return std::to_string(s / 86400) + "d";
}

std::string bytes(const json& v) {
  if (!v.is_number()) return "-";
  double b = v.get<double>();
  const char* units[] = {"B", "Ki", "Mi", "Gi", "Ti"};
  int u = 0;
  while (b >= 1024 && u < 4) b /= 1024, ++u;
  return fmt(b < 10 ? "%.1f" : "%.0f", b) + units[u];
}

std::string cores(const json& v) { return v.is_number() ? fmt("%g", v.get<double>()) : "-"; }

void print_workloads(const json& body) {
  Table t({"WORKLOAD", "READY", "PODS", "RESTARTS", "OOM", "IMAGES", "REQS", "RATE/S", "ERR%",
           "P95_MS"},
          {false, true, true, true, true, false, true, true, true, true});
  for (const auto& w : body) {
    std::string ready = "-";
    if (w.value("desired_replicas", json()).is_number())
      ready = std::to_string(integer(w, "ready_replicas")) + "/" +
              std::to_string(integer(w, "desired_replicas"));
    std::string images;
    for (const auto& i : w.value("images", json::array()))
      if (i.is_string()) images += (images.empty() ? "" : ",") + i.get<std::string>();
    // Restarts over the window, then since the pods started.
    std::string restarts = std::to_string(integer(w, "restarts_in_window")) + " (" +
                           std::to_string(integer(w, "restarts")) + ")";
    t.add({str(w, "name"), ready, std::to_string(integer(w, "pods")), restarts,
           std::to_string(integer(w, "oom_kills_in_window")), or_dash(images), num(w["requests"]),
           fmt("%.2f", w["rate_per_s"].get<double>()),
           fmt("%.1f%%", w["error_rate"].get<double>() * 100), ms(w["p95_ms"])});
  }
  t.print();
}

void print_pods(const json& body) {
  Table t({"POD", "WORKLOAD", "PHASE", "READY", "NODE", "IP", "QOS", "AGE", "RESTARTS", "OOM",
           "LAST TERMINATION", "REQS", "P95_MS"},
          {false, false, false, true, false, false, false, true, true, true, false, true, true});
  for (const auto& p : body) {
    size_t ready = 0, total = 0;
    std::string last;
    for (const auto& c : p.value("containers", json::array())) {
      if (c.value("init", false)) continue;
      ++total;
      ready += c.value("ready", false);
      const json& lt = c.value("last_termination", json());
      if (lt.is_object())
        last += (last.empty() ? "" : ", ") + str(c, "name") + ": " + str(lt, "reason") + " (" +
                std::to_string(integer(lt, "exit_code")) + ")";
    }
    bool known = p.value("known", false);
    t.add({str(p, "namespace") + "/" + str(p, "pod"), str(p, "workload"),
           known ? or_dash(str(p, "phase")) : "(gone)",
           known ? std::to_string(ready) + "/" + std::to_string(total) : "-",
           or_dash(str(p, "node")), or_dash(str(p, "ip")), or_dash(str(p, "qos_class")),
           age(integer(p, "age_s")), std::to_string(integer(p, "restarts")),
           std::to_string(integer(p, "oom_kills_in_window")), or_dash(last), num(p["requests"]),
           ms(p["p95_ms"])});
  }
  t.print();
}

void print_nodes(const json& body) {
  Table t({"NODE", "READY", "PRESSURE", "CPU", "MEMORY", "PODS", "KERNEL", "KUBELET"},
          {false, false, false, true, true, true, false, false});
  for (const auto& n : body) {
    std::string pressure;
    for (const auto& c : n.value("conditions", json::array()))
      if (str(c, "type") != "Ready" && str(c, "status") == "True")
        pressure += (pressure.empty() ? "" : ",") + str(c, "type");
    const json& alloc = n.value("allocatable", json::object());
    t.add({str(n, "name"), n.value("ready", false) ? "Ready" : "NotReady", or_dash(pressure),
           cores(alloc.value("cpu_cores", json())), bytes(alloc.value("memory_bytes", json())),
           std::to_string(integer(n, "pods")), or_dash(str(n, "kernel_version")),
           or_dash(str(n, "kubelet_version"))});
  }
  t.print();
}

// One log entry as a line: time, level, where, text (a multiline entry's
// lines follow, as written).
void print_log(const json& e, bool as_json) {
  if (as_json) {
    std::cout << e.dump() << std::endl;
    return;
  }
  std::string where = e.value("namespace", "");
  for (const char* key : {"pod", "container"})
    if (e.contains(key)) where += (where.empty() ? "" : "/") + e[key].get<std::string>();
  if (where.empty()) where = e.value("file", "-");
  std::string level = e.value("level", "-");
  std::transform(level.begin(), level.end(), level.begin(), ::toupper);
  std::cout << time_of(e["time_ns"]) << "  " << level << "  " << where << "  "
            << e["text"].get<std::string>() << std::endl;
}

// `loupe query logs`: entries newest first (the API's order); --follow
// prints the window's entries oldest first, then new ones as they arrive.
void run_logs(const QueryFlags& f, int& exit_code) {
  exit_code = kOk;
  httplib::Params p;
  if (!window(f, p, exit_code)) return;
  auto put = [&p](const char* key, const std::string& v) {
    if (!v.empty()) p.emplace(key, v);
  };
  put("namespace", f.namespace_);
  put("workload", f.workload);
  put("pod", f.pod);
  put("container", f.container);
  put("level", f.level);
  put("q", f.text);
  if (f.patterns) {
    put("new_since", f.new_since);
    p.emplace("limit", std::to_string(f.limit));
    auto body = fetch(f, "/api/v1/logs/patterns", p, exit_code);
    if (!body) return;
    if (f.json) {
      std::cout << body->dump(2) << "\n";
      return;
    }
    Table t({"COUNT", "BEFORE", "LEVEL", "FIRST SEEN", "PATTERN"},
            {true, true, false, false, false});
    for (const auto& r : (*body)["patterns"]) {
      std::string level = r.value("level", "-");
      std::transform(level.begin(), level.end(), level.begin(), ::toupper);
      t.add({std::to_string(integer(r, "count")), std::to_string(integer(r, "previous_count")),
             level, time_of(r["first_seen_ns"]), str(r, "pattern")});
    }
    t.print();
    if ((*body)["patterns"].empty()) std::cout << "(nothing in this window)\n";
    return;
  }
  if (!f.follow) {
    p.emplace("limit", std::to_string(f.limit));
    auto body = fetch(f, "/api/v1/logs", p, exit_code);
    if (!body) return;
    if (f.json) {
      std::cout << body->dump(2) << "\n";
      return;
    }
    for (const auto& e : (*body)["entries"]) print_log(e, false);
    if ((*body)["entries"].empty()) std::cout << "(nothing in this window)\n";
    return;
  }
  install_stop_signals();
  p.emplace("limit", "10000");
  uint64_t last_ns = 0;
  std::vector<int64_t> ids_at_last;  // printed entries at last_ns (several can share it)
  while (!stop_requested()) {
    if (last_ns) {
      p.erase("from");
      p.erase("to");
      p.emplace("from", format_rfc3339_ns(last_ns));
      p.emplace("to", std::to_string(now_unix_ns() / 1'000'000'000ULL + 2));
    }
    auto body = fetch(f, "/api/v1/logs", p, exit_code);
    if (!body) return;
    const json& entries = (*body)["entries"];
    for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
      uint64_t t = (*it)["time_ns"];
      int64_t id = (*it)["id"];
      if (t < last_ns) continue;
      if (t == last_ns &&
          std::find(ids_at_last.begin(), ids_at_last.end(), id) != ids_at_last.end())
        continue;
      if (t > last_ns) ids_at_last.clear();
      last_ns = t;
      ids_at_last.push_back(id);
      print_log(*it, f.json);
    }
    wait_for_stop(std::chrono::seconds(1));
  }
}

void run(const QueryFlags& f, const std::string& what, int& exit_code) {
  exit_code = kOk;
  httplib::Params p;
  if (!window(f, p, exit_code)) return;
  if (!f.service.empty()) p.emplace("service", f.service);
  if (!f.route.empty()) p.emplace("route", f.route);
  if (what == "requests" || what == "events") p.emplace("limit", std::to_string(f.limit));
  if (!f.workload.empty()) p.emplace("workload", f.workload);
  if (!f.namespace_.empty()) p.emplace("namespace", f.namespace_);
  if (!f.object.empty()) p.emplace("object", f.object);
  if (!f.reason.empty()) p.emplace("reason", f.reason);
  if (what == "latency") {
    p.emplace("q", fmt("%g", f.q));
    p.emplace("step", std::to_string(f.step));
  }
  if (what == "metrics") {
    p.emplace("entity", f.entity);
    p.emplace("name", f.name);
    p.emplace("metric", f.metric);
    if (!f.label.empty()) p.emplace("label", f.label);
    p.emplace("step", std::to_string(f.step));
  }
  auto body = fetch(f, "/api/v1/" + what, p, exit_code);
  if (!body) return;
  if (f.json) {
    std::cout << body->dump(2) << "\n";
    return;
  }
  const std::vector<std::string> red = {"REQS", "RATE/S", "ERR%", "P50_MS", "P95_MS", "P99_MS"};
  if (what == "services") {
    std::vector<std::string> h = {"SERVICE", "KIND", "PORTS"};
    h.insert(h.end(), red.begin(), red.end());
    Table t(h, {false, false, false, true, true, true, true, true, true});
    for (const auto& s : *body) {
      std::string ports;
      for (const auto& port : s["ports"]) ports += (ports.empty() ? "" : ",") + num(port);
      std::vector<std::string> row = {s["name"], s["kind"], ports.empty() ? "-" : ports};
      add_red(row, s);
      t.add(row);
    }
    t.print();
  } else if (what == "endpoints") {
    std::vector<std::string> h = {"SERVICE", "PROTOCOL", "METHOD", "ROUTE"};
    h.insert(h.end(), red.begin(), red.end());
    Table t(h, {false, false, false, false, true, true, true, true, true, true});
    for (const auto& e : *body) {
      std::vector<std::string> row = {e["service"], e["protocol"], e["method"], e["route"]};
      add_red(row, e);
      t.add(row);
    }
    t.print();
  } else if (what == "workloads") {
    print_workloads(*body);
  } else if (what == "pods") {
    print_pods(*body);
  } else if (what == "nodes") {
    print_nodes(*body);
  } else if (what == "events") {
    Table t({"TIME (UTC)", "TYPE", "REASON", "OBJECT", "MESSAGE"},
            {false, false, false, false, false});
    for (const auto& e : *body)
      t.add({time_of(e["time_ns"]), e["type"], e["reason"],
             e["namespace"].get<std::string>() + "/" + e["kind"].get<std::string>() + "/" +
                 e["name"].get<std::string>(),
             e["message"]});
    t.print();
  } else if (what == "requests") {
    Table t({"TIME (UTC)", "SERVICE", "ROLE", "PROTOCOL", "METHOD", "PATH", "STATUS", "MS"},
            {false, false, false, false, false, false, true, true});
    for (const auto& r : *body) {
      std::string path = r["path"];
      if (path.size() > 60) path = path.substr(0, 57) + "...";
      t.add({time_of(r["start_ns"]), r["service"], r["role"], r["protocol"], r["method"], path,
             std::to_string(r["status"].get<int>()),
             ms(json(static_cast<double>(r["duration_ns"].get<uint64_t>()) / 1e6))});
    }
    t.print();
  } else if (what == "metrics") {
    Table t({"TIME (UTC)", f.metric}, {false, true});
    for (const auto& pt : *body)
      t.add({time_of(pt["t"].get<uint64_t>() * 1'000'000'000ULL).substr(0, 19),
             fmt("%.6g", pt["value"].get<double>())});
    t.print();
  } else {
    Table t({"TIME (UTC)", "P" + fmt("%g", f.q * 100) + "_MS", "COUNT"}, {false, true, true});
    for (const auto& pt : *body)
      t.add({time_of(pt["t"].get<uint64_t>() * 1'000'000'000ULL).substr(0, 16),
             pt["count"].get<uint64_t>() ? ms(pt["value_ms"]) : "-", num(pt["count"])});
    t.print();
  }
}

}  // namespace

void register_query(CLI::App& app, int& exit_code) {
  auto f = std::make_shared<QueryFlags>();
  CLI::App* cmd = app.add_subcommand(
      "query", "Print services, endpoints, requests or latency from a running Loupe");
  cmd->require_subcommand(1);
  auto common = [f](CLI::App* sub) {
    sub->add_option("--server", f->server, "Loupe to ask (loupe run / loupe server)")
        ->envname("LOUPE_SERVER")
        ->capture_default_str();
    sub->add_option("--since", f->since, "Window: from this long ago until now")
        ->capture_default_str();
    sub->add_flag("--json", f->json, "Print the API's JSON instead of a table");
    add_token_flag(*sub, f->token_file, "the server expects");
    sub->add_option("--ca-file", f->ca_file, "PEM CA certificate to trust for an https --server")
        ->check(CLI::ExistingFile);
  };
  struct Sub {
    const char* name;
    const char* help;
  };
  for (Sub s :
       {Sub{"services", "Services seen, with request rate, errors and latency"},
        Sub{"endpoints", "Endpoints (method + route / operation) per service"},
        Sub{"requests", "Recent individual requests, newest first"},
        Sub{"latency", "A latency quantile over time, one point per step"},
        Sub{"workloads",
            "Kubernetes workloads, with or without traffic: replicas, "
            "pods, restarts, images, RED"},
        Sub{"pods",
            "Kubernetes pods: phase, readiness, node, restarts, last "
            "termination, RED"},
        Sub{"nodes", "Kubernetes nodes: conditions, allocatable CPU/memory, versions"},
        Sub{"events", "Kubernetes events: OOMKilled, CrashLoopBackOff, restarts..."},
        Sub{"metrics",
            "A resource metric of a node, pod, workload, container or process "
            "over time (docs/metrics.md)"},
        Sub{"logs", "Log entries, newest first, or --follow to tail them (docs/logs.md)"}}) {
    std::string name = s.name;
    CLI::App* sub = cmd->add_subcommand(name, s.help);
    common(sub);
    if (name == "endpoints" || name == "requests" || name == "latency") {
      auto* opt = sub->add_option("--service", f->service, "Only this service (e.g. nginx:80)");
      if (name == "latency") opt->required();
    }
    if (name == "requests" || name == "latency")
      sub->add_option("--route", f->route, "Only this route (e.g. /users/{id})");
    if (name == "pods" || name == "logs")
      sub->add_option("--workload", f->workload, "Only this workload (e.g. shop/Deployment/api)");
    if (name == "pods" || name == "workloads" || name == "events" || name == "logs")
      sub->add_option("--namespace", f->namespace_, "Only this namespace");
    if (name == "events") {
      sub->add_option("--object", f->object, "Only this object (pod or node name)");
      sub->add_option("--reason", f->reason, "Only this reason (e.g. OOMKilled)");
    }
    if (name == "logs") {
      sub->add_option("--pod", f->pod, "Only this pod");
      sub->add_option("--container", f->container, "Only this container");
      sub->add_option("--level", f->level, "Only these levels (e.g. error or error,warn)");
      sub->add_option("--q", f->text,
                      "Only entries holding every word of this text (full-text search)");
      sub->add_flag("-f,--follow", f->follow,
                    "Keep printing new entries as they arrive (Ctrl-C to stop)");
      auto* patterns = sub->add_flag(
          "--patterns", f->patterns,
          "The entries' patterns instead, most frequent first: count in the window and in the "
          "window before it, first seen, the pattern (<*> for what varies)");
      patterns->excludes("--follow");
      sub->add_option("--new-since", f->new_since,
                      "With --patterns: only patterns first seen since this time (e.g. the "
                      "deploy: 2026-11-30T14:00:00Z or unix seconds)")
          ->needs(patterns);
    }
    if (name == "requests" || name == "events" || name == "logs")
      sub->add_option("--limit", f->limit, "At most this many")
          ->check(CLI::Range(1, 10000))
          ->capture_default_str();
    if (name == "latency") {
      sub->add_option("--q", f->q, "Quantile, 0 to 1")
          ->check(CLI::Range(0.0, 1.0))
          ->capture_default_str();
      sub->add_option("--step", f->step, "Seconds per point (a multiple of 60)")
          ->check(CLI::PositiveNumber)
          ->capture_default_str();
    }
    if (name == "metrics") {
      sub->add_option("--entity", f->entity, "node, pod, workload, container or process")
          ->required();
      sub->add_option("--name", f->name, "The entity, e.g. shop/api-6f7d8-aaaaa")->required();
      sub->add_option("--metric", f->metric, "e.g. cpu_usage_cores (GET /api/v1/metrics/catalog)")
          ->required();
      sub->add_option("--label", f->label, "Only this label (CPU mode, mount, interface, peer)");
      sub->add_option("--step", f->step, "Seconds per point (a multiple of 10)")
          ->check(CLI::PositiveNumber)
          ->capture_default_str();
    }
    if (name == "logs") {
      sub->callback([f, &exit_code] { run_logs(*f, exit_code); });
      continue;
    }
    sub->callback([f, name, &exit_code] { run(*f, name, exit_code); });
  }
}

}  // namespace loupe::cli
