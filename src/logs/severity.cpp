#include "logs/severity.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

namespace loupe::logs {
namespace {

// How far into a line a level word is looked for: past a timestamp, a
// logger name and brackets, not into the message.
constexpr size_t kHeadBytes = 64;

struct Word {
  std::string_view text;  // lower case
  Level level;
};
constexpr std::array<Word, 22> kWords{{
    {"trace", Level::Trace},      {"trc", Level::Trace},   {"debug", Level::Debug},
    {"dbg", Level::Debug},        {"info", Level::Info},   {"inf", Level::Info},
    {"information", Level::Info}, {"notice", Level::Info}, {"warn", Level::Warn},
    {"warning", Level::Warn},     {"wrn", Level::Warn},    {"error", Level::Error},
    {"err", Level::Error},        {"eror", Level::Error},  {"crit", Level::Fatal},
    {"critical", Level::Fatal},   {"fatal", Level::Fatal}, {"ftl", Level::Fatal},
    {"panic", Level::Fatal},      {"emerg", Level::Fatal}, {"alert", Level::Fatal},
    {"severe", Level::Error},
}};

bool is_word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// The value after `"key":` in a JSON object's text, when it is a string.
std::string_view json_string_value(std::string_view text, std::string_view key) {
  std::string quoted = "\"" + std::string(key) + "\"";
  for (size_t at = text.find(quoted); at != std::string_view::npos;
       at = text.find(quoted, at + 1)) {
    size_t p = at + quoted.size();
    while (p < text.size() && (text[p] == ' ' || text[p] == ':')) ++p;
    if (p >= text.size() || text[p] != '"') continue;
    size_t end = text.find('"', p + 1);
    if (end == std::string_view::npos) return {};
    return text.substr(p + 1, end - p - 1);
  }
  return {};
}

// `key=value` (logfmt) anywhere in the head, value optionally quoted.
std::string_view logfmt_value(std::string_view head, std::string_view key) {
  size_t at = 0;
  while ((at = head.find(key, at)) != std::string_view::npos) {
    bool starts_word = at == 0 || !is_word_char(head[at - 1]);
    size_t p = at + key.size();
    at = p;
    if (!starts_word || p >= head.size() || head[p] != '=') continue;
    ++p;
    if (p < head.size() && head[p] == '"') ++p;
    size_t end = p;
    while (end < head.size() && is_word_char(head[end])) ++end;
    return head.substr(p, end - p);
  }
  return {};
}

// klog: "E1130 12:00:00.000000 ..." (severity letter, MMDD, space, time).
Level klog_level(std::string_view text) {
  if (text.size() < 7 || text[5] != ' ') return Level::Unknown;
  for (size_t i = 1; i < 5; ++i)
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return Level::Unknown;
  switch (text[0]) {
    case 'I':
      return Level::Info;
    case 'W':
      return Level::Warn;
    case 'E':
      return Level::Error;
    case 'F':
      return Level::Fatal;
    default:
      return Level::Unknown;
  }
}

// The first word of the head that is a level word written in capitals, or
// inside brackets ("[error]", "<warn>"): plain lower-case "error" is more
// often a word of the message than a level.
Level prefix_level(std::string_view head) {
  size_t i = 0;
  while (i < head.size()) {
    while (i < head.size() && !is_word_char(head[i])) ++i;
    size_t start = i;
    while (i < head.size() && is_word_char(head[i])) ++i;
    if (i == start) break;
    std::string_view word = head.substr(start, i - start);
    bool bracketed = start > 0 && (head[start - 1] == '[' || head[start - 1] == '<') &&
                     i < head.size() && (head[i] == ']' || head[i] == '>');
    bool capitals = std::all_of(word.begin(), word.end(), [](char c) {
      return !std::islower(static_cast<unsigned char>(c));
    });
    if (!bracketed && !capitals) continue;
    if (Level l = parse_level_word(word); l != Level::Unknown) return l;
  }
  return Level::Unknown;
}

}  // namespace

Level parse_level_word(std::string_view word) {
  if (word.size() > 11) return Level::Unknown;
  std::string lower(word);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  for (const Word& w : kWords)
    if (w.text == lower) return w.level;
  return Level::Unknown;
}

Level detect_level(std::string_view text) {
  if (text.starts_with('{')) {
    for (std::string_view key : {"level", "severity", "lvl", "log.level", "loglevel"}) {
      if (Level l = parse_level_word(json_string_value(text, key)); l != Level::Unknown) return l;
    }
  }
  std::string_view head = text.substr(0, kHeadBytes);
  for (std::string_view key : {"level", "lvl", "severity"}) {
    if (Level l = parse_level_word(logfmt_value(head, key)); l != Level::Unknown) return l;
  }
  if (Level l = klog_level(text); l != Level::Unknown) return l;
  return prefix_level(head);
}

Level level_of(std::string_view text, Stream stream) {
  if (Level l = detect_level(text); l != Level::Unknown) return l;
  switch (stream) {
    case Stream::Stderr:
      return Level::Error;
    case Stream::Stdout:
      return Level::Info;
    case Stream::Unknown:
      break;
  }
  return Level::Unknown;
}

}  // namespace loupe::logs
