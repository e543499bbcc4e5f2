// The compact form of a batch of records that agents spool and send to the
// server: a varint-packed binary of the records, zstd-compressed. Encoding
// costs a few percent of the JSON + gzip it replaces (about 0.2 against 4-5
// µs per record), so the agent's spill thread keeps up with capture, and a
// spooled batch goes to the server as it lies on disk
// (POST /api/v1/ingest with Content-Type kBatchMediaType, docs/api.md).
//
// The body names the text fields it carries (by their JSON keys), so a
// body written before a field was added or reordered still decodes: known
// names fill their field, unknown ones are skipped. It also keeps the
// batch's key (agent id + sequence number), so a batch sent again after a
// restart is still stored once by the server. Bodies come from disk and
// from the network: decoding checks every length against what is left and
// returns nothing for a damaged body, never crashes or allocates past its
// bounds (BatchLimits).
//
//   std::string body = encode_batch({agent_id, seq}, records);
//   if (auto batch = decode_batch(body)) send(batch->key, batch->records);
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/batch_key.h"
#include "core/record.h"

struct ZSTD_CCtx_s;  // zstd's compression context (zstd.h)

namespace loupe {

// The Content-Type of an ingest body in this form.
inline constexpr std::string_view kBatchMediaType = "application/vnd.loupe.batch+zstd";

struct DecodedBatch {
  BatchKey key;
  std::vector<Record> records;
};

// Bodies that would decode to more than this are refused as too large (a
// batch closes at 4 MiB of record footprint, far above its encoded size).
inline constexpr size_t kMaxDecodedBatchBytes = 64u << 20;

struct BatchLimits {
  size_t max_decoded_bytes = kMaxDecodedBatchBytes;  // the body after zstd
  size_t max_records = std::numeric_limits<size_t>::max();
};

struct BatchDecodeError {
  enum class Kind {
    Damaged,         // truncated, corrupt, not this codec
    TooLarge,        // past BatchLimits::max_decoded_bytes
    TooManyRecords,  // past BatchLimits::max_records
    UnknownVersion,  // a valid frame of a later version of this codec
  };
  Kind kind = Kind::Damaged;
  std::string why;
};

std::string encode_batch(const BatchKey& key, std::span<const Record> records);

// Records in the codec's record layout, appended as they are made and kept
// as those bytes until a batch of them closes (BatchEncoder::encode).
// `loupe agent` encodes each segment's records right after the parser
// built them, while they are in cache, and keeps ~100 bytes per record
// instead of a Record (~720 bytes): the records are then built again and
// again in the same few hot slots, never in cold batch pages.
// The identity a connection gives every record it makes (comm, addresses,
// pod; agent/connection_tracker.h), for EncodedRecords to write in place of
// the records' own fields: `loupe agent`'s records then need not hold
// copies of it only to be encoded and destroyed (three string copies a
// record, a heap allocation for an address past 15 bytes).
struct RecordIdentity {
  std::string_view comm, local_addr, remote_addr, container, pod;
};

class EncodedRecords {
 public:
  // Appends `records`; a record whose node is empty is written with
  // `default_node` (an agent names its node once, not on every record).
  // With `identity`, its fields are written in place of the records'.
  void append(std::span<const Record> records, std::string_view default_node = {},
              const RecordIdentity* identity = nullptr);
  size_t count() const { return count_; }
  bool empty() const { return count_ == 0; }
  std::string_view bytes() const { return {raw_.data(), size_}; }
  // What it holds in memory: its buffer, used or not.
  size_t memory_bytes() const { return raw_.capacity(); }
  // Empties it, keeping its buffer for the next records.
  void clear() {
    size_ = 0;
    count_ = 0;
  }
  // Room for `bytes` encoded bytes without growing.
  void reserve(size_t bytes) {
    if (raw_.size() < bytes) raw_.resize(bytes);
  }

 private:
  std::string raw_;  // sized to its capacity; the records fill raw_[0, size_)
  size_t size_ = 0;
  size_t count_ = 0;
};

// Encodes batches one after another with the same working memory: the
// uncompressed buffer and zstd's context stay allocated and faulted in
// between batches (a new context per batch allocates and clears hundreds
// of KB). One per thread; the bodies are the same as encode_batch's.
class BatchEncoder {
 public:
  BatchEncoder();
  ~BatchEncoder();
  BatchEncoder(const BatchEncoder&) = delete;
  BatchEncoder& operator=(const BatchEncoder&) = delete;

  // The records of `parts`, in order, as one batch.
  std::string encode(const BatchKey& key, std::span<const EncodedRecords> parts);

  // The body encode_noted_records() gives for the same arguments, in memory
  // this encoder keeps: valid until its next call. The embedded store
  // encodes a chunk per service and minute of every batch it writes, and
  // building each one in a fresh buffer (grown by doubling, zero-filled,
  // faulted in, unmapped) was ~40% of `loupe run`'s ingest writer.
  // `connections` (empty, or one per record; 0: not known): records of
  // one non-zero connection hold the same comm, addresses, host and
  // Kubernetes names but the pods (what pipeline/connection_answers.h's
  // same_connection compares), which are then coded without being
  // compared. The body is the same with or without them. A number need
  // mean one connection within a call only (a store's batches number
  // their connections afresh).
  std::string_view encode_noted(std::span<const Record* const> records,
                                std::span<const std::string_view> notes, size_t notes_per_record,
                                std::span<const uint32_t> connections = {});

 private:
  std::string raw_;   // sized to its capacity; the body fills raw_[0, pos)
  std::string body_;  // encode_noted's compressed body, grown only when too small
  // encode's compressed body before it is copied out at its size: kept, not
  // allocated, zero-filled and faulted in at zstd's bound for every batch
  // (8% of `loupe agent`'s sending thread at a paced load); uninitialised,
  // so only the pages zstd writes (a tenth of the bound) become resident.
  std::unique_ptr<char[]> frame_;
  size_t frame_capacity_ = 0;
  ::ZSTD_CCtx_s* cctx_;
  struct ConnectionValues;  // what encode_noted knows of `connections` (batch_codec.cpp)
  std::unique_ptr<ConnectionValues> connection_values_;
};

// Empty when the body is damaged, truncated, past `limits` or not a batch
// of this codec; `error` (if given) says which and why. The records are
// decoded into `into` (cleared first), so a spare vector is reused. Text is
// returned as it was encoded, not checked for UTF-8.
std::optional<DecodedBatch> decode_batch(std::string_view body, BatchDecodeError* error = nullptr,
                                         const BatchLimits& limits = {},
                                         std::vector<Record> into = {});

// Records with what their keeper notes beside each one, in the same record
// layout and compression as a batch (one serializer): the embedded store
// keeps its raw requests as such chunks (store/request_chunks.h), each
// record with its resolved route, caller and counted flag as notes. The
// codec does not interpret the notes: `notes_per_record` strings per
// record, record i's at notes[i * notes_per_record ...]. A noted body is
// not a batch (decode_batch refuses it as another version, and back).
struct NotedRecords {
  std::vector<Record> records;
  size_t notes_per_record = 0;
  std::vector<std::string> notes;
};

std::string encode_noted_records(std::span<const Record* const> records,
                                 std::span<const std::string_view> notes, size_t notes_per_record);
// `into`'s vectors are reused (their capacity kept), as decode_batch's.
std::optional<NotedRecords> decode_noted_records(std::string_view body,
                                                 BatchDecodeError* error = nullptr,
                                                 const BatchLimits& limits = {},
                                                 NotedRecords into = {});

}  // namespace loupe
