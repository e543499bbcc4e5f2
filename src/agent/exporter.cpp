#include "agent/exporter.h"

#include <httplib.h>

#include <chrono>

#include "core/record_json.h"

namespace loupe {
namespace {

constexpr auto kMaxBackoff = std::chrono::seconds(10);
constexpr auto kShutdownBudget = std::chrono::seconds(5);

}  // namespace

Exporter::Exporter(ExporterOptions opts) : opts_(std::move(opts)) {
  thread_ = std::thread([this] { run(); });
}

Exporter::~Exporter() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void Exporter::push(std::vector<Record>& records) {
  std::lock_guard lock(mu_);
  for (Record& r : records) {
    if (buffer_.size() >= opts_.buffer_records) {
      buffer_.pop_front();  // the oldest goes first: recent data matters most
      ++stats_.dropped;
    }
    buffer_.push_back(std::move(r));
  }
  records.clear();
  if (buffer_.size() >= opts_.batch_records) wake_.notify_one();
}

ExporterStats Exporter::stats() const {
  std::lock_guard lock(mu_);
  ExporterStats s = stats_;
  s.buffered = buffer_.size();
  return s;
}

bool Exporter::send(const std::vector<Record>& batch, std::string& error) {
  std::string body = "{\"records\":[";
  for (size_t i = 0; i < batch.size(); ++i) {
    if (i) body += ',';
    append_record_json(body, batch[i]);
  }
  body += "]}";
  httplib::Client client(opts_.server_url);
  client.set_compress(true);  // gzip request body
  client.set_connection_timeout(std::chrono::seconds(5));
  client.set_read_timeout(std::chrono::seconds(30));
  if (!opts_.token.empty()) client.set_bearer_token_auth(opts_.token);
  auto res = client.Post("/api/v1/ingest", body, "application/json");
  if (!res) {
    error = "cannot reach " + opts_.server_url + ": " + httplib::to_string(res.error());
    return false;
  }
  if (res->status != 200) {
    error = opts_.server_url + "/api/v1/ingest answered " + std::to_string(res->status) + ": " +
            res->body.substr(0, 200);
    return false;
  }
  return true;
}

void Exporter::run() {
  auto backoff = std::chrono::milliseconds(250);
  std::chrono::steady_clock::time_point stop_deadline{};
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait_for(lock, std::chrono::milliseconds(opts_.flush_interval_ms),
                   [&] { return stopping_ || buffer_.size() >= opts_.batch_records; });
    if (stopping_ && stop_deadline == std::chrono::steady_clock::time_point{})
      stop_deadline = std::chrono::steady_clock::now() + kShutdownBudget;
    if (buffer_.empty()) {
      if (stopping_) return;
      continue;
    }
    // The batch leaves the buffer while in flight (so the buffer may hold one
    // batch more than its bound meanwhile) and goes back to its front if the
    // server did not take it.
    size_t n = std::min(buffer_.size(), opts_.batch_records);
    std::vector<Record> batch(std::make_move_iterator(buffer_.begin()),
                              std::make_move_iterator(buffer_.begin() + static_cast<long>(n)));
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<long>(n));
    lock.unlock();
    std::string error;
    bool ok = send(batch, error);
    lock.lock();
    if (ok) {
      stats_.sent += n;
      backoff = std::chrono::milliseconds(250);
      continue;
    }
    buffer_.insert(buffer_.begin(), std::make_move_iterator(batch.begin()),
                   std::make_move_iterator(batch.end()));
    while (buffer_.size() > opts_.buffer_records) {
      buffer_.pop_front();
      ++stats_.dropped;
    }
    ++stats_.failures;
    stats_.last_error = error;
    if (stopping_ && std::chrono::steady_clock::now() >= stop_deadline) return;
    wake_.wait_for(lock, backoff, [&] { return stopping_; });
    backoff =
        std::min(backoff * 2, std::chrono::duration_cast<std::chrono::milliseconds>(kMaxBackoff));
  }
}

}  // namespace loupe
