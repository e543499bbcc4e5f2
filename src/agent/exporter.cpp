#include "agent/exporter.h"

#include <httplib.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <random>
#include <span>

#include "core/batch_codec.h"
#include "core/gzip.h"
#include "core/record_json.h"
#include "core/thread_name.h"
#include "core/time_format.h"

namespace loupe {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kFirstBackoff{250};
constexpr std::chrono::milliseconds kMaxBackoff{10'000};

// 128 random bits in hex: unique among every agent run that ever sends to
// a server, with no state to keep.
std::string random_agent_id() {
  std::random_device rd;
  std::string id;
  char hex[9];
  for (int i = 0; i < 4; ++i) {
    std::snprintf(hex, sizeof hex, "%08x", static_cast<unsigned>(rd()));
    id += hex;
  }
  return id;
}

// Statuses after which the same batch may succeed later: the server is
// overloaded or failing (5xx, 429, 408), or refuses the token, which an
// operator may fix (401, 403). Any other 4xx is about the batch itself.
bool retryable(int status) {
  return status >= 500 || status == 401 || status == 403 || status == 408 || status == 429;
}

// The JSON ingest body, for servers that do not read the batch codec:
// {"batch": {"agent", "seq"}, "records": [...]}, gzip-compressed.
// Records leave out their keys at default values (RecordKeys::NonDefault).
// `json` is scratch space that keeps its capacity from batch to batch, so
// the text is not regrown, copied and faulted into fresh pages each time.
std::string ingest_body(const BatchKey& key, std::span<const Record> records, std::string& json) {
  json.clear();
  json += "{\"batch\":{\"agent\":\"";
  json += key.agent;
  json += "\",\"seq\":";
  json += std::to_string(key.seq);
  json += "},\"records\":[";
  bool first = true;
  for (const Record& r : records) {
    if (!first) json += ',';
    first = false;
    append_record_json(json, r, RecordKeys::NonDefault);
  }
  json += "]}";
  return gzip_compress(json);
}

// One per thread that encodes (the sending and the spill thread): its
// buffers and zstd context stay allocated between batches.
BatchEncoder& thread_encoder() {
  thread_local BatchEncoder encoder;
  return encoder;
}

}  // namespace

nlohmann::json to_json(const ExporterStats& s) {
  return {{"captured", s.captured},
          {"inherited", s.inherited},
          {"sent", s.sent},
          {"queued", s.queued},
          {"spooled", s.spooled},
          {"dropped", s.dropped()},
          {"dropped_by_reason",
           {{"memory_full", s.dropped_memory_full},
            {"spool_full", s.dropped_spool_full},
            {"corrupt_spool", s.dropped_corrupt},
            {"at_exit", s.dropped_at_exit},
            {"rejected", s.rejected}}},
          {"queued_bytes", s.queued_bytes},
          {"spool_bytes", s.spool_bytes},
          {"failures", s.failures},
          {"last_error", s.last_error}};
}

Exporter::Exporter(ExporterOptions opts) : opts_(std::move(opts)), agent_id_(random_agent_id()) {
  if (!opts_.spool_dir.empty()) {
    spool_ = std::make_unique<Spool>(opts_.spool_dir, opts_.spool_max_bytes);
    spool_stats_ = spool_->stats();
    stats_.inherited = spool_stats_.inherited_records;
  }
  client_ = k8s::server_client(opts_.server, &client_error_);
  // One connection for every POST (batches and stats reports, all from the
  // sending thread): a connect and shutdown per batch was ~10% of that
  // thread. httplib checks the socket before reusing it and connects again
  // when the server closed it; a POST that fails on it is retried as any.
  // TCP_NODELAY: httplib writes headers and body apart, and on a kept
  // connection Nagle would hold the body for the server's delayed ACK.
  if (client_) {
    client_->set_keep_alive(true);
    client_->set_tcp_nodelay(true);
  }
  if (spool_)
    spiller_ = std::thread([this] {
      name_this_thread("loupe-spill");
      spill_overflow();
    });
  thread_ = std::thread([this] {
    name_this_thread("loupe-export");
    run();
  });
}

Exporter::~Exporter() { stop(); }

void Exporter::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    stopping_ = true;
  }
  wake_.notify_all();
  overflow_.notify_all();
  thread_.join();
}

