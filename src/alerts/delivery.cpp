#include "alerts/delivery.h"

#include <httplib.h>

#include <algorithm>

namespace loupe::alerts {
namespace {

// "http://host:port/a/b" -> {"http://host:port", "/a/b"}.
std::pair<std::string, std::string> split_url(const std::string& url) {
  size_t scheme = url.find("://");
  size_t path = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (path == std::string::npos) return {url, "/"};
  return {url.substr(0, path), url.substr(path)};
}

}  // namespace

Delivery::Delivery(Receiver receiver)
    : receiver_(std::move(receiver)), thread_([this] { run(); }) {}

Delivery::~Delivery() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Delivery::send(std::string body, std::string path) {
  {
    std::lock_guard lock(mu_);
    if (queue_.size() >= kMaxQueued) {
      ++stats_.dropped;
      stats_.last_error = "queue full (" + std::to_string(kMaxQueued) + " notifications)";
      return;
    }
    ++stats_.queued;
    queue_.push_back({std::move(body), std::move(path), 0, std::chrono::steady_clock::now()});
  }
  cv_.notify_all();
}

DeliveryStats Delivery::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

nlohmann::json Delivery::status() const {
  std::lock_guard lock(mu_);
  return {{"name", receiver_.name},
          {"type", to_string(receiver_.type)},
          {"url", receiver_.url},
          {"queued", stats_.queued},
          {"pending", queue_.size()},
          {"delivered", stats_.delivered},
          {"failed_attempts", stats_.failed_attempts},
          {"dropped", stats_.dropped},
          {"last_error", stats_.last_error}};
}

bool Delivery::post(const Item& item, std::string& error) const {
  auto [base, path] = split_url(receiver_.url);
  if (!item.path.empty()) path = (path == "/" ? "" : path) + item.path;
  httplib::Client client(base);
  auto timeout = std::chrono::nanoseconds(receiver_.timeout_ns);
  client.set_connection_timeout(timeout);
  client.set_read_timeout(timeout);
  client.set_write_timeout(timeout);
  auto res = client.Post(path, item.body, "application/json");
  if (!res) {
    error = receiver_.url + ": " + httplib::to_string(res.error());
    return false;
  }
  if (res->status < 200 || res->status >= 300) {
    error =
        receiver_.url + ": HTTP " + std::to_string(res->status) + " " + res->body.substr(0, 200);
    return false;
  }
  return true;
}

void Delivery::run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (queue_.empty()) {
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      continue;
    }
    // Items keep their order; the head waits out its backoff.
    if (auto wait = queue_.front().not_before; wait > std::chrono::steady_clock::now()) {
      cv_.wait_until(lock, wait, [&] { return stopping_; });
      continue;
    }
    Item item = queue_.front();
    lock.unlock();
    std::string error;
    bool ok = post(item, error);
    lock.lock();
    if (ok) {
      ++stats_.delivered;
      queue_.pop_front();
      continue;
    }
    ++stats_.failed_attempts;
    stats_.last_error = error;
    Item& head = queue_.front();
    if (++head.attempts >= receiver_.max_attempts) {
      ++stats_.dropped;
      queue_.pop_front();
    } else {
      auto backoff = std::chrono::seconds(std::min(60, 1 << std::min(head.attempts - 1, 6)));
      head.not_before = std::chrono::steady_clock::now() + backoff;
    }
  }
}

}  // namespace loupe::alerts
