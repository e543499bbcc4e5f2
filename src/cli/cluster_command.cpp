// `loupe cluster`: the cluster collector. Watches the Kubernetes API (pods,
// services, endpointslices, workloads, nodes, events) and ships the cluster
// model and cluster events to a Loupe server's /api/v1/k8s/ingest.
// One replica per cluster; the per-node agents do not talk to the API.
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>

#include "cli/commands.h"
#include "cli/serve_flags.h"
#include "cli/signals.h"
#include "core/small_file.h"
#include "k8s/collector.h"
#include "k8s/ingest_client.h"
#include "k8s/kube_config.h"

namespace loupe::cli {
namespace {

struct ClusterFlags {
  std::string server;
  std::string kubeconfig;
  std::string token_file;
  std::string ca_file;
  std::string output = "text";
  bool once = false;
  bool dry_run = false;
  int interval_s = 1;
};

std::string summary(const nlohmann::json& p) {
  const auto& snap = p.contains("snapshot") ? p["snapshot"] : nlohmann::json::object();
  std::string s = "sent " + p["type"].get<std::string>() + ":";
  if (p["type"] == "snapshot") {
    for (const char* k : {"pods", "services", "workloads", "nodes"}) {
      s += " " + std::to_string(snap.value(k, nlohmann::json::array()).size()) + " " + k + ",";
    }
  } else {
    s += " " + std::to_string(p["changes"].size()) + " changes,";
  }
  return s + " " + std::to_string(p["events"].size()) + " events";
}

int run_cluster(const ClusterFlags& f) {
  if (f.server.empty() && !f.dry_run) {
    std::cerr << "loupe cluster: --server URL is required (or --dry-run to print instead)\n";
    return kUsage;
  }
  std::string token;
  if (!f.token_file.empty()) {
    auto t = read_small_file(f.token_file);
    if (!t) {
      std::cerr << "loupe cluster: cannot read --token-file " << f.token_file << "\n";
      return kUsage;
    }
    token = k8s::trim(*t);
  } else if (const char* env = std::getenv("LOUPE_TOKEN")) {
    token = env;
  }
  std::string err;
  auto cfg = k8s::discover_config(f.kubeconfig, &err);
  if (!cfg) {
    std::cerr << "loupe cluster: " << err << "\n";
    return kMissingPrereq;
  }
  k8s::CollectorOptions opts;
  opts.interval = std::chrono::seconds(f.interval_s);
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  opts.collector = host;
  bool json_out = f.output == "json";
  k8s::PayloadSender sender = [&](const nlohmann::json& p, std::string* error) {
    if (f.dry_run) {
      std::cout << p.dump() << std::endl;
      return true;
    }
    if (!k8s::post_ingest({f.server, token, f.ca_file}, p, error)) return false;
    if (json_out) {
      std::cout << nlohmann::json{{"sent", p["type"]},
                                  {"changes", p["changes"].size()},
                                  {"events", p["events"].size()}}
                       .dump()
                << std::endl;
    } else {
      std::cout << summary(p) << std::endl;
    }
    return true;
  };
  k8s::ClusterCollector collector(*cfg, opts, sender);
  if (f.once) {
    if (!collector.run_once(&err)) {
      std::cerr << "loupe cluster: " << err << "\n";
      return kFailure;
    }
    return kOk;
  }
  install_stop_signals();
  std::cerr << "loupe cluster: watching " << cfg->server << " (" << cfg->source << ")"
            << (f.dry_run ? ", printing payloads" : ", sending to " + f.server) << "\n";
  if (!collector.run([] { return stop_requested(); }, &err)) {
    std::cerr << "loupe cluster: " << err << "\n";
    return kFailure;
  }
  return kOk;
}

}  // namespace

void register_cluster(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<ClusterFlags>();
  CLI::App* cmd = app.add_subcommand(
      "cluster", "Watch the Kubernetes API and send cluster metadata and events to a server");
  cmd->add_option("--server", flags->server, "Loupe server URL, e.g. http://loupe-server:8080");
  cmd->add_option("--kubeconfig", flags->kubeconfig,
                  "kubeconfig file (default: in-cluster service account, then $KUBECONFIG)");
  cmd->add_option("--token-file", flags->token_file,
                  "file holding the Loupe server's bearer token (default: $LOUPE_TOKEN)");
  add_ca_file_flag(*cmd, flags->ca_file);
  cmd->add_flag("--once", flags->once, "list everything once, send one snapshot, exit");
  cmd->add_flag("--dry-run", flags->dry_run, "print the payloads to stdout instead of sending");
  cmd->add_option("-o,--output", flags->output, "progress output: text or json")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->add_option("--interval", flags->interval_s,
                  "seconds between payloads when nothing changed (changes are sent at once)")
      ->check(CLI::Range(1, 3600));
  cmd->callback([flags, &exit_code] { exit_code = run_cluster(*flags); });
}

}  // namespace loupe::cli
