#include "logs/pattern_miner.h"

#include <algorithm>

namespace loupe::logs {
namespace {

bool alnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool digit(char c) { return c >= '0' && c <= '9'; }
bool hex(char c) { return digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Each matcher returns the length of what it matches at `s`'s start (0: none).
// A value must end where a word does.
bool ends_word(std::string_view s, size_t n) { return n == s.size() || !alnum(s[n]); }

size_t uuid(std::string_view s) {
  static constexpr size_t kGroups[] = {8, 4, 4, 4, 12};
  size_t at = 0;
  for (size_t g = 0; g < 5; ++g) {
    if (g > 0 && (at >= s.size() || s[at++] != '-')) return 0;
    for (size_t i = 0; i < kGroups[g]; ++i, ++at)
      if (at >= s.size() || !hex(s[at])) return 0;
  }
  return ends_word(s, at) ? at : 0;
}

size_t digits(std::string_view s, size_t at) {
  size_t n = 0;
  while (at + n < s.size() && digit(s[at + n])) ++n;
  return n;
}

size_t ipv4(std::string_view s) {
  size_t at = 0;
  for (int part = 0; part < 4; ++part) {
    if (part > 0 && (at >= s.size() || s[at++] != '.')) return 0;
    size_t n = digits(s, at);
    if (n == 0 || n > 3) return 0;
    at += n;
  }
  if (at + 1 < s.size() && s[at] == ':' && digit(s[at + 1])) at += 1 + digits(s, at + 1);
  return ends_word(s, at) ? at : 0;
}

// 0x1f3a, or a run of 8+ hex digits with a digit in it (ids, hashes).
size_t hex_value(std::string_view s) {
  size_t at = 0;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && hex(s[2])) {
    at = 2;
    while (at < s.size() && hex(s[at])) ++at;
    return ends_word(s, at) ? at : 0;
  }
  bool has_digit = false;
  while (at < s.size() && hex(s[at])) has_digit |= digit(s[at++]);
  return at >= 8 && has_digit && ends_word(s, at) ? at : 0;
}

// 42, 3.14, 1.2.3; followed by the end of a word or a short unit (12ms, 5s,
// 30%), which stays.
size_t number(std::string_view s) {
  size_t at = digits(s, 0);
  if (at == 0) return 0;
  while (at + 1 < s.size() && s[at] == '.' && digit(s[at + 1])) at += 1 + digits(s, at + 1);
  if (ends_word(s, at)) return at;
  size_t unit = 0;
  while (at + unit < s.size() && letter(s[at + unit]) && unit <= 3) ++unit;
  return unit <= 3 && ends_word(s, at + unit) ? at : 0;
}

// "quoted" or 'quoted' from a word's start to a closing quote at a word's end.
size_t quoted(std::string_view s) {
  char q = s[0];
  if (q != '"' && q != '\'') return 0;
  size_t close = s.find(q, 1);
  return close != std::string_view::npos && ends_word(s, close + 1) ? close + 1 : 0;
}

std::string mask(std::string_view line) {
  std::string out;
  out.reserve(line.size());
  size_t i = 0;
  while (i < line.size()) {
    if (i == 0 || !alnum(line[i - 1])) {
      std::string_view rest = line.substr(i);
      size_t n = quoted(rest);
      if (!n) n = uuid(rest);
      if (!n) n = ipv4(rest);
      if (!n) n = hex_value(rest);
      if (!n) n = number(rest);
      if (n) {
        out += kWildcard;
        i += n;
        continue;
      }
    }
    out += line[i++];
  }
  return out;
}

// At most `max` bytes of `text`, ending on a whole UTF-8 character.
std::string_view cut(std::string_view text, size_t max) {
  if (text.size() <= max) return text;
  while (max > 0 && (static_cast<unsigned char>(text[max]) & 0xC0) == 0x80) --max;
  return text.substr(0, max);
}

std::string_view first_line(std::string_view text) {
  return cut(text.substr(0, text.find('\n')), kMaxPatternLineBytes);
}

// The share of a pattern's fixed tokens the line has at the same place.
double similarity(const std::vector<std::string>& pattern, const std::vector<std::string>& line) {
  size_t fixed = 0, same = 0;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == kWildcard) continue;
    ++fixed;
    same += pattern[i] == line[i];
  }
  return fixed == 0 ? 1.0 : static_cast<double>(same) / static_cast<double>(fixed);
}

}  // namespace

