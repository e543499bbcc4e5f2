// The checks that ask another party: the Loupe server an agent sends to, and
// the Kubernetes API the collector watches.
#include <httplib.h>

#include <cstdlib>

#include "cli/doctor/check.h"
#include "k8s/ingest_client.h"
#include "k8s/kube_client.h"
#include "k8s/kube_config.h"

namespace loupe::cli::doctor {

CheckResult check_server(const Options& o) {
  const std::string name = "server reachable, token accepted";
  if (o.server.empty()) return {name, Status::Skip, "no --server (agents only)", ""};
  std::string error;
  auto client = k8s::server_client({o.server, o.token, o.ca_file}, &error);
  if (!client) return {name, Status::Fail, error, "check --server and --ca-file"};
  auto res = client->Get("/api/v1/status");
  if (!res)
    return {name, Status::Fail,
            "cannot reach " + o.server + " (" + httplib::to_string(res.error()) + ")",
            "check the URL, that `loupe server` runs there, and firewalls or NetworkPolicies "
            "between"};
  if (res->status == 401 || res->status == 403)
    return {name, Status::Fail,
            o.server + " refused the token (HTTP " + std::to_string(res->status) + ")" +
                (o.token.empty() ? "; none was sent" : ""),
            "pass the server's token: --token-file PATH or LOUPE_TOKEN (the Secret loupe-token "
            "in Kubernetes)"};
  if (res->status / 100 != 2)
    return {name, Status::Fail, o.server + " answered HTTP " + std::to_string(res->status),
            "is it a Loupe server? /api/v1/status should answer 200"};
  return {name, Status::Pass, o.server + (o.token.empty() ? " (no token)" : ", token accepted"),
          ""};
}

CheckResult check_kubernetes(const Options& o) {
  const std::string name = "Kubernetes API reachable";
  if (o.kubeconfig.empty() && !std::getenv("KUBERNETES_SERVICE_HOST") && !std::getenv("KUBECONFIG"))
    return {name, Status::Skip, "not in a pod and no --kubeconfig (the collector only)", ""};
  std::string error;
  auto cfg = k8s::discover_config(o.kubeconfig, &error);
  if (!cfg)
    return {name, Status::Fail, error, "pass --kubeconfig, or run in a pod with a service account"};
  k8s::KubeClient client(*cfg);
  k8s::HttpResult res = client.get("/version");
  if (res.status == 0)
    return {name, Status::Fail, "cannot reach " + cfg->server + ": " + res.error,
            "check the API server address in the kubeconfig and the network to it"};
  if (res.status == 401 || res.status == 403)
    return {name, Status::Fail,
            cfg->server + " refused the credentials (HTTP " + std::to_string(res.status) + ")",
            "check the kubeconfig's user, or the service account's token and RBAC "
            "(deploy/manifests/rbac.yaml)"};
  if (!res.ok())
    return {name, Status::Fail, cfg->server + " answered HTTP " + std::to_string(res.status),
            "check the API server address"};
  return {name, Status::Pass, cfg->server, ""};
}

}  // namespace loupe::cli::doctor