void Exporter::push(EncodedRecords& part) {
  if (part.empty()) return;
  std::unique_lock lock(mu_);
  bool closed = add_part(std::move(part));
  part = EncodedRecords();
  if (!spares_.empty()) {
    spare_bytes_ -= spares_.back().memory_bytes();
    part = std::move(spares_.back());
    spares_.pop_back();
  }
  if (!closed) {
    // A part that opens a batch wakes the sending thread to arm its flush
    // deadline: with nothing open it sleeps without one (run()). Later parts
    // find it armed.
    if (open_.parts.size() == 1) wake_.notify_one();
    return;
  }
  wake_.notify_one();
  if (spool_ && over_spill_mark()) overflow_.notify_one();
  enforce_memory_budget(lock);
}

bool Exporter::add_part(EncodedRecords&& part) {
  bool closed = false;
  if (open_.records + part.count() > opts_.batch_records) {
    close_open_batch();
    closed = true;
  }
  const uint64_t bytes = part.memory_bytes();
  stats_.captured += part.count();
  open_.records += part.count();
  open_.bytes += bytes;
  memory_bytes_ += bytes;
  if (open_.parts.empty()) open_since_ = Clock::now();
  open_.parts.push_back(std::move(part));
  if (open_.records >= opts_.batch_records || open_.bytes >= opts_.batch_bytes) {
    close_open_batch();
    closed = true;
  }
  return closed;
}

const std::string& Exporter::encoded(Batch& batch) {
  if (!batch.body.empty()) return batch.body;  // encoded before a failed send
  batch.body = thread_encoder().encode({agent_id_, batch.seq}, batch.parts);
  batch.bytes = batch.body.size();
  recycle(batch);
  return batch.body;
}

void Exporter::recycle(Batch& batch) {
  std::lock_guard lock(mu_);
  for (EncodedRecords& part : batch.parts) {
    if (spare_bytes_ + part.memory_bytes() > kSpareBytes) continue;
    part.clear();
    spare_bytes_ += part.memory_bytes();
    spares_.push_back(std::move(part));
  }
  batch.parts.clear();
}

void Exporter::close_open_batch() {
  if (open_.records == 0) return;
  open_.seq = next_seq_++;
  ready_.push_back(std::move(open_));
  open_ = Batch{};
}

void Exporter::enforce_memory_budget(std::unique_lock<std::mutex>& lock) {
  // Whole batches go, the oldest first: bounded units, and recent data is
  // what an operator looks at first after an incident. With a spool they go
  // there on this thread: the spill thread runs at normal priority and
  // starves on a host the capture saturates, while the pump keeps filling
  // memory; a pump that waits on the disk here loses no record (the ring
  // buffer holds what arrives meanwhile, and counts what it cannot).
  while (memory_bytes_ > opts_.memory_max_bytes && !ready_.empty()) {
    if (spool_) {
      spill_oldest(lock, overflowing_);
      continue;
    }
    memory_bytes_ -= ready_.front().bytes;
    stats_.dropped_memory_full += ready_.front().records;
    ready_.pop_front();
  }
}

ExporterStats Exporter::stats() const {
  std::lock_guard lock(mu_);
  ExporterStats s = stats_;
  s.queued = open_.records + sending_.records + spilling_.records + overflowing_.records;
  for (const Batch& b : ready_) s.queued += b.records;
  s.queued_bytes = memory_bytes_;
  s.spooled = spool_stats_.records;
  s.spool_bytes = spool_stats_.bytes;
  s.dropped_spool_full = spool_stats_.evicted_records + spool_stats_.refused_records;
  s.dropped_corrupt = spool_stats_.corrupt_records;
  return s;
}

void Exporter::sync_spool_stats() {
  if (spool_) spool_stats_ = spool_->stats();
}

void Exporter::note_failure(const std::string& error) {
  ++stats_.failures;
  ++failures_since_log_;
  stats_.last_error = error;
  auto now = Clock::now();
  if (last_log_ != Clock::time_point{} && now - last_log_ < opts_.log_interval) return;
  last_log_ = now;
  std::cerr << "loupe agent: " << error << "; " << failures_since_log_ << " failed send"
            << (failures_since_log_ == 1 ? "" : "s") << " since the last report, "
            << (spool_ ? std::to_string(spool_stats_.records) + " records spooled, "
                       : std::string())
            << stats_.dropped() + spool_stats_.evicted_records + spool_stats_.refused_records +
                   spool_stats_.corrupt_records
            << " dropped so far\n";
  failures_since_log_ = 0;
}