std::vector<std::string> pattern_tokens(std::string_view line) {
  std::string masked = mask(first_line(line));
  std::vector<std::string> tokens;
  size_t i = 0;
  while (i < masked.size()) {
    while (i < masked.size() && space(masked[i])) ++i;
    if (i == masked.size()) break;
    if (tokens.size() + 1 == kMaxPatternTokens) {
      tokens.emplace_back(kWildcard);  // the rest of the line
      break;
    }
    size_t start = i;
    while (i < masked.size() && !space(masked[i])) ++i;
    tokens.emplace_back(masked.substr(start, i - start));
  }
  return tokens;
}

PatternMiner::PatternMiner(PatternMinerOptions opts) : opts_(opts) {}

std::string PatternMiner::join(const std::vector<std::string>& tokens) {
  std::string out;
  for (const std::string& t : tokens) {
    if (!out.empty()) out += ' ';
    out += t;
  }
  return out;
}

void PatternMiner::load(const std::vector<Pattern>& patterns) {
  std::lock_guard lock(mu_);
  for (const Pattern& p : patterns) {
    Cluster c{pattern_tokens(p.text), p};
    if (c.tokens.empty()) continue;
    next_id_ = std::max(next_id_, p.id + 1);
    leaves_[{c.tokens.size(), c.tokens[0]}].push_back(clusters_.size());
    clusters_.push_back(std::move(c));
  }
}

uint32_t PatternMiner::add(const Entry& e, std::vector<size_t>& changed) {
  std::vector<std::string> tokens = pattern_tokens(e.text);
  if (tokens.empty()) return 0;  // nothing but blanks
  ++stats_.entries;
  std::vector<size_t>& leaf = leaves_[{tokens.size(), tokens[0]}];
  size_t best = 0;
  double best_sim = -1;
  for (size_t index : leaf) {
    double sim = similarity(clusters_[index].tokens, tokens);
    if (sim > best_sim) {
      best_sim = sim;
      best = index;
    }
  }
  if (best_sim >= opts_.similarity) {
    Cluster& c = clusters_[best];
    bool generalised = false;
    for (size_t i = 1; i < tokens.size(); ++i) {
      if (c.tokens[i] != kWildcard && c.tokens[i] != tokens[i]) {
        c.tokens[i] = kWildcard;
        generalised = true;
      }
    }
    if (generalised) {
      c.pattern.text = join(c.tokens);
      changed.push_back(best);
    }
    return c.pattern.id;
  }
  if (clusters_.size() >= opts_.max_patterns) {
    ++stats_.over_limit;
    return 0;
  }
  std::string example(cut(first_line(e.text), kMaxPatternExampleBytes));
  Cluster c{tokens, Pattern{next_id_++, join(tokens), e.level, e.time_ns, std::move(example)}};
  leaf.push_back(clusters_.size());
  changed.push_back(clusters_.size());
  clusters_.push_back(std::move(c));
  return clusters_.back().pattern.id;
}

std::vector<Pattern> PatternMiner::assign(std::vector<Entry>& entries) {
  std::lock_guard lock(mu_);
  std::vector<size_t> changed;  // indexes into clusters_
  for (Entry& e : entries) e.pattern = add(e, changed);
  std::sort(changed.begin(), changed.end());
  changed.erase(std::unique(changed.begin(), changed.end()), changed.end());
  std::vector<Pattern> out;
  out.reserve(changed.size());
  for (size_t index : changed) out.push_back(clusters_[index].pattern);
  return out;
}

size_t PatternMiner::size() const {
  std::lock_guard lock(mu_);
  return clusters_.size();
}

PatternMinerStats PatternMiner::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace loupe::logs
