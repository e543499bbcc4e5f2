// Posts notification bodies to one receiver from a thread of its own, so a
// receiver that hangs or fails never holds up evaluation or the other
// receivers. A failed post is retried with exponential backoff (1 s, 2 s,
// 4 s... capped at 60 s) up to the receiver's max_attempts, then dropped;
// every attempt, failure and drop is counted for /api/v1/status.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "alerts/rule.h"

namespace loupe::alerts {

struct DeliveryStats {
  uint64_t queued = 0;           // notifications accepted
  uint64_t delivered = 0;        // answered 2xx
  uint64_t failed_attempts = 0;  // attempts that failed (each retry counts)
  uint64_t dropped = 0;          // gave up after max_attempts, or the queue was full
  std::string last_error;        // of the last failed attempt
};

class Delivery {
 public:
  static constexpr size_t kMaxQueued = 1000;

  explicit Delivery(Receiver receiver);
  ~Delivery();  // stops; what is still queued is dropped
  Delivery(const Delivery&) = delete;
  Delivery& operator=(const Delivery&) = delete;

  // Never blocks. `path` is appended to the receiver's URL (Alertmanager's
  // /api/v2/alerts), empty for webhook and Slack.
  void send(std::string body, std::string path = "");
  const Receiver& receiver() const { return receiver_; }
  DeliveryStats stats() const;
  nlohmann::json status() const;

 private:
  struct Item {
    std::string body, path;
    int attempts = 0;
    std::chrono::steady_clock::time_point not_before;
  };
  void run();
  bool post(const Item& item, std::string& error) const;

  Receiver receiver_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;
  DeliveryStats stats_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace loupe::alerts
