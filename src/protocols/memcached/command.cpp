#include "protocols/memcached/command.h"

#include <algorithm>
#include <array>
#include <charconv>

namespace loupe::memcached {
namespace {

// Data blocks larger than memcached's largest item size (1 GiB, -I) are not
// a plausible command: more likely bytes taken for a line by mistake.
constexpr uint64_t kMaxData = 1ull << 30;
constexpr size_t kMaxTokens = 24;

enum class Kind : uint8_t {
  Retrieval,  // get/gets <key>*; gat/gats <exptime> <key>*
  Storage,    // <cmd> <key> <flags> <exptime> <bytes> [noreply], then data
  Cas,        // cas <key> <flags> <exptime> <bytes> <cas> [noreply], then data
  Keyed,      // <cmd> <key> ... [noreply]: delete, incr, decr, touch
  Keyless,    // version, flush_all, verbosity...: one reply line
  Stats,      // lines then END, except "stats reset" and "stats detail on|off"
  MetaGet,    // mg <key> <flags>*
  MetaSet,    // ms <key> <datalen> <flags>*, then data
  Meta,       // md, ma, me <key> <flags>*
  NoOp,       // mn: "MN"
  Quit,
};

struct Spec {
  std::string_view word;
  Kind kind;
};

constexpr std::array<Spec, 30> kCommands{{
    {"get", Kind::Retrieval},     {"gets", Kind::Retrieval},
    {"gat", Kind::Retrieval},     {"gats", Kind::Retrieval},
    {"set", Kind::Storage},       {"add", Kind::Storage},
    {"replace", Kind::Storage},   {"append", Kind::Storage},
    {"prepend", Kind::Storage},   {"cas", Kind::Cas},
    {"delete", Kind::Keyed},      {"incr", Kind::Keyed},
    {"decr", Kind::Keyed},        {"touch", Kind::Keyed},
    {"version", Kind::Keyless},   {"flush_all", Kind::Keyless},
    {"verbosity", Kind::Keyless}, {"cache_memlimit", Kind::Keyless},
    {"shutdown", Kind::Keyless},  {"slabs", Kind::Keyless},
    {"lru", Kind::Keyless},       {"lru_crawler", Kind::Keyless},
    {"stats", Kind::Stats},       {"mg", Kind::MetaGet},
    {"ms", Kind::MetaSet},        {"md", Kind::Meta},
    {"ma", Kind::Meta},           {"me", Kind::Meta},
    {"mn", Kind::NoOp},           {"quit", Kind::Quit},
}};

const Spec* find(std::string_view word) {
  for (const auto& s : kCommands)
    if (s.word == word) return &s;
  return nullptr;
}

// Space-separated tokens; false when there are more than `out` holds.
bool split(std::string_view line, std::array<std::string_view, kMaxTokens>& out, size_t& n) {
  n = 0;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    if (i == line.size()) break;
    size_t j = std::min(line.find(' ', i), line.size());
    if (n == out.size()) return false;
    out[n++] = line.substr(i, j - i);
    i = j;
  }
  return true;
}

std::optional<uint64_t> number(std::string_view s) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<uint64_t> data_length(std::string_view s) {
  auto n = number(s);
  if (!n || *n > kMaxData) return std::nullopt;
  return n;
}

std::string upper(std::string_view w) {
  std::string s(w);
  for (char& c : s)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return s;
}

}  // namespace

bool is_command_word(std::string_view word, bool prefix) {
  return std::any_of(kCommands.begin(), kCommands.end(), [&](const Spec& s) {
    return prefix ? s.word.starts_with(word) : s.word == word;
  });
}

std::optional<Command> parse_command(std::string_view line) {
  for (char c : line)
    if (static_cast<unsigned char>(c) <= 0x20 && c != ' ') return std::nullopt;
  std::array<std::string_view, kMaxTokens> tok;
  size_t n = 0;
  if (!split(line, tok, n) || n == 0) return std::nullopt;
  const Spec* spec = find(tok[0]);
  if (!spec) return std::nullopt;
  Command cmd;
  cmd.method = upper(tok[0]);
  const bool noreply = n > 1 && tok[n - 1] == "noreply";
  auto take_key = [&](size_t i) {
    if (i >= n) return false;
    cmd.key.assign(tok[i].substr(0, kMaxKey));
    return true;
  };
  switch (spec->kind) {
    case Kind::Retrieval: {
      // gat/gats name the expiry first.
      size_t first = tok[0].starts_with("gat") ? 2 : 1;
      if (!take_key(first)) return std::nullopt;
      cmd.keys = static_cast<uint32_t>(n - first);
      cmd.lookup = true;
      cmd.shape = ReplyShape::Values;
      break;
    }
    case Kind::Storage:
    case Kind::Cas: {
      size_t need = spec->kind == Kind::Cas ? 6 : 5;
      if (n < need || n > need + 1 || !take_key(1) || !number(tok[2]) || !number(tok[3]))
        return std::nullopt;
      auto len = data_length(tok[4]);
      if (!len || (n == need + 1 && !noreply)) return std::nullopt;
      cmd.keys = 1;
      cmd.has_data = true;
      cmd.data_bytes = *len;
      cmd.shape = noreply ? ReplyShape::None : ReplyShape::Line;
      break;
    }
    case Kind::Keyed:
      if (!take_key(1)) return std::nullopt;
      cmd.keys = 1;
      cmd.lookup = true;
      cmd.shape = noreply ? ReplyShape::None : ReplyShape::Line;
      break;
    case Kind::Keyless:
      cmd.shape = noreply ? ReplyShape::None : ReplyShape::Line;
      break;
    case Kind::Stats: {
      bool one_line =
          n > 1 && (tok[1] == "reset" || (tok[1] == "detail" && n > 2 && tok[2] != "dump"));
      cmd.shape = one_line ? ReplyShape::Line : ReplyShape::UntilEnd;
      break;
    }
    case Kind::MetaGet:
    case Kind::MetaSet:
    case Kind::Meta: {
      if (!take_key(1)) return std::nullopt;
      cmd.keys = 1;
      size_t flags = 2;
      if (spec->kind == Kind::MetaSet) {
        auto len = n > 2 ? data_length(tok[2]) : std::nullopt;
        if (!len) return std::nullopt;
        cmd.has_data = true;
        cmd.data_bytes = *len;
        flags = 3;
      }
      cmd.lookup = spec->kind == Kind::MetaGet;
      cmd.shape = ReplyShape::Meta;
      for (size_t i = flags; i < n; ++i)
        if (tok[i] == "q") cmd.shape = ReplyShape::Quiet;
      break;
    }
    case Kind::NoOp:
      break;
    case Kind::Quit:
      cmd.shape = ReplyShape::Closes;
      break;
  }
  return cmd;
}

}  // namespace loupe::memcached
