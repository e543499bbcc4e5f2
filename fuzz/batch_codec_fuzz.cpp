// libFuzzer target for the agent spool's batch decoder (core/batch_codec.h):
// a spool file's body comes from disk, so any bytes either decode or are
// refused, without crashing or allocating past kMaxDecodedBatchBytes; what
// decodes encodes again to a body that decodes to the same batch. The seed
// is a real two-record batch, so mutations get past the zstd frame.
#include <cstdlib>

#include "core/batch_codec.h"
#include "same_records.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace loupe;
  auto batch = decode_batch(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!batch) return 0;
  auto again = decode_batch(encode_batch(batch->key, batch->records));
  if (!again || again->key.agent != batch->key.agent || again->key.seq != batch->key.seq ||
      !same_records(batch->records, again->records))
    std::abort();
  return 0;
}
