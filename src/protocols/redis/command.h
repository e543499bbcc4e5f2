// What a Redis command means for a record: its name, its key, and whether
// it changes how the connection talks (subscribe, monitor, reply off).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "protocols/redis/resp_reader.h"

namespace loupe::redis {

enum class CommandKind : uint8_t {
  Normal,
  // The reply to this command is the last one we can match: after it the
  // server pushes messages that answer no request (SUBSCRIBE, MONITOR).
  ModeSwitch,
  // Replies stop matching requests at once (CLIENT REPLY OFF/SKIP, SYNC).
  NoReplies,
};

struct Command {
  std::string method;  // upper case; container commands as two words ("CONFIG GET")
  std::string key;     // first key argument, empty for keyless commands
  CommandKind kind = CommandKind::Normal;
};

// Builds the command from the captured arguments of a request message.
// Arguments other than the key are never copied.
Command classify_command(const RespMessage& msg);

// Commands people type inline (telnet, health checks). A bare "WORD\r\n"
// line is common to many protocols, so only these start an inline session.
extern const std::array<std::string_view, 30> kInlineCommands;
bool is_inline_command(std::string_view word);  // case-insensitive

inline constexpr size_t kMaxMethodLength = 40;
inline constexpr size_t kMaxKeyLength = 256;

}  // namespace loupe::redis
