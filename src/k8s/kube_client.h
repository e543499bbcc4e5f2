// Minimal HTTPS client for the Kubernetes API: GET with the bearer token,
// and GET streaming newline-delimited JSON for watches. Each request opens
// a fresh connection and re-reads the token file, so rotated service
// account tokens are picked up without a restart.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "k8s/kube_config.h"

namespace httplib {
class ClientImpl;
}

namespace loupe::k8s {

struct HttpResult {
  int status = 0;     // 0 = no HTTP response (connect, TLS or read failure)
  std::string body;   // the body for get(); the non-JSON tail or error body for stream()
  std::string error;  // transport error text when status == 0
  bool ok() const { return status >= 200 && status < 300; }
};

class KubeClient {
 public:
  explicit KubeClient(KubeConfig cfg);
  ~KubeClient();
  KubeClient(const KubeClient&) = delete;
  KubeClient& operator=(const KubeClient&) = delete;

  const KubeConfig& config() const { return cfg_; }

  // `path` includes the query string: "/api/v1/pods?limit=500".
  HttpResult get(const std::string& path);

  // Calls on_line for each complete line of a 2xx body; return false to stop
  // reading. read_timeout_s bounds silence on the connection (watches send
  // bookmarks, so silence means a dead peer).
  HttpResult stream(const std::string& path, const std::function<bool(std::string_view)>& on_line,
                    int read_timeout_s);

  // Aborts the request in flight on any thread (used by Reflector::stop).
  void cancel();

  // The token that would be sent now (file re-read), for tests and messages.
  std::string current_token() const;

 private:
  std::unique_ptr<httplib::ClientImpl> connect(std::string* error) const;

  KubeConfig cfg_;
  std::mutex mu_;
  httplib::ClientImpl* in_flight_ = nullptr;  // guarded by mu_
  std::atomic<bool> cancelled_{false};
};

}  // namespace loupe::k8s
