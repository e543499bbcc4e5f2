#include "k8s/kube_config.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "k8s/mini_yaml.h"

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

TEST(MiniYaml, KubeconfigShapes) {
  std::string err;
  auto j = parse_mini_yaml(kKubeconfig, &err);
  ASSERT_TRUE(j.is_object()) << err;
  EXPECT_EQ(j["clusters"].size(), 3u);
  EXPECT_EQ(j["clusters"][1]["cluster"]["server"], "https://prod.example.com/");
  EXPECT_EQ(j["clusters"][1]["cluster"]["certificate-authority"], "ca/prod.crt");
  EXPECT_EQ(j["contexts"][1]["context"]["user"], "reader");
  EXPECT_TRUE(j["preferences"].is_object());
}

TEST(MiniYaml, ScalarsAndNesting) {
  std::string err;
  auto j = parse_mini_yaml(
      "a:\n  b:\n    - x\n    - \"y # not a comment\"\n  c: 'it''s'\n"
      "d: plain value # comment\n"
      "e:\n- - nested\n",
      &err);
  ASSERT_TRUE(j.is_object()) << err;
  EXPECT_EQ(j["a"]["b"][1], "y # not a comment");
  EXPECT_EQ(j["a"]["c"], "it's");
  EXPECT_EQ(j["d"], "plain value");
  EXPECT_EQ(j["e"][0][0], "nested");
}

TEST(MiniYaml, RejectsWhatItDoesNotUnderstand) {
  std::string err;
  EXPECT_TRUE(parse_mini_yaml("a: &anchor x\n", &err).is_null());
  EXPECT_NE(err.find("line 1"), std::string::npos);
  EXPECT_TRUE(parse_mini_yaml("a: b\n   c: d\n", &err).is_null());
  EXPECT_TRUE(parse_mini_yaml("a: |\n  text\n", &err).is_null());
  EXPECT_TRUE(parse_mini_yaml("just a line\n", &err).is_null());
  EXPECT_TRUE(parse_mini_yaml("a: \"open\n", &err).is_null());
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

TEST(Base64, DecodesStandardAndPadding) {
  EXPECT_EQ(*base64_decode("aGVsbG8="), "hello");
  EXPECT_EQ(*base64_decode("aGVsbG8"), "hello");
  EXPECT_FALSE(base64_decode("a$b"));
}
