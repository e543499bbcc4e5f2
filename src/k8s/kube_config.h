// Where the Kubernetes API is and how to authenticate to it: in-cluster
// service account, or a kubeconfig file (current context, or a named one).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace loupe::k8s {

struct KubeConfig {
  std::string server;  // "https://10.96.0.1:443"
  // Trust: a CA file, inline PEM, or (explicitly) no verification.
  std::string ca_file;
  std::string ca_data;  // PEM text (kubeconfig's certificate-authority-data, decoded)
  bool insecure_skip_tls_verify = false;
  // Auth: a token file wins over a fixed token, and is re-read on every
  // connection because bound service account tokens rotate (about hourly).
  std::string token;
  std::string token_file;
  // Client certificate auth (kubeadm admin.conf, kind): files or inline PEM.
  std::string client_cert_file, client_key_file;
  std::string client_cert_data, client_key_data;
  std::string namespace_;  // the context's or the service account's namespace
  std::string source;      // "in-cluster" or the kubeconfig path, for messages
};

constexpr std::string_view kServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";

// $KUBERNETES_SERVICE_HOST/PORT plus <sa_dir>/{token,ca.crt,namespace}.
// nullopt (with *error) outside a cluster.
std::optional<KubeConfig> in_cluster_config(std::string* error,
                                            std::string_view sa_dir = kServiceAccountDir);

// Parses kubeconfig text; relative file paths resolve against base_dir.
// context empty = current-context.
std::optional<KubeConfig> parse_kubeconfig(std::string_view yaml, const std::string& base_dir,
                                           const std::string& context, std::string* error);
std::optional<KubeConfig> load_kubeconfig(const std::string& path, const std::string& context,
                                          std::string* error);

// The collector's order: explicit kubeconfig path, else in-cluster, else
// $KUBECONFIG (first entry), else ~/.kube/config.
std::optional<KubeConfig> discover_config(const std::string& kubeconfig_path, std::string* error);

std::string trim(std::string_view s);

}  // namespace loupe::k8s
