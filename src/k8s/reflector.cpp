#include "k8s/reflector.h"

#include <cctype>
#include <iostream>
#include <random>

#include "core/thread_name.h"

namespace loupe::k8s {
namespace {

std::string url_encode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string rv_of(const nlohmann::json& obj) {
  if (!obj.is_object()) return "";
  auto md = obj.find("metadata");
  if (md == obj.end() || !md->is_object()) return "";
  auto rv = md->find("resourceVersion");
  return rv != md->end() && rv->is_string() ? rv->get<std::string>() : "";
}

// The message of a Status body, or the start of whatever the server sent.
std::string status_message(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("message") && j["message"].is_string()) {
    return j["message"].get<std::string>();
  }
  return body.substr(0, 200);
}

}  // namespace

Reflector::Reflector(const KubeConfig& cfg, const Resource& resource, ReflectorOptions opts,
                     ReflectorHandler handler)
    : client_(std::make_unique<KubeClient>(cfg)),
      resource_(resource),
      opts_(std::move(opts)),
      handler_(std::move(handler)) {}

Reflector::~Reflector() { stop(); }

void Reflector::start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] {
    name_this_thread("loupe-k8s-watch");
    run();
  });
}

void Reflector::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  client_->cancel();
  if (thread_.joinable()) thread_.join();
}

ReflectorStats Reflector::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

bool Reflector::wait_synced(std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return stats_.synced; });
}

void Reflector::fail(int status, const std::string& what) {
  std::string msg = std::string(resource_.name) + ": " + what;
  if (status == 401) {
    msg += " (401 Unauthorized: the API server rejected the bearer token from " +
           (client_->config().token_file.empty() ? std::string("the kubeconfig")
                                                 : client_->config().token_file) +
           "; check --token-file or the service account)";
  } else if (status == 403) {
    msg += " (403 Forbidden: the ClusterRole must allow get/list/watch on " +
           std::string(resource_.name) + ")";
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.errors;
    if (status) stats_.last_status = status;
    stats_.last_error = msg;
  }
  std::cerr << "loupe k8s: " << msg << "\n";
}

bool Reflector::list() {
  std::vector<nlohmann::json> items;
  std::string cont, rv;
  for (;;) {
    std::string path = collection_path(resource_) + "?limit=" + std::to_string(opts_.page_limit);
    if (!opts_.field_selector.empty()) path += "&fieldSelector=" + url_encode(opts_.field_selector);
    if (!cont.empty()) path += "&continue=" + url_encode(cont);
    HttpResult res = client_->get(path);
    if (res.status == 0) {
      fail(0, "list failed: " + res.error);
      return false;
    }
    if (res.status == 410 && !cont.empty()) {
      // The continue token expired mid-list: start the list over.
      fail(410, "list continue token expired; listing again");
      items.clear();
      cont.clear();
      continue;
    }
    if (!res.ok()) {
      fail(res.status,
           "list failed: HTTP " + std::to_string(res.status) + ": " + status_message(res.body));
      return false;
    }
    auto j = nlohmann::json::parse(res.body, nullptr, false);
    if (!j.is_object() || !j.contains("items") ||
        !(j["items"].is_array() || j["items"].is_null())) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        ++stats_.malformed;
      }
      fail(res.status, "list returned a body that is not a List");
      return false;
    }
    if (j["items"].is_array()) {
      for (auto& it : j["items"]) {
        if (it.is_object()) items.push_back(std::move(it));
      }
    }
    rv = rv_of(j);
    cont.clear();
    if (auto md = j.find("metadata"); md != j.end() && md->is_object()) {
      if (auto c = md->find("continue"); c != md->end() && c->is_string())
        cont = c->get<std::string>();
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.pages;
    }
    if (cont.empty()) break;
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return false;
  }
  if (handler_.on_replace) handler_.on_replace(resource_, items);
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.lists;
    stats_.resource_version = rv;
    stats_.synced = true;
    stats_.last_error.clear();
    stats_.last_status = 200;
  }
  cv_.notify_all();
  return true;
}

bool Reflector::list_once() { return list(); }

