// libFuzzer target for the log decoder: arbitrary file contents split into
// lines (a 0x01 byte marks a line as cut by the reader), with idle flushes
// between chunks. Checks what every entry promises: valid UTF-8, at most
// kMaxEntryBytes, offsets inside the input, and that the pending offset
// never runs ahead of what was fed.
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "core/utf8.h"
#include "logs/decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  loupe::logs::Decoder decoder;
  std::vector<loupe::logs::Entry> out;
  uint64_t now = 1'000'000'000'000'000'000ULL;
  size_t at = 0;
  while (at < input.size()) {
    size_t nl = input.find('\n', at);
    if (nl == std::string_view::npos) nl = input.size();
    std::string_view line = input.substr(at, nl - at);
    bool cut = line.starts_with('\x01');
    decoder.feed(line, at, now, out, cut);
    if (line.size() % 7 == 3) decoder.flush_idle(now += loupe::logs::Decoder::kIdleNs, out);
    if (auto p = decoder.pending_offset(); p && *p > at) std::abort();
    at = nl + 1;
  }
  decoder.finish(out);
  if (decoder.pending_offset()) std::abort();
  for (const auto& e : out) {
    if (!loupe::utf8::is_valid(e.text) || e.text.size() > loupe::logs::kMaxEntryBytes) std::abort();
    if (e.offset > input.size()) std::abort();
  }
  return 0;
}
