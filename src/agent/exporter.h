// Ships records from a node agent to the Loupe server: bounded batches
// POSTed to /api/v1/ingest with the shared token, in the batch codec's
// compact form (core/batch_codec.h, Content-Type
// application/vnd.loupe.batch+zstd). A server that does not read that form
// (answers 415, or 400 where the same batch as JSON is then taken: servers
// from before it read every body as JSON) gets gzip JSON from then on, for
// the rest of the run, said once in the log.
//
// Where records wait, and what happens when they cannot wait any more:
//  - in memory, up to half a byte budget (records encoded as the agent
//    built them, ~100 bytes each: core/batch_codec.h's EncodedRecords);
//  - on disk, in the spool (agent/spool.h), past that half: when the server
//    takes records slower than they are captured (pipelined traffic), a
//    spill thread moves the oldest closed batches there, so the pump never
//    waits on the disk; and while the server is unreachable or answers 5xx,
//    401/403 or 429: failed batches and everything queued behind them go
//    there. Batches are spooled in the same compact form, about twenty
//    times cheaper to write than JSON + gzip, so the spill keeps up with
//    capture, and are sent as they lie on disk (decoded and sent as JSON
//    only to a server that does not read that form).
//    Spooled batches are replayed (also after a restart of the agent)
//    before the ones in memory, so records arrive in capture order but for
//    a batch that overtakes one being spilled. Past its byte bound the
//    oldest spooled batch is dropped, counted;
//  - past the whole memory budget, the spill thread having fallen behind,
//    the pump itself moves the oldest closed batches to the spool (the one
//    time it waits on the disk); with no spool the oldest closed batch is
//    dropped, counted;
//  - a batch the server refuses for what it is (another 4xx) is set aside:
//    counted as rejected and never retried.
// So at any moment: captured + inherited = sent + queued + spooled + dropped.
// Each batch carries a key (this run's random agent id + a sequence
// number) that the spool keeps: a batch sent again because its answer was
// lost (timeout, a cut connection, the agent killed before it heard back)
// is stored once by the server.
// Failures are logged at most once per log interval, with the reason.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "agent/spool.h"
#include "core/batch_codec.h"
#include "k8s/ingest_client.h"

