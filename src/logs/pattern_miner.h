// Groups log entries into patterns as they arrive: a Drain-style clusterer
// (He et al., "Drain: An Online Log Parsing Approach with Fixed Depth
// Tree", ICWS 2017). An entry's first line is masked (numbers, UUIDs, IPs,
// hex, quoted values become <*>), split into tokens, and compared with the
// patterns of the same token count and first token: the most similar one
// at or above `similarity` takes it, and the positions where they differ
// become <*>; else it starts a new pattern.
//
// Bounded: at most max_patterns patterns (a line no pattern takes after
// that gets pattern 0 and is counted), kMaxPatternTokens tokens per line
// (the rest becomes one <*>), the first kMaxPatternLineBytes of a line.
// Thread-safe: the server's ingest threads share one miner.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "logs/log_entry.h"

namespace loupe::logs {

inline constexpr size_t kMaxPatternTokens = 64;
inline constexpr size_t kMaxPatternLineBytes = 1024;
inline constexpr size_t kMaxPatternExampleBytes = 512;
inline constexpr std::string_view kWildcard = "<*>";

struct Pattern {
  uint32_t id = 0;
  std::string text;              // tokens joined by one space, <*> for what varies
  Level level = Level::Unknown;  // of the first entry seen
  uint64_t first_seen_ns = 0;
  std::string example;  // the first entry's first line, cut to kMaxPatternExampleBytes
  bool operator==(const Pattern&) const = default;
};

struct PatternMinerOptions {
  double similarity = 0.5;  // share of a pattern's fixed tokens a line must share
  size_t max_patterns = 5'000;
};

struct PatternMinerStats {
  uint64_t entries = 0;
  uint64_t over_limit = 0;  // entries no pattern took once max_patterns were there
};

// `line` masked and split: the tokens a pattern is made of.
std::vector<std::string> pattern_tokens(std::string_view line);

class PatternMiner {
 public:
  explicit PatternMiner(PatternMinerOptions opts = {});

  // The patterns kept from an earlier run (the store's): ids go on from them.
  void load(const std::vector<Pattern>& patterns);
  // Sets each entry's pattern; returns the patterns new or changed by them
  // (to be stored before the entries).
  std::vector<Pattern> assign(std::vector<Entry>& entries);

  size_t size() const;
  PatternMinerStats stats() const;

 private:
  struct Cluster {
    std::vector<std::string> tokens;
    Pattern pattern;
  };
  // Token count and first token (<*> when it is one).
  using LeafKey = std::pair<size_t, std::string>;

  // The entry's pattern id (0: none); `changed` gets the clusters it made or changed.
  uint32_t add(const Entry& e, std::vector<size_t>& changed);
  static std::string join(const std::vector<std::string>& tokens);

  PatternMinerOptions opts_;
  mutable std::mutex mu_;
  std::map<LeafKey, std::vector<size_t>> leaves_;  // -> indexes into clusters_
  std::vector<Cluster> clusters_;
  uint32_t next_id_ = 1;
  PatternMinerStats stats_;
};

}  // namespace loupe::logs
