// Decoding and checking POST /api/v1/ingest bodies, in either of their two
// forms (docs/api.md): JSON, {"records": [record_to_json, ...]}, from any
// sender; or the batch codec's binary (core/batch_codec.h, Content-Type
// application/vnd.loupe.batch+zstd), which `loupe agent` sends. Both give
// the same DecodedBatch after the same checks.
//
// Agents are not trusted: a batch holds at most IngestLimits::max_records
// records, decoded one at a time while the body is parsed
// (server/json_lists.h: a small compressed body can become neither
// millions of records nor a huge JSON document), and a record is dropped, counted by
// reason, when a text field exceeds the record limits (core/record_limits.h,
// the parsers' own) or its time lies outside [now - retention, now + 1 h]
// (a record dated 2200 would never expire).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/metric.h"
#include "core/oom_kill.h"
#include "core/record.h"
#include "logs/log_entry.h"
#include "server/api_params.h"
#include "server/json_lists.h"
#include "store/store.h"

namespace loupe::server {

struct IngestLimits {
  size_t max_records = 50'000;                          // per batch; agents send 5,000
  uint64_t retention_ns = 0;                            // 0: no lower bound on time
  uint64_t max_future_ns = 3600ULL * 1'000'000'000ULL;  // clock skew tolerated
  // A binary body after zstd, like a JSON body after gzip (the HTTP layer's
  // http::Limits::max_body_bytes, which the server copies here).
  size_t max_decoded_bytes = 16 * 1024 * 1024;
};

// Records of a batch that were not stored, by reason.
struct IngestRejects {
  uint64_t oversize_field = 0;  // a text field longer than its limit
  uint64_t bad_time = 0;        // start/end outside the accepted window, or end < start
  uint64_t total() const { return oversize_field + bad_time; }
};

struct DecodedBatch {
  std::vector<Record> records;  // the records to store
  IngestRejects rejected;
  // "batch": {"agent": "...", "seq": N}: the agent's name for the batch,
  // so a copy sent again after a lost answer is stored once.
  std::optional<BatchKey> key;
};

constexpr size_t kMaxAgentIdBytes = 128;

// A body's "batch": {"agent": "...", "seq": N} (record batches and profile
// parts), none when absent; throws ParamError("batch") when malformed.
std::optional<BatchKey> decode_batch_key(const nlohmann::json& body);

// Throws ParamError naming the offending part ("body", "records",
// "records[3]") when the body is not the documented shape, BatchTooLarge
// when it holds too many records. The records are decoded into `into`
// (cleared first), so a spare vector's memory, already faulted in, is reused.
DecodedBatch decode_ingest_body(std::string_view body, const IngestLimits& limits, uint64_t now_ns,
                                std::vector<Record> into = {});

// Whether a Content-Type names the batch codec's form (parameters and case
// aside); anything else is read as JSON.
bool is_batch_codec_body(std::string_view content_type);

// A body that is a later version of the batch codec than this server
// reads: answered 415, so the agent sends JSON instead.
class UnsupportedBatchVersion : public ParamError {
 public:
  using ParamError::ParamError;
};

// Past IngestLimits::max_decoded_bytes once decompressed: 413, as the HTTP
// layer answers a gzip body past its bound.
class BodyTooLarge : public ParamError {
 public:
  using ParamError::ParamError;
};

// decode_ingest_body for a batch codec body: throws ParamError("body") when
// damaged, BatchTooLarge past limits.max_records, BodyTooLarge past
// limits.max_decoded_bytes,
// UnsupportedBatchVersion for a later codec version; a batch key that names
// no agent or a too long one is refused as in JSON (ParamError("batch")).
// Text is made valid UTF-8 as the JSON writer would have.
DecodedBatch decode_ingest_batch_codec(std::string_view body, const IngestLimits& limits,
                                       uint64_t now_ns, std::vector<Record> into = {});

// POST /api/v1/metrics/ingest: {"samples": [MetricSample...], "oom_kills": [OomKill...]}
// (either may be absent), at most kMaxMetricItems of each (agents send
// 20,000 samples per request). Throws ParamError like decode_ingest_body.
constexpr size_t kMaxMetricItems = 50'000;
struct MetricIngest {
  std::vector<MetricSample> samples;
  std::vector<OomKill> oom_kills;
};
MetricIngest decode_metric_ingest(std::string_view body);

// POST /api/v1/logs/ingest: {"entries": [logs::Entry...]}, at most
// max_entries. Text is made valid UTF-8 within logs::kMaxEntryBytes and the
// names within 1 KiB; an entry without a source is refused (ParamError
// naming it), as it could not be told apart from a repeat.
std::vector<logs::Entry> decode_log_ingest(std::string_view body, size_t max_entries);

}  // namespace loupe::server
