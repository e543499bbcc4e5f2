// libFuzzer target for the noted-records decoder (core/batch_codec.h): the
// embedded store keeps its raw requests as such chunks in SQLite, so a
// damaged or foreign database hands it any bytes; they either decode or are
// refused, without crashing or allocating past the limits, and what decodes
// encodes again to a body that decodes to the same records and notes. The
// seed is a real chunk of three records with two notes each, so mutations
// get past the zstd frame.
#include <cstdlib>
#include <string_view>
#include <vector>

#include "core/batch_codec.h"
#include "same_records.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace loupe;
  auto chunk = decode_noted_records(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!chunk) return 0;
  std::vector<const Record*> records;
  for (const Record& r : chunk->records) records.push_back(&r);
  std::vector<std::string_view> notes(chunk->notes.begin(), chunk->notes.end());
  auto again = decode_noted_records(encode_noted_records(records, notes, chunk->notes_per_record));
  if (!again || again->notes_per_record != chunk->notes_per_record ||
      again->notes != chunk->notes || !same_records(chunk->records, again->records))
    std::abort();
  return 0;
}
