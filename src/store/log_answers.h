// What every store does with logs that is not SQL: how a search text splits
// into words (as the embedded store's FTS5 unicode61 tokenizer reads them),
// how per-(bucket, level) counts become histogram points, and how pattern
// counts become the most frequent patterns. The embedded store
// (log_tables.cpp) and ClickHouse (clickhouse/log_store.cpp) both call
// these, so they answer alike.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/store.h"

namespace loupe::store {

// The words of a search text: split on spaces and tabs.
std::vector<std::string_view> search_words(std::string_view text);

// One word of a log search: the tokens it holds (runs of letters and digits,
// ASCII lower-cased; bytes >= 0x80 count as letters), which must occur in
// an entry one after the other; `prefix`: the last token may be the start
// of a longer one (the word ended in '*').
struct LogSearchWord {
  std::vector<std::string> tokens;
  bool prefix = false;
};

// The words of `text` (split on spaces and tabs) that hold a token; words
// without one ("(", "--") are left out. `searched` is false when the text
// has words but none with a token: then nothing matches (as in FTS5).
struct LogSearch {
  std::vector<LogSearchWord> words;
  bool searched = false;  // a non-empty text
  bool matches_nothing() const { return searched && words.empty(); }
};
LogSearch log_search(std::string_view text);

// (bucket start s, level) -> entries, as histogram points oldest first.
using LevelCounts = std::map<std::pair<uint64_t, int64_t>, uint64_t>;
std::vector<LogHistogramPoint> log_histogram_points(const LevelCounts& counts);

// Adds (pattern, bucket start s, entries) for the whole minutes
// [from_min, to_min) of the query's entities and levels, in buckets of q.step_s.
using CountPatterns =
    std::function<void(uint64_t from_min, uint64_t to_min,
                       const std::function<void(uint32_t, uint64_t, uint64_t)>& add)>;
// A pattern's definition by id; nullopt while it is being written.
using PatternDefinition = std::function<std::optional<logs::Pattern>(uint32_t id)>;
// The most frequent patterns of q (counts of its range and of the range of
// the same length before it), with their definitions.
std::vector<LogPatternRow> log_pattern_rows(const LogPatternQuery& q, const CountPatterns& count,
                                            const PatternDefinition& definition);

}  // namespace loupe::store
