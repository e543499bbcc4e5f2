#include "agent/logs/log_collector.h"

#include <algorithm>
#include <stdexcept>

#include "core/thread_name.h"
#include "core/time_format.h"

namespace loupe::logs {
namespace {

CheckpointFile load_or_throw(const std::string& path) {
  if (path.empty()) return {};
  std::string error;
  auto loaded = load_checkpoints(path, error);
  if (!loaded) throw std::runtime_error(error);
  return *loaded;
}

// Checkpoints naming the same sources at the same fingerprints: a restart
// from `a` goes on under the names the receiver knows from `b`.
bool same_sources(const CheckpointFile& a, const CheckpointFile& b) {
  if (a.files.size() != b.files.size()) return false;
  for (size_t i = 0; i < a.files.size(); ++i) {
    if (a.files[i].source != b.files[i].source || a.files[i].fingerprint != b.files[i].fingerprint)
      return false;
  }
  return true;
}

}  // namespace

LogCollector::LogCollector(CollectorOptions opts, Deliver deliver)
    : opts_(std::move(opts)),
      deliver_(std::move(deliver)),
      tailer_(opts_.tailer, load_or_throw(opts_.checkpoint_path)) {
  thread_ = std::thread([this] {
    name_this_thread("loupe-logs");
    run();
  });
}

LogCollector::~LogCollector() { stop(); }

void LogCollector::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void LogCollector::persist_checkpoints() {
  if (opts_.checkpoint_path.empty()) return;
  CheckpointFile now = tailer_.checkpoints();
  if (now == saved_) return;
  std::string error;
  if (save_checkpoints(opts_.checkpoint_path, now, error)) {
    saved_ = std::move(now);
  } else {
    std::lock_guard lock(mu_);
    ++checkpoint_errors_;
    last_error_ = error;
  }
}

bool LogCollector::deliver_batch() {
  // Sources not on disk yet go there first (log_tailer.h, checkpoints()).
  if (!same_sources(tailer_.checkpoints(), saved_)) persist_checkpoints();
  for (Entry& e : batch_) e.node = opts_.node;
  std::string error;
  size_t n = batch_.size();
  bool ok = deliver_(batch_, error);
  std::lock_guard lock(mu_);
  if (!ok) {
    ++failures_;
    last_error_ = error;
    return false;
  }
  sent_ += n;
  ++batches_;
  batch_.clear();
  batch_read_bytes_ = 0;
  return true;
}

void LogCollector::run() {
  using Clock = std::chrono::steady_clock;
  auto last_scan = Clock::time_point{};
  auto batch_started = Clock::now();
  auto rate_since = Clock::now();
  uint64_t rate_bytes = 0;
  std::chrono::milliseconds backoff{0};
  auto last_read = Clock::now();
  bool stopping = false;
  while (true) {
    auto now = Clock::now();
    uint64_t now_ns = now_unix_ns();
    if (!stopping && now - last_scan >= opts_.scan_interval) {
      tailer_.scan(now_ns);
      last_scan = now;
    }
    size_t got = 0;
    if (backoff.count() == 0 && batch_read_bytes_ < opts_.batch_bytes &&
        batch_.size() < opts_.batch_entries) {
      if (batch_.empty()) batch_started = now;
      got = tailer_.read(opts_.batch_bytes - batch_read_bytes_, now_ns, batch_);
      batch_read_bytes_ += got;
      rate_bytes += got;
    }
    if (got > 0) last_read = now;
    bool full = batch_read_bytes_ >= opts_.batch_bytes || batch_.size() >= opts_.batch_entries;
    bool due = !batch_.empty() &&
               (full || got == 0 || now - batch_started >= opts_.flush_interval || stopping);
    if (due) {
      if (deliver_batch()) {
        backoff = std::chrono::milliseconds{0};
      } else {
        backoff = std::min(std::max(backoff * 2, std::chrono::milliseconds{250}),
                           std::chrono::milliseconds{5000});
      }
    }
    if (batch_.empty()) {
      tailer_.acknowledged();
      persist_checkpoints();
      if (opts_.idle) opts_.idle();
    }
    if (now - rate_since >= std::chrono::seconds(1)) {
      std::lock_guard lock(mu_);
      bytes_per_s_ =
          rate_bytes * 1000 /
          std::max<uint64_t>(
              1, std::chrono::duration_cast<std::chrono::milliseconds>(now - rate_since).count());
      rate_bytes = 0;
      rate_since = now;
    }
    {
      std::unique_lock lock(mu_);
      tailer_status_ = tailer_.status();
      waiting_ = batch_.size();
      if (stopping && (batch_.empty() || backoff.count() > 0)) break;
      if (stopping_ && !stopping) {
        stopping = true;  // one more round delivers what was read
        continue;
      }
      if (got > 0 && backoff.count() == 0) continue;  // more to read right away
      auto pause = now - last_read >= opts_.quiet_after
                       ? std::max(opts_.flush_interval, opts_.quiet_interval)
                       : opts_.flush_interval;
      wake_.wait_for(lock, backoff.count() ? backoff : pause, [this] { return stopping_; });
    }
  }
}

nlohmann::json LogCollector::status() const {
  std::lock_guard lock(mu_);
  nlohmann::json j = tailer_status_.is_object() ? tailer_status_ : nlohmann::json::object();
  j["entries_sent"] = sent_;
  j["batches_sent"] = batches_;
  j["delivery_failures"] = failures_;
  j["checkpoint_errors"] = checkpoint_errors_;
  j["bytes_per_second"] = bytes_per_s_;
  j["waiting_entries"] = waiting_;
  if (!last_error_.empty()) j["last_error"] = last_error_;
  return j;
}

}  // namespace loupe::logs
