// MySQL protocol constants and decoding of the packets the parser reads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace loupe::mysql {

// Capability flags (only those that change framing or field layout).
inline constexpr uint32_t kClientConnectWithDb = 0x00000008;
inline constexpr uint32_t kClientCompress = 0x00000020;
inline constexpr uint32_t kClientProtocol41 = 0x00000200;
inline constexpr uint32_t kClientSsl = 0x00000800;
inline constexpr uint32_t kClientSecureConnection = 0x00008000;
inline constexpr uint32_t kClientPluginAuthLenencData = 0x00200000;
inline constexpr uint32_t kClientDeprecateEof = 0x01000000;

// Server status flags.
inline constexpr uint16_t kStatusMoreResults = 0x0008;
inline constexpr uint16_t kStatusCursorExists = 0x0040;

// Payload length that means "continued in the next packet".
inline constexpr uint32_t kMaxPayload = 0xFFFFFF;

enum Command : uint8_t {
  kComQuit = 0x01,
  kComInitDb = 0x02,
  kComQuery = 0x03,
  kComFieldList = 0x04,
  kComStatistics = 0x09,
  kComPing = 0x0e,
  kComChangeUser = 0x11,
  kComBinlogDump = 0x12,
  kComStmtPrepare = 0x16,
  kComStmtExecute = 0x17,
  kComStmtSendLongData = 0x18,
  kComStmtClose = 0x19,
  kComStmtReset = 0x1a,
  kComStmtFetch = 0x1c,
  kComBinlogDumpGtid = 0x1e,
};

// "QUERY", "PING", "STMT_PREPARE"...; "COM_0xNN" for unknown bytes.
std::string command_name(uint8_t cmd);

// Length-encoded integer at `pos` of `s`; advances `pos`. False when cut.
bool read_lenenc(std::string_view s, std::size_t& pos, uint64_t& value);

struct Greeting {
  uint32_t capabilities = 0;
};
// `payload` starts with the protocol version byte (10).
bool parse_greeting(std::string_view payload, Greeting& g);

struct HandshakeResponse {
  uint32_t capabilities = 0;
  bool ssl_request = false;  // the short packet that precedes a TLS handshake
  std::string database;
};
bool parse_handshake_response(std::string_view payload, HandshakeResponse& h);

struct ErrPacket {
  uint16_t code = 0;
  std::string message;
};
// `payload` starts with 0xFF.
ErrPacket parse_err(std::string_view payload);

// Status flags of an EOF (0xFE, payload < 9) or OK (0x00/0xFE) packet, and
// the affected-rows count of an OK packet.
uint16_t terminator_status(std::string_view payload, uint64_t* affected = nullptr);

}  // namespace loupe::mysql