Exporter::Outcome Exporter::post(const std::string& path, const std::string& body,
                                 const WireForm& form, std::string& error, int* status) {
  if (status) *status = 0;
  if (!client_) {
    error = client_error_;
    return Outcome::Retry;
  }
  httplib::Headers headers;
  if (!form.content_encoding.empty())
    headers.emplace("Content-Encoding", std::string(form.content_encoding));
  auto res = client_->Post(path, headers, body, std::string(form.content_type));
  if (!res) {
    error = "cannot reach " + opts_.server.url + " (" + httplib::to_string(res.error()) + " error)";
    return Outcome::Retry;
  }
  if (status) *status = res->status;
  if (res->status >= 200 && res->status < 300) return Outcome::Sent;
  error = opts_.server.url + path + " answered " + std::to_string(res->status);
  if (!res->body.empty()) error += ": " + res->body.substr(0, 200);
  if (res->status == 401) error += " (check --token-file / $LOUPE_TOKEN)";
  return retryable(res->status) ? Outcome::Retry : Outcome::Rejected;
}

Exporter::Outcome Exporter::send_batch(Batch& batch, std::optional<SpooledBatch>& spooled,
                                       std::string& error) {
  // Batches an older agent spooled are gzip JSON already.
  const bool only_json = spooled && spooled->format == BodyFormat::GzipJson;
  int codec_status = 0;  // what the server answered to the batch codec's form
  if (!only_json && !json_only_) {
    // A spooled batch goes as it lies on disk: no decoding, no encoding.
    const std::string& body = spooled ? spooled->body : encoded(batch);
    Outcome outcome = post("/api/v1/ingest", body, kBatchCodecForm, error, &codec_status);
    // 415: a server that knows the form but not this version of it; 400: a
    // server from before the form, which reads every body as JSON. Either
    // way the same batch is tried as JSON, which tells the two apart from a
    // batch the server refuses for what it holds.
    if (codec_status != 400 && codec_status != 415) return outcome;
  }
  std::string body;
  if (only_json) {
    body = std::move(spooled->body);
  } else {
    // JSON is made from the batch codec's body, spooled or from memory
    // (whose records went back to the pool once encoded, node filled in):
    // the cheap form is the one the agent keeps.
    auto decoded = decode_batch(spooled ? spooled->body : encoded(batch));
    if (!decoded) return spooled ? Outcome::Unreadable : Outcome::Rejected;
    body = ingest_body(decoded->key, decoded->records, json_scratch_);
  }
  Outcome outcome = post("/api/v1/ingest", body, kJsonForm, error);
  if (codec_status && (outcome == Outcome::Sent || codec_status == 415)) {
    json_only_ = true;
    std::cerr << "loupe agent: " << opts_.server.url << " does not take "
              << kBatchCodecForm.content_type << " batches (answered " << codec_status
              << "); sending JSON to it from now on (an upgraded server takes the cheaper form)\n";
  }
  return outcome;
}

void Exporter::post_stats() {
  nlohmann::json body = {{"node", opts_.node}, {"sent_at_ns", now_unix_ns()}};
  body["exporter"] = to_json(stats());
  if (opts_.capture_stats) body["capture"] = opts_.capture_stats();
  std::string error;
  // A lost report is replaced by the next one; failures show in the batches.
  (void)post("/api/v1/agents/stats", gzip_compress(body.dump()), kJsonForm, error);
}

void Exporter::deliver(std::unique_lock<std::mutex>& lock, bool stopping) {
  auto deadline = Clock::now() + opts_.shutdown_budget;
  for (;;) {
    if (stopping && Clock::now() >= deadline) return;
    if (!stopping && stopping_) return;  // stop() arrived: the caller switches to shutdown
    std::optional<SpooledBatch> spooled;
    Batch batch;
    if (spool_ && !spool_->empty()) {
      lock.unlock();
      std::lock_guard changing(spool_change_);  // front() drops damaged batches
      spooled = spool_->front();
      lock.lock();
      sync_spool_stats();
      if (!spooled) continue;  // every stored batch was damaged
    } else if (!ready_.empty()) {
      batch = std::move(ready_.front());
      ready_.pop_front();
      sending_ = {batch.records, batch.bytes};
    } else {
      return;
    }
    uint64_t n = spooled ? spooled->records : batch.records;
    lock.unlock();
    std::string error;
    Outcome outcome = send_batch(batch, spooled, error);
    std::unique_lock changing(spool_change_, std::defer_lock);
    if (spooled) changing.lock();
    if (outcome == Outcome::Unreadable) {
      spool_->drop_front_unreadable();
      lock.lock();
      sync_spool_stats();
      continue;
    }
    if (spooled && outcome != Outcome::Retry) spool_->pop_front();
    if (spooled && outcome == Outcome::Retry) spool_->release_front();
    lock.lock();
    sync_spool_stats();
    if (changing.owns_lock()) changing.unlock();  // counted below, mu_ held throughout
    if (!spooled) {
      memory_bytes_ -= sending_.bytes;
      sending_ = {};
    }
    if (outcome == Outcome::Sent) {
      stats_.sent += n;
      backoff_ = kFirstBackoff;
      if (failing_) {
        std::cerr << "loupe agent: " << opts_.server.url << " takes records again\n";
        failing_ = false;
        failures_since_log_ = 0;
        last_log_ = {};
      }
      continue;
    }
    if (outcome == Outcome::Rejected) {
      stats_.rejected += n;
      note_failure(error + "; batch of " + std::to_string(n) + " records set aside");
      continue;
    }
    // Retry later. A batch from memory goes back to the front, and with a
    // spool everything queued moves to disk now, so it survives a restart.
    if (!spooled) {
      memory_bytes_ += batch.bytes;
      ready_.push_front(std::move(batch));
    }
    failing_ = true;
    note_failure(error);
    retry_at_ = Clock::now() + backoff_;
    backoff_ = std::min(backoff_ * 2, kMaxBackoff);
    if (spool_) spill(lock, false);
    return;
  }
}

