#include "store/log_answers.h"

#include <algorithm>
#include <cctype>

namespace loupe::store {
namespace {

constexpr uint64_t kNsPerMinute = 60'000'000'000ULL;

bool token_byte(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

bool contains_words(std::string_view text, std::string_view words) {
  size_t i = 0;
  while (i < words.size()) {
    while (i < words.size() && words[i] == ' ') ++i;
    size_t start = i;
    while (i < words.size() && words[i] != ' ') ++i;
    if (i > start && text.find(words.substr(start, i - start)) == std::string_view::npos)
      return false;
  }
  return true;
}

}  // namespace

std::vector<std::string_view> search_words(std::string_view text) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t') ++i;
    if (i > start) words.push_back(text.substr(start, i - start));
  }
  return words;
}

LogSearch log_search(std::string_view text) {
  LogSearch out;
  for (std::string_view word : search_words(text)) {
    out.searched = true;
    LogSearchWord w;
    w.prefix = word.size() > 1 && word.ends_with('*');
    if (w.prefix) word.remove_suffix(1);
    std::string token;
    for (size_t k = 0; k <= word.size(); ++k) {
      auto c = k < word.size() ? static_cast<unsigned char>(word[k]) : 0;
      if (k < word.size() && token_byte(c)) {
        token += c < 0x80 ? static_cast<char>(std::tolower(c)) : static_cast<char>(c);
      } else if (!token.empty()) {
        w.tokens.push_back(std::move(token));
        token.clear();
      }
    }
    if (!w.tokens.empty()) out.words.push_back(std::move(w));
  }
  return out;
}

std::vector<LogHistogramPoint> log_histogram_points(const LevelCounts& counts) {
  std::vector<LogHistogramPoint> out;
  for (const auto& [key, n] : counts) {
    const auto& [t, level] = key;
    if (out.empty() || out.back().t != t) out.push_back({t, {}});
    out.back().counts[static_cast<size_t>(std::clamp<int64_t>(level, 0, 6))] += n;
  }
  return out;
}

std::vector<LogPatternRow> log_pattern_rows(const LogPatternQuery& q, const CountPatterns& count,
                                            const PatternDefinition& definition) {
  uint64_t from_min = q.filter.range.from_ns / kNsPerMinute;
  uint64_t to_min = (q.filter.range.to_ns + kNsPerMinute - 1) / kNsPerMinute;
  std::map<uint32_t, LogPatternRow> rows;
  count(from_min, to_min, [&rows](uint32_t id, uint64_t t, uint64_t n) {
    LogPatternRow& r = rows[id];
    r.count += n;
    r.points.emplace_back(t, n);
  });
  uint64_t span = to_min - from_min;
  count(from_min > span ? from_min - span : 0, from_min,
        [&rows](uint32_t id, uint64_t, uint64_t n) {
          if (auto it = rows.find(id); it != rows.end()) it->second.previous_count += n;
        });
  std::vector<LogPatternRow> out;
  for (auto& [id, row] : rows) {
    std::optional<logs::Pattern> def = definition(id);
    if (!def) continue;  // its definition is being written
    row.pattern = std::move(*def);
    if (q.first_seen_after_ns && row.pattern.first_seen_ns < *q.first_seen_after_ns) continue;
    if (!contains_words(row.pattern.text, q.filter.text)) continue;
    std::sort(row.points.begin(), row.points.end());
    out.push_back(std::move(row));
  }
  std::sort(out.begin(), out.end(), [](const LogPatternRow& a, const LogPatternRow& b) {
    return a.count != b.count ? a.count > b.count : a.pattern.id < b.pattern.id;
  });
  if (out.size() > q.limit) out.resize(q.limit);
  return out;
}

}  // namespace loupe::store
