// Starts tests/k8s/fake_apiserver.py on 127.0.0.1 with a fresh self-signed
// certificate (SAN IP:127.0.0.1) and an ephemeral port; stops it on exit.
#pragma once

#include <httplib.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "k8s/kube_config.h"

namespace loupe::k8s::testing {

// tests/k8s, beside the absolute tests/data that CMake passes in. Not from
// __FILE__: ccache's base_dir makes that path relative to the build folder, so
// a test run from anywhere else would not find the fixtures.
inline std::string k8s_test_dir() {
  return (std::filesystem::path(LOUPE_TEST_DATA) / "../k8s").lexically_normal().string();
}

class FakeApiServer {
 public:
  FakeApiServer() = default;
  FakeApiServer(const FakeApiServer&) = delete;
  FakeApiServer& operator=(const FakeApiServer&) = delete;
  ~FakeApiServer() { stop(); }

  // False (with a message on stderr) if python3 or openssl are missing.
  bool start(const std::string& token, const std::string& fixtures = "") {
    static int counter = 0;
    dir_ = std::filesystem::temp_directory_path() /
           ("loupe-fake-api-" + std::to_string(getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    std::string d = dir_.string();
    std::string cmd =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
        "-days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout " +
        d + "/key.pem -out " + d + "/cert.pem >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0) return false;
    std::string fx = fixtures.empty() ? k8s_test_dir() + "/fixtures/cluster.json" : fixtures;
    std::string script = k8s_test_dir() + "/fake_apiserver.py";
    std::string port_file = d + "/port";
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGTERM);  // never outlive a crashed or killed test
      // Debian's interpreter (scripts/setup.sh), not whatever wraps
      // `python3` on PATH: a pyenv shim alone took 12 s to start on a loaded
      // 2-core machine, past the wait below.
      execl("/usr/bin/python3", "python3", script.c_str(), "--cert", (d + "/cert.pem").c_str(),
            "--key", (d + "/key.pem").c_str(), "--token", token.c_str(), "--fixtures", fx.c_str(),
            "--port-file", port_file.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    // Until the server wrote its port or died: its start-up is no behaviour
    // under test, so the only bound is one against a hang.
    auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (std::chrono::steady_clock::now() < give_up) {
      std::ifstream in(port_file);
      if (in >> port_) return true;
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {  // the server died at startup
        pid_ = -1;
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  void stop() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  std::string url() const { return "https://127.0.0.1:" + std::to_string(port_); }
  std::string ca_file() const { return (dir_ / "cert.pem").string(); }
  std::string dir() const { return dir_.string(); }

  // A config trusting this server's certificate, authenticating with the
  // token read from `token_file`.
  KubeConfig config(const std::string& token_file) const {
    KubeConfig cfg;
    cfg.server = url();
    cfg.ca_file = ca_file();
    cfg.token_file = token_file;
    cfg.source = "test";
    return cfg;
  }

  std::string write_token(const std::string& name, const std::string& token) const {
    std::string p = (dir_ / name).string();
    std::ofstream(p) << token << "\n";
    return p;
  }

  nlohmann::json control(const std::string& path, const nlohmann::json& body) const {
    httplib::SSLClient cli("127.0.0.1", port_);
    cli.enable_server_certificate_verification(false);
    auto res = cli.Post(path.c_str(), body.dump(), "application/json");
    if (!res || res->status != 200) return nullptr;
    return nlohmann::json::parse(res->body, nullptr, false);
  }

  nlohmann::json stats() const {
    httplib::SSLClient cli("127.0.0.1", port_);
    cli.enable_server_certificate_verification(false);
    auto res = cli.Get("/_test/stats");
    if (!res || res->status != 200) return nullptr;
    return nlohmann::json::parse(res->body, nullptr, false);
  }

 private:
  std::filesystem::path dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// Polls `pred` until true or the timeout passes.
template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}

}  // namespace loupe::k8s::testing