void Exporter::spill(std::unique_lock<std::mutex>& lock, bool at_exit) {
  while (!ready_.empty()) {
    if (spool_) {
      spill_oldest(lock, sending_);
      continue;
    }
    if (at_exit) stats_.dropped_at_exit += ready_.front().records;
    memory_bytes_ -= ready_.front().bytes;
    ready_.pop_front();
  }
}

void Exporter::spill_oldest(std::unique_lock<std::mutex>& lock, InFlight& slot) {
  Batch batch = std::move(ready_.front());
  ready_.pop_front();
  const InFlight taken{batch.records, batch.bytes};
  slot.records += taken.records;
  slot.bytes += taken.bytes;
  lock.unlock();
  const std::string& body = encoded(batch);
  std::lock_guard changing(spool_change_);
  spool_->append(static_cast<uint32_t>(batch.records), body, BodyFormat::Records);
  lock.lock();
  sync_spool_stats();
  memory_bytes_ -= taken.bytes;
  slot.records -= taken.records;
  slot.bytes -= taken.bytes;
}

void Exporter::spill_overflow() {
  std::unique_lock lock(mu_);
  for (;;) {
    overflow_.wait(lock, [&] { return stopping_ || (over_spill_mark() && !ready_.empty()); });
    if (stopping_) return;
    spill_oldest(lock, spilling_);
  }
}

void Exporter::run() {
  std::unique_lock lock(mu_);
  auto next_stats = Clock::now();
  while (!stopping_) {
    // A batch closes flush_interval after its first part: with nothing
    // open, no timer wakes this thread (an idle agent's woke twice a second
    // for nothing; a wakeup costs ~45 µs of CPU on this project's
    // paravirtualized test VM).
    auto wake_at = next_stats;
    const bool unarmed = open_.parts.empty();
    if (!unarmed) wake_at = std::min(wake_at, open_since_ + opts_.flush_interval);
    bool backing_off = Clock::now() < retry_at_;
    if (backing_off) wake_at = std::min(wake_at, retry_at_);
    wake_.wait_until(lock, wake_at, [&] {
      return stopping_ || (!ready_.empty() && (!backing_off || spool_)) ||
             (unarmed && !open_.parts.empty());
    });
    if (stopping_) break;
    auto now = Clock::now();
    if (!open_.parts.empty() && now >= open_since_ + opts_.flush_interval) close_open_batch();
    if (now < retry_at_) {
      if (spool_) spill(lock, false);  // keep the spool current during an outage
    } else {
      deliver(lock, false);
    }
    if (Clock::now() >= next_stats) {
      lock.unlock();
      post_stats();
      lock.lock();
      next_stats = Clock::now() + opts_.stats_interval;
    }
  }
  // Shutdown: one pass of sends within the budget unless the server is
  // known to be failing, then whatever is left goes to the spool (or is
  // counted), and a last report so the server's view matches ours.
  if (spiller_.joinable()) {
    lock.unlock();
    spiller_.join();  // it stops after the batch it is writing
    lock.lock();
  }
  close_open_batch();
  if (!failing_) deliver(lock, true);
  spill(lock, true);
  lock.unlock();
  if (!failing_) post_stats();
}

}  // namespace loupe
