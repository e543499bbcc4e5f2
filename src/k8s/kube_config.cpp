#include "k8s/kube_config.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "core/base64.h"
#include "core/small_file.h"

namespace loupe::k8s {

std::string trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

std::optional<KubeConfig> in_cluster_config(std::string* error, std::string_view sa_dir) {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (!host || !*host || !port || !*port) {
    if (error) *error = "not in a cluster: KUBERNETES_SERVICE_HOST/PORT are not set";
    return std::nullopt;
  }
  std::string dir(sa_dir);
  KubeConfig cfg;
  std::string h = host;
  if (h.find(':') != std::string::npos) h = "[" + h + "]";  // IPv6 service address
  cfg.server = "https://" + h + ":" + port;
  cfg.token_file = dir + "/token";
  cfg.ca_file = dir + "/ca.crt";
  if (!read_small_file(cfg.token_file)) {
    if (error) *error = "in-cluster: cannot read " + cfg.token_file;
    return std::nullopt;
  }
  if (auto ns = read_small_file(dir + "/namespace")) cfg.namespace_ = trim(*ns);
  cfg.source = "in-cluster";
  return cfg;
}

namespace {

// Finds the entry named `name` in a kubeconfig list ("clusters", "users",
// "contexts") and returns its inner object under `inner`.
const nlohmann::json* named(const nlohmann::json& root, const char* list, const std::string& name,
                            const char* inner) {
  auto it = root.find(list);
  if (it == root.end() || !it->is_array()) return nullptr;
  for (const auto& e : *it) {
    if (!e.is_object()) continue;
    auto n = e.find("name");
    if (n != e.end() && n->is_string() && n->get<std::string>() == name) {
      auto in = e.find(inner);
      return in != e.end() && in->is_object() ? &*in : nullptr;
    }
  }
  return nullptr;
}

std::string str(const nlohmann::json* obj, const char* key) {
  if (!obj) return "";
  auto it = obj->find(key);
  return it != obj->end() && it->is_string() ? it->get<std::string>() : "";
}

// kubeconfig as JSON with every scalar a string ("true" stays a string; the
// readers below interpret it), so lookups stay simple and typed in one place.
// Aliases share nodes in yaml-cpp but are copied here, so a few lines of
// nested aliases ("billion laughs") would expand without end: the node
// budget bounds the copy.
class YamlToJson {
 public:
  static constexpr size_t kMaxNodes = 100'000;

  nlohmann::json convert(const YAML::Node& node) {
    if (++nodes_ > kMaxNodes)
      throw std::length_error("more than " + std::to_string(kMaxNodes) +
                              " nodes (aliases expanding?)");
    switch (node.Type()) {
      case YAML::NodeType::Map: {
        nlohmann::json obj = nlohmann::json::object();
        for (const auto& kv : node) obj[kv.first.Scalar()] = convert(kv.second);
        return obj;
      }
      case YAML::NodeType::Sequence: {
        nlohmann::json arr = nlohmann::json::array();
        for (const auto& item : node) arr.push_back(convert(item));
        return arr;
      }
      case YAML::NodeType::Scalar:
        return node.Scalar();
      default:
        return nullptr;
    }
  }

