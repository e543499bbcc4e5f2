// NATS protocol lines: which operation, its subject, and the size of the
// payload that follows it.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace loupe::nats {

enum class Op : uint8_t { Info, Connect, Pub, Hpub, Sub, Unsub, Msg, Hmsg, Ping, Pong, Ok, Err };

// Views into the parsed line.
struct Operation {
  Op op = Op::Ping;
  std::string_view subject;  // PUB, HPUB, MSG, HMSG, SUB
  std::string_view sid;      // SUB, UNSUB, MSG, HMSG
  std::string_view queue;    // SUB with a queue group
  std::string_view text;     // -ERR, without its quotes
  uint64_t payload = 0;      // bytes after the line (headers + payload), without CRLF
  bool has_payload = false;  // PUB, HPUB, MSG, HMSG
};

// Parses a protocol line (without CRLF); nullopt when it is not one.
// Operation names are case-insensitive, as the server reads them.
std::optional<Operation> parse_operation(std::string_view line);

// True for the operations a client sends (the others come from the server).
bool from_client(Op op);

// The operation's name as a record method: PUB, HPUB, MSG, HMSG, SUB...
std::string_view name(Op op);

}  // namespace loupe::nats
