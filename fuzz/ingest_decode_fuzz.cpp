// libFuzzer target for the server's agent-batch decoders (POST /api/v1/ingest),
// JSON and the batch codec's form (every input goes through both): any body
// is either refused with a ParamError or yields records that fit
// the record limits, are valid UTF-8 and lie in the accepted time window,
// and a batch key ("batch": {"agent", "seq"}) that names an agent within
// kMaxAgentIdBytes. The seeds carry a batch key, so mutations reach its
// checks (wrong types, empty or oversized agent names, negative sequences);
// one is a batch codec body (zstd), so mutations reach its record checks.
#include <cstdlib>

#include "core/record_limits.h"
#include "core/utf8.h"
#include "server/ingest_decode.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace loupe;
  constexpr uint64_t kNow = 1'800'000'000ULL * 1'000'000'000ULL;
  server::IngestLimits limits;
  limits.max_records = 64;
  limits.retention_ns = 3600ULL * 1'000'000'000ULL;
  limits.max_decoded_bytes = 1 << 20;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  for (auto decode : {&server::decode_ingest_body, &server::decode_ingest_batch_codec}) {
    try {
      auto batch = decode(body, limits, kNow, {});
      if (batch.records.size() + batch.rejected.total() > limits.max_records) std::abort();
      if (batch.key &&
          (batch.key->agent.empty() || batch.key->agent.size() > server::kMaxAgentIdBytes ||
           !utf8::is_valid(batch.key->agent)))
        std::abort();
      for (const Record& r : batch.records) {
        if (oversize_field(r)) std::abort();
        for (const TextField& f : record_text_fields())
          if (!utf8::is_valid(text_of(r, f))) std::abort();
        if (r.start_ns + limits.retention_ns < kNow || r.end_ns < r.start_ns ||
            r.end_ns > kNow + limits.max_future_ns)
          std::abort();
      }
    } catch (const server::ParamError&) {
    }
  }
  return 0;
}
