// The compact form in which the agent spills a batch of records to its
// spool: a varint-packed binary of the records, zstd-compressed. Encoding
// costs a few percent of the JSON + gzip sent to the server (about 0.2
// against 4-5 µs per record), so the spill thread keeps up with capture;
// a spooled batch becomes JSON once, when it is sent.
//
// The body names the text fields it carries (by their JSON keys), so a
// file written before a field was added or reordered still decodes: known
// names fill their field, unknown ones are skipped. It also keeps the
// batch's key (agent id + sequence number), so a batch sent again after a
// restart is still stored once by the server. Bodies come from disk:
// decoding checks every length against what is left and returns nothing
// for a damaged body, never crashes or allocates past its bound.
//
//   std::string body = encode_batch({agent_id, seq}, records);
//   if (auto batch = decode_batch(body)) send(batch->key, batch->records);
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/record.h"

namespace loupe {

struct BatchKey {
  std::string agent;  // the agent run's random id
  uint64_t seq = 0;
};

struct DecodedBatch {
  BatchKey key;
  std::vector<Record> records;
};

// Bodies that would decode to more than this are refused as damaged (a
// batch closes at 4 MiB of record footprint, far above its encoded size).
inline constexpr size_t kMaxDecodedBatchBytes = 64u << 20;

std::string encode_batch(const BatchKey& key, std::span<const Record> records);

// Empty when the body is damaged, truncated or not a batch of this codec;
// `error` (if given) says why.
std::optional<DecodedBatch> decode_batch(std::string_view body, std::string* error = nullptr);

}  // namespace loupe
