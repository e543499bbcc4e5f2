// Memcached request lines: which command, which key, how its reply is
// framed and what its record's detail says.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace loupe::memcached {

enum class ReplyShape : uint8_t {
  Line,      // one line (STORED, DELETED, a number, an error...)
  Values,    // VALUE blocks, then END (get, gets, gat, gats)
  UntilEnd,  // lines, then END (stats)
  Meta,      // one line; "VA <n> ..." is followed by a data block (mg, ma)
  None,      // noreply: the server sends nothing
  Quiet,     // meta q flag: replies only on some outcomes; pairing is lost
  Closes,    // quit: the server closes the connection, no reply, no record
};

struct Command {
  std::string method;       // upper case: GET, SET, MG...
  std::string key;          // first key, cut to kMaxKey
  uint32_t keys = 0;        // keys named (multi-get)
  uint64_t data_bytes = 0;  // data block after the line (storage, ms), without CRLF
  bool has_data = false;
  // The detail says hit/miss (the key was found or not) rather than the
  // reply's word: memcached's own get/delete/incr/decr/touch hit counters.
  bool lookup = false;
  ReplyShape shape = ReplyShape::Line;
};

inline constexpr size_t kMaxKey = 250;  // memcached's own key limit

// Parses a request line (without CRLF); nullopt when it is not a command.
// Memcached command words are lower case and case-sensitive.
std::optional<Command> parse_command(std::string_view line);

// True when `word` is a command name or, with `prefix`, the start of one.
bool is_command_word(std::string_view word, bool prefix = false);

}  // namespace loupe::memcached
