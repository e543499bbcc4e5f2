// libFuzzer target for the HPACK decoder alone: the input is a series of
// [length byte][block] header blocks sharing one decoder (and so one dynamic
// table), with small limits so eviction and truncation are reached. Checks
// that the table and every block's fields stay within the limits, and that
// an unknown field carries no name or value.
#include <cstdlib>
#include <string_view>
#include <vector>

#include "protocols/http2/hpack.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  using loupe::http2::HpackDecoder;
  const HpackDecoder::Limits limits{.max_table_bytes = 512, .max_list_bytes = 2048};
  // The first byte picks whether the decoder saw the connection's start.
  HpackDecoder decoder((data[0] & 1) != 0, limits);
  std::string_view raw(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::vector<loupe::http2::HeaderField> fields;
  while (!raw.empty()) {
    const size_t len = std::min<size_t>(static_cast<uint8_t>(raw[0]), raw.size() - 1);
    std::string_view block = raw.substr(1, len);
    raw.remove_prefix(1 + len);
    if (len == 0) {
      decoder.lose_block();
      continue;
    }
    fields.clear();
    (void)decoder.decode(block, fields);
    size_t list = 0;
    for (const auto& f : fields) {
      if (!f.known && (!f.name.empty() || !f.value.empty())) std::abort();
      list += f.name.size() + f.value.size() + 32;
    }
    if (list > limits.max_list_bytes || decoder.table_size() > limits.max_table_bytes) std::abort();
  }
  return 0;
}
