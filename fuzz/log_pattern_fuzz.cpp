// libFuzzer target for the log pattern miner: arbitrary lines (one per
// input line) assigned in small batches, then the miner resumed from the
// patterns it reported. Checks what a pattern promises: every line with a
// word gets one, a pattern's text is valid UTF-8 within its bounds, ids go
// on after a resume, and the number of patterns stays within max_patterns.
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string_view>
#include <vector>

#include "core/utf8.h"
#include "logs/pattern_miner.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using loupe::logs::Pattern;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  loupe::logs::PatternMiner miner({.similarity = 0.5, .max_patterns = 64});
  std::map<uint32_t, Pattern> reported;
  std::vector<loupe::logs::Entry> batch;
  auto assign = [&] {
    for (Pattern& p : miner.assign(batch)) reported[p.id] = std::move(p);
    for (const auto& e : batch)
      if (e.pattern && !reported.count(e.pattern)) std::abort();  // named but never reported
    batch.clear();
  };
  size_t at = 0;
  while (at < input.size()) {
    size_t nl = input.find('\n', at);
    if (nl == std::string_view::npos) nl = input.size();
    loupe::logs::Entry e;
    e.text = input.substr(at, nl - at);
    loupe::utf8::make_valid(e.text);  // as the decoder hands them out
    batch.push_back(std::move(e));
    if (batch.size() == 4) assign();
    at = nl + 1;
  }
  assign();
  if (miner.size() > 64) std::abort();
  for (const auto& [id, p] : reported) {
    if (!loupe::utf8::is_valid(p.text) || !loupe::utf8::is_valid(p.example)) std::abort();
    if (p.example.size() > loupe::logs::kMaxPatternExampleBytes) std::abort();
    if (loupe::logs::pattern_tokens(p.text).size() > loupe::logs::kMaxPatternTokens) std::abort();
  }
  std::vector<Pattern> stored;
  for (const auto& [id, p] : reported) stored.push_back(p);
  loupe::logs::PatternMiner resumed;
  resumed.load(stored);
  std::vector<loupe::logs::Entry> fresh(1);
  fresh[0].text = "a line the fuzzer did not write 0";
  resumed.assign(fresh);
  bool reused = fresh[0].pattern != 0 && !reported.count(fresh[0].pattern) && !reported.empty() &&
                fresh[0].pattern <= reported.rbegin()->first;
  if (reused) std::abort();  // a new pattern's id comes after the stored ones
  return 0;
}
