#include "protocols/mysql/parser.h"

#include <algorithm>

#include "protocols/mysql/mysql.h"
#include "protocols/mysql/packets.h"
#include "protocols/sql/wire.h"

namespace loupe::mysql {
namespace {

uint8_t byte0(std::string_view payload) {
  return payload.empty() ? 0 : static_cast<uint8_t>(payload[0]);
}
uint32_t payload_len(const sql::Frame& f) { return static_cast<uint32_t>(f.wire_len - 4); }

// 0xFE with a payload below 16 MiB can only be EOF/OK: a row starting with
// 0xFE would be a string of 2^24+ bytes, i.e. a split packet.
bool is_terminator(std::string_view payload, uint32_t len) {
  return byte0(payload) == 0xFE && len < kMaxPayload;
}
bool is_eof(std::string_view payload, uint32_t len) { return byte0(payload) == 0xFE && len < 9; }

}  // namespace

uint64_t Parser::Codec::message_length(const uint8_t* h) const {
  return uint64_t{sql::le24(h)} + 4;
}

uint64_t Parser::Codec::resync_length(const uint8_t* h) const {
  const uint32_t len = sql::le24(h);
  if (len == 0) return 0;  // empty packets end split payloads; too rare to anchor on
  if (request_ && h[3] == 0 && len == kMaxPayload) return 0;
  return uint64_t{len} + 4;
}

// Within one reply sequence ids count up; a new command restarts at 0.
bool Parser::Codec::may_follow(const uint8_t* prev, const uint8_t* next) const {
  const uint8_t expected = static_cast<uint8_t>(prev[3] + 1);
  return next[3] == expected || (request_ && next[3] == 0);
}

Parser::Parser(Role role, const sql::SqlOptions& opts) : WireParser(role), opts_(opts) {}

// A greeting comes from the server; anything else first is a command.
bool Parser::starts_with_request(const Segment& seg) const {
  const bool greeting = detect(seg.bytes, Direction::Ingress, Role::Client) == Detection::Match &&
                        seg.bytes.size() > 4 && seg.bytes[4] == 10;
  return !greeting;
}

// With no command outstanding only the greeting is expected.
bool Parser::unexpected_reply(const Segment& seg) const {
  return pending_.empty() && (phase_ == Phase::Unknown || phase_ == Phase::Command) &&
         detect(seg.bytes, Direction::Ingress, Role::Client) != Detection::Match;
}

void Parser::on_close() {
  finish_lost_reply();
  stats_.unmatched += pending_.size();
  pending_.clear();
}

// The end of a reply (the EOF/OK after the rows) can fall in an uncaptured
// tail: a server writes 16 KiB at a time, so the last write of a large
// result is often longer than the captured prefix. Framing is then lost and
// the terminator never seen. A client sends its next command only after
// the reply (one command in flight), so that command, or the close, ends
// the exchange: the reply ended with the last response segment. Its row
// count is unknown, so the record has no detail.
bool Parser::finish_lost_reply() {
  if (resp_stream_.synced() || pending_.size() != 1 || last_resp_ns_ < pending_.front().start_ns)
    return false;
  pending_.front().resp_bytes += resp_lost_ + resp_stream_.lost_bytes();
  resp_lost_ = 0;
  resp_continues_ = false;
  swallow_eof_ = false;
  resp_stream_.restart();
  finish(sql::Frame{{}, 0, last_resp_ns_, last_resp_ns_}, "");
  return true;
}

// --- requests ---------------------------------------------------------------

void Parser::on_request(const sql::Frame& f) {
  std::string_view payload = f.bytes.substr(4);
  const uint8_t seq = static_cast<uint8_t>(f.bytes[3]);
  const bool continuation = req_continues_;
  req_continues_ = payload_len(f) == kMaxPayload;
  if (continuation) {  // the rest of a >16 MiB command
    if (!pending_.empty()) pending_.back().req_bytes += f.wire_len;
    return;
  }
  // The handshake response has sequence id 1, or 2 after an SSL request.
  if (phase_ == Phase::Handshake && (seq == 1 || seq == 2)) {
    HandshakeResponse h;
    if (parse_handshake_response(payload, h)) {
      if (!h.database.empty()) database_ = h.database;
      if (greeting_seen_)
        eof_ = (h.capabilities & server_caps_ & kClientDeprecateEof) ? Eof::Deprecated : Eof::Sent;
      await_tls_ = h.ssl_request;
      compressed_ = greeting_seen_ && (h.capabilities & server_caps_ & kClientCompress);
    }
    if (!h.ssl_request) phase_ = Phase::Auth;
    return;
  }
  if (seq != 0) {
    // Auth data, LOCAL INFILE contents, or a packet of a command we did not
    // see begin: bytes belong to the command in flight, if any.
    if (phase_ == Phase::Command && !pending_.empty()) pending_.back().req_bytes += f.wire_len;
    return;
  }
  if (phase_ == Phase::Handshake || phase_ == Phase::Auth) phase_ = Phase::Command;
  if (phase_ == Phase::Unknown) phase_ = Phase::Command;
  finish_lost_reply();
  on_command(f, payload);
}

void Parser::on_command(const sql::Frame& f, std::string_view payload) {
  if (payload.empty()) return;
  const uint8_t cmd = byte0(payload);
  std::string_view args = payload.substr(1);
  Pending p;
  p.cmd = cmd;
  p.start_ns = f.start_ns;
  p.req_bytes = f.wire_len;
  switch (cmd) {
    case kComQuit:
    case kComStmtSendLongData:
      return;  // no reply
    case kComStmtClose:
      if (args.size() >= 4)
        statements_.erase(sql::le32(reinterpret_cast<const uint8_t*>(args.data())));
      return;  // no reply
    case kComBinlogDump:
    case kComBinlogDumpGtid:
      finished_ = true;  // a replication stream, not request/response
      return;
    case kComQuery:
      // MySQL 8 query attributes: parameter count and set count (0, 1).
      if (args.size() >= 2 && args[0] == 0 && args[1] == 1) args.remove_prefix(2);
      p.text = sql::keep_text(args);
      break;
    case kComStmtPrepare:
      p.text = sql::keep_text(args);
      break;
    case kComStmtExecute:
    case kComStmtFetch:
    case kComStmtReset:
      if (args.size() >= 4) {
        p.text = statements_.find(sql::le32(reinterpret_cast<const uint8_t*>(args.data())));
      }
      break;
    case kComInitDb:
      p.text = sql::keep_text(args.substr(0, 256));
      break;
    default:
      break;
  }
  if (pending_.size() >= kMaxPending) {
    pending_.pop_front();
    ++stats_.unmatched;
  }
  pending_.push_back(std::move(p));
}

// --- responses --------------------------------------------------------------

void Parser::finish(const sql::Frame& f, std::string detail, const std::string_view* err) {
  Pending& p = pending_.front();
  Record r;
  r.protocol = Protocol::Mysql;
  r.role = role_;
  r.start_ns = p.start_ns;
  r.end_ns = f.end_ns;
  r.req_bytes = p.req_bytes;
  r.resp_bytes = p.resp_bytes;
  const bool sql_text = p.cmd == kComQuery || p.cmd == kComStmtExecute;
  if (p.text && sql_text) {
    sql::fill_statement(r, *p.text, sql::Dialect::Mysql, opts_);
  } else {
    if (p.text && p.cmd == kComStmtPrepare)
      sql::fill_statement(r, *p.text, sql::Dialect::Mysql, opts_);
    if (p.text && p.cmd == kComInitDb) r.path = *p.text;
    r.method = command_name(p.cmd);
  }
  if (err) {
    ErrPacket e = parse_err(*err);
    r.error = true;
    r.error_code = std::to_string(e.code);
    r.error_message = std::move(e.message);
  } else if (p.cmd == kComInitDb && p.text) {
    database_ = *p.text;
  }
  r.host = database_;
  r.detail = std::move(detail);
  pending_.pop_front();
  out_->push_back(std::move(r));
  ++stats_.records;
}

// Rows lost in a gap: sequence ids say how many packets went by modulo 256,
// the average row size says roughly how many; together they give the count
// exactly for rows of similar size.
void Parser::account_gap(Pending& p, uint8_t seq) {
  const uint64_t lost = resp_lost_;
  resp_lost_ = 0;
  p.resp_bytes += lost;
  if (p.state != State::Rows || lost == 0) return;
  const uint64_t mod = static_cast<uint8_t>(seq - static_cast<uint8_t>(last_resp_seq_ + 1));
  uint64_t n = mod;
  if (p.seen_rows > 0 && p.row_wire > 0) {
    const uint64_t estimate = lost * p.seen_rows / p.row_wire;
    n = mod + ((estimate > mod ? estimate - mod + 128 : 0) / 256) * 256;
  }
  p.rows += n;
}

void Parser::on_response(const sql::Frame& f) {
  std::string_view payload = f.bytes.substr(4);
  const uint32_t len = payload_len(f);
  const uint8_t seq = static_cast<uint8_t>(f.bytes[3]);
  const bool continuation = resp_continues_;
  resp_continues_ = len == kMaxPayload;
  if (resp_lost_ > 0 && !pending_.empty()) account_gap(pending_.front(), seq);
  resp_lost_ = 0;
  last_resp_seq_ = seq;
  if (continuation) {
    if (!pending_.empty()) pending_.front().resp_bytes += f.wire_len;
    return;
  }
  if (seq == 0 && byte0(payload) == 10 && pending_.empty()) {  // server greeting
    Greeting g;
    if (parse_greeting(payload, g)) {
      server_caps_ = g.capabilities;
      greeting_seen_ = true;
      phase_ = Phase::Handshake;
    }
    return;
  }
  if (phase_ == Phase::Handshake || phase_ == Phase::Auth) {
    // OK or ERR ends authentication; auth switch (0xFE) and more-data
    // (0x01) packets continue it.
    if (byte0(payload) == 0x00 || byte0(payload) == 0xFF) phase_ = Phase::Command;
    // The compressed protocol starts after authentication; not decoded.
    if (phase_ == Phase::Command && compressed_) finished_ = true;
    return;
  }
  if (swallow_eof_) {
    swallow_eof_ = false;
    // A reply's first packet has sequence id 1; a trailing EOF never does.
    if (is_eof(payload, len) && seq != 1) {
      eof_ = Eof::Sent;
      return;
    }
  }
  if (pending_.empty()) {
    ++stats_.unmatched;  // reply to a command sent before capture began
    return;
  }
  Pending& p = pending_.front();
  p.resp_bytes += f.wire_len;
  on_reply(p, f, payload);
}

void Parser::on_reply(Pending& p, const sql::Frame& f, std::string_view payload) {
  const uint32_t len = payload_len(f);
  const uint8_t b0 = byte0(payload);
  switch (p.state) {
    case State::First: {
      if (b0 == 0xFF) return finish(f, "", &payload);
      if (b0 == 0x00 && p.cmd == kComStmtPrepare && payload.size() >= 9) {
        const auto* u = reinterpret_cast<const uint8_t*>(payload.data());
        statements_.put(sql::le32(u + 1), p.text);
        p.left = uint64_t{sql::le16(u + 5)} + sql::le16(u + 7);  // columns + params
        if (p.left == 0) return finish(f, "");
        p.state = State::PrepareDefs;
        return;
      }
      if (b0 == 0x00) {  // OK
        uint64_t affected = 0;
        const uint16_t status = terminator_status(payload, &affected);
        p.affected += affected;
        if (status & kStatusMoreResults) return;
        if (p.result_set) return finish(f, "rows=" + std::to_string(p.rows));
        if (p.cmd != kComQuery && p.cmd != kComStmtExecute) return finish(f, "");
        return finish(f, "affected=" + std::to_string(p.affected));
      }
      if (b0 == 0xFB && p.cmd == kComQuery) return;       // LOCAL INFILE: client sends, then OK/ERR
      if (b0 == 0xFE && p.cmd == kComChangeUser) return;  // auth switch
      const bool has_rows = p.cmd == kComQuery || p.cmd == kComStmtExecute;
      if (p.cmd == kComStmtFetch || p.cmd == kComFieldList) {
        p.state = State::Rows;
        p.result_set = true;
        return on_rows_packet(p, f, payload);
      }
      if (!has_rows || b0 == 0xFE) return finish(f, "");
      std::size_t pos = 0;
      uint64_t columns = 0;
      if (!read_lenenc(payload, pos, columns) || columns == 0) return finish(f, "");
      p.left = columns;
      p.result_set = true;
      p.state = State::Columns;
      // MariaDB with MARIADB_CLIENT_CACHE_METADATA: one more byte says
      // whether column definitions follow; 0 (prepared statements whose
      // metadata the client has) means none are sent.
      if (payload.size() == pos + 1 && payload[pos] == 0 && f.complete())
        p.state = State::AfterColumns;
      return;
    }
    case State::Columns:
      if (--p.left == 0) p.state = State::AfterColumns;
      return;
    case State::AfterColumns:
      if (eof_ != Eof::Deprecated && is_eof(payload, len)) {
        // plen 5 is the EOF separating definitions from rows; an OK that
        // ends an empty result set is longer (>= 7).
        if (eof_ == Eof::Unknown && len >= 7) {
          eof_ = Eof::Deprecated;
          p.state = State::Rows;
          return on_rows_packet(p, f, payload);
        }
        if (eof_ == Eof::Unknown) eof_ = Eof::Sent;
        p.state = State::Rows;
        // With a cursor the rows come later, through COM_STMT_FETCH.
        if (terminator_status(payload) & kStatusCursorExists) return finish(f, "rows=0");
        return;
      }
      if (eof_ == Eof::Unknown && b0 != 0xFF) eof_ = Eof::Deprecated;
      p.state = State::Rows;
      return on_rows_packet(p, f, payload);
    case State::Rows:
      return on_rows_packet(p, f, payload);
    case State::PrepareDefs:
      if (is_eof(payload, len)) return;  // separator between parameter and column groups
      if (--p.left > 0) return;
      if (eof_ == Eof::Unknown) swallow_eof_ = true;
      if (eof_ == Eof::Sent) {
        p.state = State::Rows;  // the trailing EOF ends it (counted as no rows)
        return;
      }
      return finish(f, "");
  }
}

void Parser::on_rows_packet(Pending& p, const sql::Frame& f, std::string_view payload) {
  const uint32_t len = payload_len(f);
  if (byte0(payload) == 0xFF) return finish(f, "rows=" + std::to_string(p.rows), &payload);
  if (is_terminator(payload, len)) {
    if (p.cmd == kComStmtPrepare) return finish(f, "");
    if (terminator_status(payload) & kStatusMoreResults) {
      p.state = State::First;  // another result set follows (CALL, multi-statement)
      return;
    }
    return finish(f, "rows=" + std::to_string(p.rows));
  }
  ++p.rows;
  ++p.seen_rows;
  p.row_wire += f.wire_len;
}

std::unique_ptr<ProtocolParser> make_parser(Role role, const sql::SqlOptions& opts) {
  return std::make_unique<Parser>(role, opts);
}

// Itself, the prepared-statement cache, the packets being reassembled, and
// the commands waiting for replies (their fixed part: texts are shared with
// the cache or cut to the record limits).
size_t Parser::memory_bytes() const {
  return sizeof(*this) + statements_.memory_bytes() + req_stream_.memory_bytes() +
         resp_stream_.memory_bytes() + pending_.size() * sizeof(Pending);
}

std::unique_ptr<ProtocolParser> make_parser(Role role) { return make_parser(role, {}); }

}  // namespace loupe::mysql