void Reflector::handle_line(std::string_view line, WatchEnd& end) {
  auto j = nlohmann::json::parse(line, nullptr, false);
  std::string type;
  if (j.is_object() && j.contains("type") && j["type"].is_string()) type = j["type"];
  const nlohmann::json* obj = j.is_object() && j.contains("object") ? &j["object"] : nullptr;
  if (type.empty() || !obj || !obj->is_object()) {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.malformed;
    std::cerr << "loupe k8s: " << resource_.name << ": skipping malformed watch line ("
              << line.substr(0, 80) << ")\n";
    return;
  }
  if (type == "ERROR") {
    int code =
        obj->contains("code") && (*obj)["code"].is_number_integer() ? (*obj)["code"].get<int>() : 0;
    std::string reason = obj->contains("reason") && (*obj)["reason"].is_string()
                             ? (*obj)["reason"].get<std::string>()
                             : "";
    if (code == 410 || reason == "Expired" || reason == "Gone") {
      end = WatchEnd::Relist;
    } else {
      fail(code, "watch ERROR event: " + status_message(obj->dump()));
      end = WatchEnd::Failed;
    }
    return;
  }
  std::string rv = rv_of(*obj);
  if (type == "BOOKMARK") {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.bookmarks;
    if (!rv.empty()) stats_.resource_version = rv;
    return;
  }
  WatchType wt;
  if (type == "ADDED")
    wt = WatchType::Added;
  else if (type == "MODIFIED")
    wt = WatchType::Modified;
  else if (type == "DELETED")
    wt = WatchType::Deleted;
  else {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.malformed;
    return;
  }
  if (handler_.on_event) handler_.on_event(resource_, wt, *obj);
  std::lock_guard<std::mutex> lock(mu_);
  ++stats_.events;
  if (!rv.empty()) stats_.resource_version = rv;
}

Reflector::WatchEnd Reflector::watch() {
  std::string rv;
  {
    std::lock_guard<std::mutex> lock(mu_);
    rv = stats_.resource_version;
    ++stats_.watches;
  }
  std::string path = collection_path(resource_) + "?watch=1&allowWatchBookmarks=true" +
                     "&resourceVersion=" + url_encode(rv) +
                     "&timeoutSeconds=" + std::to_string(opts_.watch_timeout_s);
  if (!opts_.field_selector.empty()) path += "&fieldSelector=" + url_encode(opts_.field_selector);
  WatchEnd end = WatchEnd::Timeout;
  // Silence longer than the server's own timeout plus slack means a dead peer.
  HttpResult res = client_->stream(
      path,
      [&](std::string_view line) {
        handle_line(line, end);
        std::lock_guard<std::mutex> lock(mu_);
        return end == WatchEnd::Timeout && !stopping_;
      },
      opts_.watch_timeout_s + 30);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return WatchEnd::Stopped;
  }
  if (end != WatchEnd::Timeout) return end;
  if (res.status == 410) return WatchEnd::Relist;
  if (res.status == 0) {
    fail(0, "watch disconnected: " + res.error);
    return WatchEnd::Failed;
  }
  if (!res.ok()) {
    fail(res.status,
         "watch failed: HTTP " + std::to_string(res.status) + ": " + status_message(res.body));
    return WatchEnd::Failed;
  }
  return WatchEnd::Timeout;  // clean end of stream: watch again from the last version
}

void Reflector::sleep_backoff(int attempt) {
  // Exponential, capped, with "equal jitter" (half fixed, half random) so
  // many collectors restarting together do not hit the API server in step.
  auto base = opts_.backoff_initial.count() << std::min(attempt, 20);
  auto cap = std::min<long long>(base, opts_.backoff_max.count());
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_int_distribution<long long> dist(0, std::max<long long>(cap / 2, 0));
  auto wait = std::chrono::milliseconds(cap / 2 + dist(rng));
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, wait, [&] { return stopping_; });
}

void Reflector::run() {
  bool need_list = true;
  int failures = 0;
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
    }
    if (need_list) {
      if (!list()) {
        sleep_backoff(failures++);
        continue;
      }
      need_list = false;
      failures = 0;
    }
    auto started = std::chrono::steady_clock::now();
    uint64_t events_before = stats().events + stats().bookmarks;
    switch (watch()) {
      case WatchEnd::Stopped:
        return;
      case WatchEnd::Relist: {
        std::lock_guard<std::mutex> lock(mu_);
        ++stats_.relists_410;
        need_list = true;
        std::cerr << "loupe k8s: " << resource_.name
                  << ": resourceVersion expired (410 Gone); relisting\n";
        break;
      }
      case WatchEnd::Failed:
        sleep_backoff(failures++);
        break;
      case WatchEnd::Timeout: {
        // A watch that ends at once with nothing in it is a failure in
        // disguise (proxy closing idle streams); back off rather than spin.
        bool productive = stats().events + stats().bookmarks > events_before ||
                          std::chrono::steady_clock::now() - started > std::chrono::seconds(1);
        if (productive) {
          failures = 0;
        } else {
          sleep_backoff(failures++);
        }
        break;
      }
    }
  }
}

}  // namespace loupe::k8s