namespace loupe {

struct ExporterOptions {
  k8s::ServerEndpoint server;
  // Names this agent in its stats reports (the records' node is written by
  // whoever encodes them: EncodedRecords::append).
  std::string node;
  std::string spool_dir;  // empty: no spool, records wait in memory only
  uint64_t spool_max_bytes = 256ull << 20;
  // Encoded records waiting in memory, batches being sent included (half
  // of it with a spool).
  uint64_t memory_max_bytes = 64ull << 20;
  // A batch closes at this many records (pushed parts are taken whole: one
  // that would pass it starts the next batch, and one longer than it is a
  // batch of its own), or past this many bytes of encoded records (by at
  // most one pushed part), or at this age.
  // Larger batches were measured and taken back: 10,000 and 20,000 halved
  // the POSTs at a paced 10k req/s but kept ~4 MiB more resident, and the
  // traced nginx's p99 was 18-23 ms against 3.5-10 in three runs (the
  // agent's and the server's work per batch in longer bursts):
  // docs/benchmarks.md, "issue 14, agentfixed".
  size_t batch_records = 5'000;
  uint64_t batch_bytes = 4ull << 20;
  // Or this long after its first part: no timer runs while nothing is open.
  std::chrono::milliseconds flush_interval{500};
  std::chrono::milliseconds shutdown_budget{5000};   // to send what is left before spooling it
  std::chrono::milliseconds stats_interval{10'000};  // POST /api/v1/agents/stats
  std::chrono::milliseconds log_interval{10'000};    // at most one failure line per interval
  // Capture-side counters (ring-buffer losses, parser errors) sent with the
  // stats; called on the exporter's thread.
  std::function<nlohmann::json()> capture_stats;
};

struct ExporterStats {
  uint64_t captured = 0;   // records pushed in this run
  uint64_t inherited = 0;  // records found in the spool at start (an earlier run's)
  uint64_t sent = 0;       // records the server accepted
  uint64_t queued = 0;     // records in memory now (a batch in flight included)
  uint64_t spooled = 0;    // records on disk now
  uint64_t queued_bytes = 0;
  uint64_t spool_bytes = 0;
  // Dropped, by reason; each record counted once.
  uint64_t dropped_memory_full = 0;  // memory budget exceeded
  uint64_t dropped_spool_full = 0;   // spool bound exceeded, or the disk refused the write
  uint64_t dropped_corrupt = 0;      // spooled batches found damaged
  uint64_t dropped_at_exit = 0;      // still in memory at exit with no spool to keep them
  uint64_t rejected = 0;             // batches the server refused with a 4xx, set aside
  uint64_t failures = 0;             // failed POSTs
  std::string last_error;

  uint64_t dropped() const {
    return dropped_memory_full + dropped_spool_full + dropped_corrupt + dropped_at_exit + rejected;
  }
};

nlohmann::json to_json(const ExporterStats& s);

class Exporter {
 public:
  // Opens the spool (throws SpoolError) and starts the sending thread.
  explicit Exporter(ExporterOptions opts);
  ~Exporter();  // stop()

  // Takes the encoded records (the agent's, core/batch_codec.h) whole, and
  // leaves `part` empty, with the buffer of a part already sent when one is
  // spare (so the agent fills memory already faulted in).
  void push(EncodedRecords& part);
  // Sends what is left within the shutdown budget, spools the rest, sends
  // a last stats report, and stops. Never spins on a dead server.
  void stop();
  ExporterStats stats() const;
  // This run's random id: the agent part of its batch keys (the profiler's
  // parts are keyed "<id>/profile").
  const std::string& agent_id() const { return agent_id_; }

 private:
  struct Batch {
    // The pushed parts, in order, each taken whole: one batch on the wire.
    // Their buffers become spares once the batch is encoded.
    std::vector<EncodedRecords> parts;
    std::string body;      // the batch codec's form, once encoded (kept for a retry)
    uint64_t records = 0;  // across parts
    uint64_t bytes = 0;    // the parts' memory; once encoded, the body's size
    uint64_t seq = 0;      // with agent_id_, the batch's key (set when it closes)
  };
  enum class Outcome {
    Sent,
    Retry,
    Rejected,
    Unreadable,  // a spooled body that does not decode (never posted)
  };
  // How a body is labelled on the wire.
  struct WireForm {
    std::string_view content_type;
    std::string_view content_encoding;  // empty: none
  };
  static constexpr WireForm kBatchCodecForm{kBatchMediaType, ""};
  static constexpr WireForm kJsonForm{"application/json", "gzip"};
  struct InFlight {  // a batch taken out of ready_, still in memory
    uint64_t records = 0;
    uint64_t bytes = 0;
  };

  void run();
  void spill_overflow();  // the spill thread
  bool over_spill_mark() const { return memory_bytes_ > opts_.memory_max_bytes / 2; }
  void close_open_batch();  // mu_ held
  // Spills or drops the oldest closed batches while memory is past the
  // budget; mu_ held on entry and exit.
  void enforce_memory_budget(std::unique_lock<std::mutex>& lock);
  // Sends spooled batches, then queued ones, until both are empty or a
  // send fails; mu_ held on entry and exit.
  void deliver(std::unique_lock<std::mutex>& lock, bool stopping);
  // Moves every queued batch to the spool, or counts it dropped at exit.
  void spill(std::unique_lock<std::mutex>& lock, bool at_exit);
  // Moves the oldest queued batch to the spool, accounted in `slot` (added
  // to it, so threads may share one) while it is encoded and written; mu_
  // held on entry and exit.
  void spill_oldest(std::unique_lock<std::mutex>& lock, InFlight& slot);
  // `status`, if given: the HTTP status answered (0 when none came).
  Outcome post(const std::string& path, const std::string& body, const WireForm& form,
               std::string& error, int* status = nullptr);
  // Posts a batch from memory (`batch`) or the spool (`spooled`), in the
  // batch codec's form unless this server showed it does not take it.
  Outcome send_batch(Batch& batch, std::optional<SpooledBatch>& spooled, std::string& error);
  // The batch codec's body of a batch from memory, made the first time it
  // is asked for, on the calling thread (the batch is its own, outside
  // mu_). Its parts' buffers become spares right then.
  const std::string& encoded(Batch& batch);
  // A batch's parts, emptied, to spares_ (as many as it keeps).
  void recycle(Batch& batch);
  // Adds a part to the open batch, closing it before or after as the
  // bounds say; true when it closed one. mu_ held.
  bool add_part(EncodedRecords&& part);
  void post_stats();
  void note_failure(const std::string& error);  // mu_ held
  // Copies the spool's counts; mu_ and spool_change_ held.
  void sync_spool_stats();

  ExporterOptions opts_;
  const std::string agent_id_;    // random per run
  uint64_t next_seq_ = 1;         // mu_
  std::unique_ptr<Spool> spool_;  // read by the sending thread, appended to by both threads
  std::unique_ptr<httplib::Client> client_;
  std::string client_error_;
  std::string json_scratch_;  // the sending thread's, reused for every batch's JSON
  bool json_only_ = false;    // the sending thread's: the server does not take the batch codec
  // Buffers of encoded parts, handed back to the agent by push(): a fresh
  // one is allocated, zero-filled and faulted in as the pump fills it
  // (~0.4 MB per 50 ms hand-over at 40k HTTP requests/s). As many as a
  // batch's parts, within kSpareBytes together.
  static constexpr size_t kSpareBytes = 4u << 20;
  std::vector<EncodedRecords> spares_;  // mu_
  size_t spare_bytes_ = 0;              // mu_

  mutable std::mutex mu_;
  // Held from a change to the spool (with mu_ released: it is disk work)
  // until mu_ is taken back and the change counted on this side (the
  // batch's records out of a slot in flight, or sent): another thread
  // copying the spool's counts in between would count the batch twice, or
  // not at all. Taken before mu_, never while holding it.
  std::mutex spool_change_;
  std::condition_variable wake_;      // the sending thread
  std::condition_variable overflow_;  // the spill thread
  Batch open_;
  std::chrono::steady_clock::time_point open_since_{};  // open_'s first part
  std::deque<Batch> ready_;
  InFlight sending_;           // by the sending thread (to the server or the spool)
  InFlight spilling_;          // by the spill thread
  InFlight overflowing_;       // by push() past the whole budget
  uint64_t memory_bytes_ = 0;  // open_ + ready_ + all in flight
  bool stopping_ = false;
  bool stopped_ = false;
  ExporterStats stats_;
  SpoolStats spool_stats_;  // a copy, for stats() from other threads
  std::chrono::steady_clock::time_point retry_at_{};
  std::chrono::milliseconds backoff_{250};
  std::chrono::steady_clock::time_point last_log_{};
  uint64_t failures_since_log_ = 0;
  bool failing_ = false;
  std::thread thread_;
  std::thread spiller_;  // with a spool only; joined by thread_ when it stops
};

}  // namespace loupe
