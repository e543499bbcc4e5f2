#include "protocols/redis/command.h"

#include <algorithm>
#include <array>

#include "core/utf8.h"

namespace loupe::redis {
namespace {

// Commands whose first argument is a subcommand, so the pair names the
// command ("CLIENT SETNAME"). The flag says whether a key follows the
// subcommand (OBJECT ENCODING key).
struct Container {
  std::string_view name;
  bool keyed;
};
constexpr std::array<Container, 17> kContainers{{
    {"ACL", false},
    {"CLIENT", false},
    {"CLUSTER", false},
    {"COMMAND", false},
    {"CONFIG", false},
    {"DEBUG", false},
    {"FUNCTION", false},
    {"LATENCY", false},
    {"MEMORY", true},
    {"MODULE", false},
    {"OBJECT", true},
    {"PUBSUB", false},
    {"SCRIPT", false},
    {"SLOWLOG", false},
    {"XGROUP", true},
    {"XINFO", true},
    {"SENTINEL", false},
}};

// Commands whose first argument is not a key. Credentials (AUTH, HELLO) are
// here on purpose: their arguments must never reach a record.
constexpr std::array<std::string_view, 44> kKeyless{{
    "AUTH",       "BGREWRITEAOF", "BGSAVE",    "DBSIZE",       "DISCARD",   "ECHO",
    "EVAL",       "EVALSHA",      "EVAL_RO",   "EVALSHA_RO",   "EXEC",      "FAILOVER",
    "FCALL",      "FCALL_RO",     "FLUSHALL",  "FLUSHDB",      "HELLO",     "INFO",
    "KEYS",       "LASTSAVE",     "LOLWUT",    "MONITOR",      "MULTI",     "PING",
    "PSUBSCRIBE", "PSYNC",        "PUBLISH",   "PUNSUBSCRIBE", "QUIT",      "RANDOMKEY",
    "READONLY",   "READWRITE",    "REPLICAOF", "RESET",        "ROLE",      "SAVE",
    "SCAN",       "SELECT",       "SHUTDOWN",  "SLAVEOF",      "SUBSCRIBE", "SWAPDB",
    "TIME",       "UNSUBSCRIBE",
}};

// The names classify_command looks for besides the lists above (a
// connection's mode changes).
constexpr std::array<std::string_view, 6> kModeNames{
    {"SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "MONITOR", "SYNC", "PSYNC"}};

// Per length, a bit per first letter (A-Z) of the names in any of those
// lists: most commands (GET, SET, HSET...) start like none of them and
// are classified without comparing against each list (~10 compares a
// record, most of the classification's instructions).
using NameStarts = std::array<uint32_t, 33>;  // names longer than 32 never match
constexpr NameStarts name_starts() {
  NameStarts starts{};
  auto add = [&](std::string_view n) { starts[n.size()] |= uint32_t{1} << (n[0] - 'A'); };
  for (const Container& c : kContainers) add(c.name);
  for (std::string_view n : kKeyless) add(n);
  for (std::string_view n : kModeNames) add(n);
  return starts;
}
constexpr NameStarts kNameStarts = name_starts();

// Whether `upper` (a command name made upper case) may be one of the
// listed names.
bool may_be_listed(std::string_view upper) {
  return !upper.empty() && upper.size() < kNameStarts.size() && upper[0] >= 'A' &&
         upper[0] <= 'Z' && ((kNameStarts[upper.size()] >> (upper[0] - 'A')) & 1) != 0;
}

void append_upper(std::string& out, std::string_view s, size_t max) {
  for (char c : s.substr(0, max)) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    out.push_back(c >= 0x21 && c < 0x7F ? c : '?');
  }
}

bool equals_upper(std::string_view a, std::string_view upper) {
  return a.size() == upper.size() &&
         std::equal(a.begin(), a.end(), upper.begin(), [](char x, char u) {
           return (x >= 'a' && x <= 'z' ? static_cast<char>(x - 'a' + 'A') : x) == u;
         });
}

bool is_word(std::string_view s) {
  return !s.empty() && s.size() <= 32 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
  });
}

}  // namespace

const std::array<std::string_view, 30> kInlineCommands{{
    "PING",   "QUIT",   "INFO",      "AUTH",    "SELECT",   "ECHO",    "GET",   "SET",
    "DEL",    "EXISTS", "KEYS",      "DBSIZE",  "FLUSHALL", "FLUSHDB", "HELLO", "MONITOR",
    "CLIENT", "CONFIG", "COMMAND",   "TIME",    "ROLE",     "INCR",    "TTL",   "TYPE",
    "SCAN",   "MGET",   "SUBSCRIBE", "PUBLISH", "SHUTDOWN", "LRANGE",
}};

bool is_inline_command(std::string_view word) {
  return std::any_of(kInlineCommands.begin(), kInlineCommands.end(),
                     [&](std::string_view k) { return equals_upper(word, k); });
}

Command classify_command(const RespMessage& msg) {
  Command cmd;
  if (msg.nargs == 0) return cmd;
  std::string_view name = msg.args[0];
  append_upper(cmd.method, name, 32);
  if (!may_be_listed(cmd.method)) {  // a keyed command (the first argument), mode unchanged
    if (msg.nargs > 1) cmd.key.assign(utf8::cut(msg.args[1], kMaxKeyLength));
    return cmd;
  }

  size_t key_index = 1;
  for (const auto& c : kContainers) {
    if (!equals_upper(name, c.name)) continue;
    if (msg.nargs >= 2 && is_word(msg.args[1])) {
      cmd.method.push_back(' ');
      append_upper(cmd.method, msg.args[1], 32);
    }
    key_index = c.keyed ? 2 : RespMessage::kMaxArgs;
    break;
  }
  if (key_index == 1 && std::any_of(kKeyless.begin(), kKeyless.end(),
                                    [&](std::string_view k) { return equals_upper(name, k); }))
    key_index = RespMessage::kMaxArgs;
  if (key_index < msg.nargs) cmd.key.assign(utf8::cut(msg.args[key_index], kMaxKeyLength));

  const std::string& m = cmd.method;
  if (m == "SUBSCRIBE" || m == "PSUBSCRIBE" || m == "SSUBSCRIBE" || m == "MONITOR") {
    cmd.kind = CommandKind::ModeSwitch;
  } else if (m == "SYNC" || m == "PSYNC") {
    cmd.kind = CommandKind::NoReplies;  // the replica stream is not request/response
  } else if (m == "CLIENT REPLY" && msg.nargs >= 3 &&
             (equals_upper(msg.args[2], "OFF") || equals_upper(msg.args[2], "SKIP"))) {
    cmd.kind = CommandKind::NoReplies;
  }
  return cmd;
}

}  // namespace loupe::redis
