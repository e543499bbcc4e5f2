#include "protocols/mysql/packets.h"

#include <cstdio>

#include "core/utf8.h"
#include "protocols/sql/wire.h"

namespace loupe::mysql {

namespace {
const uint8_t* u8(std::string_view s) { return reinterpret_cast<const uint8_t*>(s.data()); }
}  // namespace

std::string command_name(uint8_t cmd) {
  static constexpr std::string_view kNames[] = {"SLEEP",
                                                "QUIT",
                                                "INIT_DB",
                                                "QUERY",
                                                "FIELD_LIST",
                                                "CREATE_DB",
                                                "DROP_DB",
                                                "REFRESH",
                                                "SHUTDOWN",
                                                "STATISTICS",
                                                "PROCESS_INFO",
                                                "CONNECT",
                                                "PROCESS_KILL",
                                                "DEBUG",
                                                "PING",
                                                "TIME",
                                                "DELAYED_INSERT",
                                                "CHANGE_USER",
                                                "BINLOG_DUMP",
                                                "TABLE_DUMP",
                                                "CONNECT_OUT",
                                                "REGISTER_SLAVE",
                                                "STMT_PREPARE",
                                                "STMT_EXECUTE",
                                                "STMT_SEND_LONG_DATA",
                                                "STMT_CLOSE",
                                                "STMT_RESET",
                                                "SET_OPTION",
                                                "STMT_FETCH",
                                                "DAEMON",
                                                "BINLOG_DUMP_GTID",
                                                "RESET_CONNECTION"};
  if (cmd < std::size(kNames)) return std::string(kNames[cmd]);
  char buf[16];
  std::snprintf(buf, sizeof buf, "COM_0x%02X", cmd);
  return buf;
}

bool read_lenenc(std::string_view s, std::size_t& pos, uint64_t& value) {
  if (pos >= s.size()) return false;
  const uint8_t first = static_cast<uint8_t>(s[pos]);
  std::size_t n = 0;
  if (first < 0xFB) {
    value = first;
    pos += 1;
    return true;
  }
  if (first == 0xFC)
    n = 2;
  else if (first == 0xFD)
    n = 3;
  else if (first == 0xFE)
    n = 8;
  else
    return false;  // 0xFB (NULL) or 0xFF: not an integer
  if (pos + 1 + n > s.size()) return false;
  value = 0;
  for (std::size_t i = 0; i < n; ++i) value |= uint64_t{u8(s)[pos + 1 + i]} << (8 * i);
  pos += 1 + n;
  return true;
}

bool parse_greeting(std::string_view p, Greeting& g) {
  if (p.empty() || p[0] != 10) return false;
  std::size_t pos = 1;
  sql::read_cstr(p, pos);  // server version
  pos += 4 + 8 + 1;        // connection id, auth data part 1, filler
  if (pos + 2 > p.size()) return false;
  g.capabilities = sql::le16(u8(p) + pos);
  pos += 2 + 1 + 2;  // charset, status
  if (pos + 2 <= p.size()) g.capabilities |= uint32_t{sql::le16(u8(p) + pos)} << 16;
  return true;
}

bool parse_handshake_response(std::string_view p, HandshakeResponse& h) {
  if (p.size() < 4) return false;
  h.capabilities = sql::le32(u8(p));
  if (!(h.capabilities & kClientProtocol41)) {
    h.capabilities &= 0xFFFF;  // pre-4.1: 2-byte flags, 3-byte max packet, user, auth
    return true;
  }
  if (p.size() <= 32) {
    h.ssl_request = (h.capabilities & kClientSsl) != 0;
    return true;
  }
  std::size_t pos = 32;    // flags 4, max packet 4, charset 1, filler 23
  sql::read_cstr(p, pos);  // user name
  if (h.capabilities & kClientPluginAuthLenencData) {
    uint64_t n = 0;
    if (!read_lenenc(p, pos, n)) return true;
    pos += n;
  } else if (h.capabilities & kClientSecureConnection) {
    if (pos >= p.size()) return true;
    pos += 1 + static_cast<uint8_t>(p[pos]);
  } else {
    sql::read_cstr(p, pos);
  }
  if ((h.capabilities & kClientConnectWithDb) && pos < p.size())
    h.database = std::string(sql::read_cstr(p, pos).substr(0, 256));
  return true;
}

ErrPacket parse_err(std::string_view p) {
  ErrPacket e;
  if (p.size() >= 3) e.code = sql::le16(u8(p) + 1);
  std::size_t msg = 3;
  if (p.size() >= 9 && p[3] == '#') msg = 9;  // '#' + 5-char SQLSTATE
  if (msg < p.size()) e.message = std::string(utf8::cut(p.substr(msg), 1024));
  return e;
}

uint16_t terminator_status(std::string_view p, uint64_t* affected) {
  if (p.size() == 5 && static_cast<uint8_t>(p[0]) == 0xFE)  // EOF: warnings, status
    return sql::le16(u8(p) + 3);
  std::size_t pos = 1;
  uint64_t rows = 0, insert_id = 0;
  if (!read_lenenc(p, pos, rows) || !read_lenenc(p, pos, insert_id)) return 0;
  if (affected) *affected = rows;
  return pos + 2 <= p.size() ? sql::le16(u8(p) + pos) : 0;
}

}  // namespace loupe::mysql
