#include "k8s/kube_config.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

using namespace loupe::k8s;

namespace {

// What `kind` / kubectl write: indentless sequences, "- key:" items.
const char* kKubeconfig = R"(apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUIKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=
    server: https://127.0.0.1:6443
  name: kind-dev
- cluster:
    certificate-authority: ca/prod.crt   # relative to the kubeconfig
    server: "https://prod.example.com/"
  name: prod
- cluster:
    insecure-skip-tls-verify: true
    server: https://10.0.0.1:6443
  name: lab
contexts:
- context:
    cluster: kind-dev
    user: kind-dev
  name: kind-dev
- context:
    cluster: prod
    namespace: shop
    user: 'reader'
  name: prod
- context: {cluster: lab, user: lab}
  name: lab
current-context: prod
kind: Config
preferences: {}
users:
- name: kind-dev
  user:
    client-certificate-data: Q0VSVA==
    client-key-data: S0VZ
- name: reader
  user:
    tokenFile: /var/run/secrets/tokens/loupe
- name: lab
  user:
    token: abc.def
)";

}  // namespace

TEST(KubeConfig, SyntaxErrorNamesTheLine) {
  std::string err;
  EXPECT_FALSE(parse_kubeconfig("apiVersion: v1\nclusters: [\n  - {name: a\n", "", "", &err));
  EXPECT_NE(err.find("kubeconfig: line "), std::string::npos) << err;
  EXPECT_FALSE(parse_kubeconfig("", "", "", &err));
  EXPECT_NE(err.find("empty document"), std::string::npos) << err;
  EXPECT_FALSE(parse_kubeconfig("- just\n- a list\n", "", "", &err));
  EXPECT_NE(err.find("not a mapping"), std::string::npos) << err;
}

TEST(KubeConfig, ExpandingAliasesAreRefused) {
  std::string yaml = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 12; ++i) {
    std::string prev = "*a" + std::to_string(i - 1);
    yaml += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) yaml += (k ? ", " : "") + prev;
    yaml += "]\n";
  }
  std::string err;
  EXPECT_FALSE(parse_kubeconfig(yaml, "", "", &err));
  EXPECT_NE(err.find("nodes"), std::string::npos) << err;
}

// What a real YAML library buys over a subset: anchors, block scalars and
// comments after quoted values, as hand-edited kubeconfigs have them.
TEST(KubeConfig, FullYamlSyntax) {
  const char* yaml = R"(clusters:
- name: c
  cluster: &base
    server: "https://10.0.0.9:6443" # trailing comment
contexts:
- name: x
  context: {cluster: c, user: u, namespace: 'it''s'}
current-context: x
users:
- name: u
  user:
    token: >-
      abc.def
)";
  std::string err;
  auto cfg = parse_kubeconfig(yaml, "", "", &err);
  ASSERT_TRUE(cfg) << err;
  EXPECT_EQ(cfg->server, "https://10.0.0.9:6443");
  EXPECT_EQ(cfg->token, "abc.def");
  EXPECT_EQ(cfg->namespace_, "it's");
}

TEST(KubeConfig, CurrentContextWithTokenFileAndRelativeCa) {
  std::string err;
  auto cfg = parse_kubeconfig(kKubeconfig, "/home/me/.kube", "", &err);
  ASSERT_TRUE(cfg) << err;
  EXPECT_EQ(cfg->server, "https://prod.example.com");
  EXPECT_EQ(cfg->ca_file, "/home/me/.kube/ca/prod.crt");
  EXPECT_EQ(cfg->token_file, "/var/run/secrets/tokens/loupe");
  EXPECT_EQ(cfg->namespace_, "shop");
  EXPECT_FALSE(cfg->insecure_skip_tls_verify);
}

TEST(KubeConfig, NamedContextsInlineDataAndInsecure) {
  std::string err;
  auto kind = parse_kubeconfig(kKubeconfig, "", "kind-dev", &err);
  ASSERT_TRUE(kind) << err;
  EXPECT_EQ(kind->server, "https://127.0.0.1:6443");
  EXPECT_NE(kind->ca_data.find("BEGIN CERTIFICATE"), std::string::npos);
  EXPECT_EQ(kind->client_cert_data, "CERT");
  EXPECT_EQ(kind->client_key_data, "KEY");
  auto lab = parse_kubeconfig(kKubeconfig, "", "lab", &err);
  ASSERT_TRUE(lab) << err;
  EXPECT_TRUE(lab->insecure_skip_tls_verify);
  EXPECT_EQ(lab->token, "abc.def");
  EXPECT_FALSE(parse_kubeconfig(kKubeconfig, "", "nope", &err));
  EXPECT_NE(err.find("nope"), std::string::npos);
}

TEST(KubeConfig, ExecPluginsAreRefusedWithAHint) {
  std::string err;
  auto cfg = parse_kubeconfig(
      "clusters:\n- name: c\n  cluster:\n    server: https://x\ncontexts:\n- name: c\n  context:\n"
      "    cluster: c\n    user: u\ncurrent-context: c\nusers:\n- name: u\n  user:\n    exec:\n"
      "      command: aws\n",
      "", "", &err);
  EXPECT_FALSE(cfg);
  EXPECT_NE(err.find("--token-file"), std::string::npos) << err;
}

TEST(KubeConfig, InClusterFromEnvironmentAndServiceAccountDir) {
  auto dir = std::filesystem::temp_directory_path() / ("loupe-sa-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "token") << "sa-token\n";
  std::ofstream(dir / "namespace") << "loupe";
  setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
  setenv("KUBERNETES_SERVICE_PORT", "443", 1);
  std::string err;
  auto cfg = in_cluster_config(&err, dir.string());
  ASSERT_TRUE(cfg) << err;
  EXPECT_EQ(cfg->server, "https://10.96.0.1:443");
  EXPECT_EQ(cfg->token_file, (dir / "token").string());
  EXPECT_EQ(cfg->ca_file, (dir / "ca.crt").string());
  EXPECT_EQ(cfg->namespace_, "loupe");
  unsetenv("KUBERNETES_SERVICE_HOST");
  EXPECT_FALSE(in_cluster_config(&err, dir.string()));
  unsetenv("KUBERNETES_SERVICE_PORT");
  std::filesystem::remove_all(dir);
}