 private:
  size_t nodes_ = 0;
};

// Null on a syntax error, with *error naming the line (yaml-cpp counts from 0).
nlohmann::json parse_yaml(std::string_view text, std::string* error) {
  try {
    return YamlToJson().convert(YAML::Load(std::string(text)));
  } catch (const YAML::Exception& e) {
    *error = "line " + std::to_string(e.mark.line + 1) + ": " + e.msg;
  } catch (const std::exception& e) {
    *error = e.what();
  }
  return nullptr;
}

std::string resolve(const std::string& base, const std::string& p) {
  if (p.empty() || p[0] == '/' || base.empty()) return p;
  return base + "/" + p;
}

}  // namespace

std::optional<KubeConfig> parse_kubeconfig(std::string_view yaml, const std::string& base_dir,
                                           const std::string& context, std::string* error) {
  auto fail = [&](const std::string& what) -> std::optional<KubeConfig> {
    if (error) *error = what;
    return std::nullopt;
  };
  std::string yerr;
  nlohmann::json root = parse_yaml(yaml, &yerr);
  if (root.is_null()) return fail("kubeconfig: " + (yerr.empty() ? "empty document" : yerr));
  if (!root.is_object()) return fail("kubeconfig: top level is not a mapping");
  std::string ctx_name = context.empty() ? str(&root, "current-context") : context;
  if (ctx_name.empty()) return fail("kubeconfig: no current-context and no --context");
  const nlohmann::json* ctx = named(root, "contexts", ctx_name, "context");
  if (!ctx) return fail("kubeconfig: context '" + ctx_name + "' not found");
  std::string cluster_name = str(ctx, "cluster");
  const nlohmann::json* cluster = named(root, "clusters", cluster_name, "cluster");
  if (!cluster) return fail("kubeconfig: cluster '" + cluster_name + "' not found");
  KubeConfig cfg;
  cfg.server = str(cluster, "server");
  if (cfg.server.empty()) return fail("kubeconfig: cluster '" + cluster_name + "' has no server");
  while (!cfg.server.empty() && cfg.server.back() == '/') cfg.server.pop_back();
  cfg.ca_file = resolve(base_dir, str(cluster, "certificate-authority"));
  if (auto d = str(cluster, "certificate-authority-data"); !d.empty()) {
    auto pem = base64_decode(d);
    if (!pem) return fail("kubeconfig: certificate-authority-data is not base64");
    cfg.ca_data = *pem;
  }
  std::string insecure = str(cluster, "insecure-skip-tls-verify");
  if (auto it = cluster->find("insecure-skip-tls-verify"); it != cluster->end() && it->is_boolean())
    insecure = it->get<bool>() ? "true" : "false";
  cfg.insecure_skip_tls_verify = insecure == "true";
  std::string user_name = str(ctx, "user");
  if (const nlohmann::json* user = named(root, "users", user_name, "user")) {
    cfg.token = str(user, "token");
    cfg.token_file = resolve(base_dir, str(user, "tokenFile"));
    if (cfg.token_file.empty()) cfg.token_file = resolve(base_dir, str(user, "token-file"));
    cfg.client_cert_file = resolve(base_dir, str(user, "client-certificate"));
    cfg.client_key_file = resolve(base_dir, str(user, "client-key"));
    for (auto [key, dst] : {std::pair{"client-certificate-data", &cfg.client_cert_data},
                            std::pair{"client-key-data", &cfg.client_key_data}}) {
      if (auto d = str(user, key); !d.empty()) {
        auto pem = base64_decode(d);
        if (!pem) return fail(std::string("kubeconfig: ") + key + " is not base64");
        *dst = *pem;
      }
    }
    if (user->contains("exec") || user->contains("auth-provider")) {
      if (cfg.token.empty() && cfg.token_file.empty() && cfg.client_cert_file.empty() &&
          cfg.client_cert_data.empty()) {
        return fail("kubeconfig: user '" + user_name +
                    "' uses an exec/auth-provider plugin, which Loupe does not run; "
                    "use a service account token (--token-file)");
      }
    }
  }
  cfg.namespace_ = str(ctx, "namespace");
  return cfg;
}

std::optional<KubeConfig> load_kubeconfig(const std::string& path, const std::string& context,
                                          std::string* error) {
  auto text = read_small_file(path);
  if (!text) {
    if (error) *error = "cannot read kubeconfig " + path;
    return std::nullopt;
  }
  std::string base = std::filesystem::path(path).parent_path().string();
  auto cfg = parse_kubeconfig(*text, base, context, error);
  if (cfg) cfg->source = path;
  return cfg;
}

std::optional<KubeConfig> discover_config(const std::string& kubeconfig_path, std::string* error) {
  if (!kubeconfig_path.empty()) return load_kubeconfig(kubeconfig_path, "", error);
  std::string in_cluster_err;
  if (auto cfg = in_cluster_config(&in_cluster_err)) return cfg;
  std::string path;
  if (const char* env = std::getenv("KUBECONFIG"); env && *env) {
    path = env;
    path = path.substr(0, path.find(':'));
  } else if (const char* home = std::getenv("HOME"); home && *home) {
    path = std::string(home) + "/.kube/config";
  }
  if (path.empty() || !std::filesystem::exists(path)) {
    if (error) *error = in_cluster_err + "; and no kubeconfig found (--kubeconfig or $KUBECONFIG)";
    return std::nullopt;
  }
  return load_kubeconfig(path, "", error);
}

}  // namespace loupe::k8s
