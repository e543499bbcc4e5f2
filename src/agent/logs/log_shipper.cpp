#include "agent/logs/log_shipper.h"

#include "core/gzip.h"

namespace loupe::logs {
namespace {

std::string encode(const std::vector<Entry>& batch) { return gzip_compress(batch_json(batch)); }

}  // namespace

LogShipper::LogShipper(LogShipperOptions opts, PostBody post)
    : opts_(std::move(opts)), post_(std::move(post)) {
  if (!opts_.spool_dir.empty() && opts_.spool_max_bytes > 0)
    spool_ = std::make_unique<Spool>(opts_.spool_dir, opts_.spool_max_bytes);
}

bool LogShipper::replay_now(std::string& error) {
  if (!spool_) return true;
  while (true) {
    std::optional<SpooledBatch> b = spool_->front();
    if (!b) return true;
    if (!post_(b->body, error)) {
      spool_->release_front();  // tried again later
      retry_at_ = std::chrono::steady_clock::now() + opts_.retry_after;
      std::lock_guard lock(mu_);
      last_error_ = error;
      return false;
    }
    std::lock_guard lock(mu_);
    spool_->pop_front();
    replayed_ += b->records;
  }
}

void LogShipper::replay() {
  if (!spool_ || std::chrono::steady_clock::now() < retry_at_) return;
  std::string error;
  replay_now(error);
}

bool LogShipper::deliver(std::vector<Entry>& batch, std::string& error) {
  std::string body = encode(batch);
  // Older spooled batches go first; a server that just failed is not asked
  // again before retry_after.
  auto now = std::chrono::steady_clock::now();
  if (now >= retry_at_) {
    if (replay_now(error) && post_(body, error)) return true;
    retry_at_ = now + opts_.retry_after;
    std::lock_guard lock(mu_);
    last_error_ = error;
  }
  std::lock_guard lock(mu_);
  error = last_error_;
  if (!spool_) return false;  // the entries wait in their files
  if (spool_->append(static_cast<uint32_t>(batch.size()), body, BodyFormat::GzipJson)) return true;
  error = "log spool " + spool_->dir() + ": cannot store a batch of " +
          std::to_string(body.size()) + " bytes";
  return false;
}

void LogShipper::add_status(nlohmann::json& j) const {
  std::lock_guard lock(mu_);
  j["entries_replayed"] = replayed_;
  if (!spool_) return;
  SpoolStats s = spool_->stats();
  j["spooled_entries"] = s.records;
  j["spool_bytes"] = s.bytes;
  j["dropped"]["spool_full"] = s.evicted_records;
  j["dropped"]["spool_corrupt"] = s.corrupt_records;
  if (!last_error_.empty()) j["spool_last_error"] = last_error_;
}

}  // namespace loupe::logs
