// A reflector keeps one resource type in sync, the way client-go does:
// list (paged with limit/continue), then watch from the list's
// resourceVersion. Bookmarks advance the version; a disconnect re-watches
// from the last version with capped, jittered exponential backoff; an
// expired version (HTTP 410, or an ERROR event carrying code 410) relists.
// Bad lines from the server are counted and skipped, never fatal.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "k8s/kube_client.h"
#include "k8s/resources.h"

namespace loupe::k8s {

enum class WatchType { Added, Modified, Deleted };

struct ReflectorHandler {
  // A full list: the complete current set (objects absent from it are gone).
  std::function<void(const Resource&, const std::vector<nlohmann::json>& items)> on_replace;
  std::function<void(const Resource&, WatchType, const nlohmann::json& object)> on_event;
};

struct ReflectorOptions {
  std::string field_selector;  // e.g. "spec.nodeName=node-1" for pods
  int page_limit = 500;
  int watch_timeout_s = 300;  // server closes the watch after this; we re-watch
  std::chrono::milliseconds backoff_initial{250};
  std::chrono::milliseconds backoff_max{30000};
};

struct ReflectorStats {
  uint64_t lists = 0;  // complete lists (each may be several pages)
  uint64_t pages = 0;
  uint64_t watches = 0;      // watch requests started
  uint64_t relists_410 = 0;  // lists forced by an expired resourceVersion
  uint64_t events = 0;       // ADDED/MODIFIED/DELETED applied
  uint64_t bookmarks = 0;
  uint64_t malformed = 0;  // lines or bodies that were not the JSON we expect
  uint64_t errors = 0;     // failed requests (transport or HTTP)
  int last_status = 0;     // last HTTP status seen (401 stays visible here)
  std::string last_error;  // human-readable, empty after a success
  std::string resource_version;
  bool synced = false;  // at least one full list delivered
};

class Reflector {
 public:
  // Each reflector has its own connection, so stop() interrupts only its watch.
  Reflector(const KubeConfig& cfg, const Resource& resource, ReflectorOptions opts,
            ReflectorHandler handler);
  ~Reflector();
  Reflector(const Reflector&) = delete;
  Reflector& operator=(const Reflector&) = delete;

  // Background list+watch loop until stop().
  void start();
  // Idempotent and final (a stopped reflector does not start again);
  // interrupts a watch in progress and joins the thread.
  void stop();
  // One list, no watch (for `loupe cluster --once`). False with stats().last_error on failure.
  bool list_once();

  ReflectorStats stats() const;
  bool wait_synced(std::chrono::milliseconds timeout) const;
  const Resource& resource() const { return resource_; }

 private:
  void run();
  bool list();
  enum class WatchEnd { Timeout, Relist, Failed, Stopped };
  WatchEnd watch();
  void handle_line(std::string_view line, WatchEnd& end);
  void sleep_backoff(int attempt);
  void fail(int status, const std::string& what);

  std::unique_ptr<KubeClient> client_;
  Resource resource_;
  ReflectorOptions opts_;
  ReflectorHandler handler_;

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  ReflectorStats stats_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace loupe::k8s
