#include "protocols/postgres/parser.h"

#include <algorithm>

#include "protocols/postgres/codes.h"
#include "protocols/postgres/messages.h"
#include "protocols/postgres/postgres.h"
#include "protocols/sql/wire.h"

namespace loupe::postgres {

Parser::Parser(Role role, const sql::SqlOptions& opts) : WireParser(role), opts_(opts) {}

// Whoever sends frontend-looking bytes first is the client.
bool Parser::starts_with_request(const Segment& seg) const {
  return detect(seg.bytes, Direction::Egress, Role::Client) != Detection::NoMatch;
}

// Outside startup and with nothing outstanding only an Authentication
// ('R') message is expected.
bool Parser::unexpected_reply(const Segment& seg) const {
  return pending_.empty() && held_.empty() && !in_startup_ && !answer_pending_ &&
         (seg.bytes.empty() || seg.bytes[0] != 'R');
}

void Parser::on_close() {
  finish_lost_reply();
  flush_held(0, 0, 0);
  stats_.unmatched += pending_.size();
  pending_.clear();
}

// --- requests ---------------------------------------------------------------

void Parser::on_untyped_request(const sql::Frame& f) {
  if (f.bytes.size() < 8) return;
  const uint32_t code = sql::be32(reinterpret_cast<const uint8_t*>(f.bytes.data()) + 4);
  if (code == kSslRequest || code == kGssEncRequest) {
    answer_pending_ = true;
  } else if (is_startup_code(code)) {
    database_ = startup_database(f.bytes.substr(8));
    in_startup_ = true;
  }
  // CancelRequest travels on its own connection and gets no reply.
}

void Parser::push(Pending p) {
  if (pending_.size() >= kMaxPending) {
    pending_.pop_front();
    ++stats_.unmatched;
  }
  pending_.push_back(std::move(p));
}

// Parse/Bind/Describe/Close: their bytes and the earliest start accrue to
// the batch the next Execute reports.
void Parser::take_batch(Pending& p, const sql::Frame& f) {
  if (!batch_open_) {
    batch_open_ = true;
    batch_start_ns_ = f.start_ns;
    batch_bytes_ = 0;
  }
  batch_bytes_ += f.wire_len;
  p.start_ns = f.start_ns;
  p.req_bytes = f.wire_len;
}

void Parser::on_request(const sql::Frame& f) {
  if (f.bytes.empty()) return;
  if (f.bytes[0] == 0) return on_untyped_request(f);
  const char type = f.bytes[0];
  std::string_view body = f.bytes.substr(std::min<std::size_t>(5, f.bytes.size()));
  std::size_t pos = 0;
  // COPY data and password messages can come while a reply is in flight;
  // any other message after a simple Query means its reply has ended.
  if (type != 'd' && type != 'c' && type != 'f' && type != 'p') finish_lost_reply();
  // After an error the server ignores extended-protocol messages up to Sync.
  if (skipping_to_sync_ && type != 'S' && type != 'Q') return;
  switch (type) {
    case 'Q':
      push({Kind::Query, sql::keep_text(sql::read_cstr(body, pos)), f.start_ns, f.wire_len});
      break;
    case 'F':  // FunctionCall: answered like a simple query, no text
      push({Kind::Query, nullptr, f.start_ns, f.wire_len});
      break;
    case 'P': {
      std::string name(sql::read_cstr(body, pos));
      auto text = sql::keep_text(sql::read_cstr(body, pos));
      statements_.put(std::move(name), text);
      Pending p{Kind::Parse, std::move(text)};
      take_batch(p, f);
      push(std::move(p));
      break;
    }
    case 'B': {
      std::string portal(sql::read_cstr(body, pos));
      Text text = statements_.find(std::string(sql::read_cstr(body, pos)));
      portals_.put(std::move(portal), text);
      Pending p{Kind::Bind, std::move(text)};
      take_batch(p, f);
      push(std::move(p));
      break;
    }
    case 'D':
    case 'C': {
      const char what = body.empty() ? 'S' : body[0];
      pos = 1;
      std::string name(sql::read_cstr(body, pos));
      auto& cache = what == 'P' ? portals_ : statements_;
      Pending p{type == 'D' ? Kind::Describe : Kind::Close, cache.find(name)};
      if (type == 'C') cache.erase(name);
      take_batch(p, f);
      push(std::move(p));
      break;
    }
    case 'E': {
      Pending p{Kind::Execute, portals_.find(std::string(sql::read_cstr(body, pos)))};
      take_batch(p, f);
      p.start_ns = batch_start_ns_;
      p.req_bytes = batch_bytes_;
      batch_open_ = false;
      push(std::move(p));
      break;
    }
    case 'S': {
      skipping_to_sync_ = false;
      Pending p{Kind::Sync, nullptr};
      take_batch(p, f);
      p.req_bytes = batch_bytes_;  // leftovers (e.g. a Flush) go with the Sync
      batch_open_ = false;
      push(std::move(p));
      break;
    }
    case 'H':  // Flush: no reply of its own
      if (!batch_open_) {
        batch_open_ = true;
        batch_start_ns_ = f.start_ns;
        batch_bytes_ = 0;
      }
      batch_bytes_ += f.wire_len;
      break;
    case 'd':
    case 'c':
    case 'f':  // COPY FROM STDIN data belongs to the query that started it
      if (!pending_.empty()) pending_.front().req_bytes += f.wire_len;
      break;
    default:  // 'p' (password/SASL), 'X' (terminate): not requests
      break;
  }
}

// --- responses --------------------------------------------------------------

Record Parser::new_record(const Pending& p, uint64_t end_ns) {
  Record r;
  r.protocol = Protocol::Postgres;
  r.role = role_;
  r.host = database_;
  r.start_ns = p.start_ns;
  r.end_ns = end_ns;
  r.req_bytes = p.req_bytes;
  if (p.text) {
    sql::fill_statement(r, *p.text, sql::Dialect::Postgres, opts_);
  } else {
    // Statement prepared before capture began, or a function call.
    r.method = p.kind == Kind::Query ? "FUNCTION_CALL" : "EXECUTE";
  }
  return r;
}

void Parser::hold(Record r) {
  if (held_.size() >= kMaxHeld) {
    out_->push_back(std::move(held_.front()));
    ++stats_.records;
    held_.erase(held_.begin());
  }
  held_.push_back(std::move(r));
}

void Parser::flush_held(uint64_t end_ns, uint64_t extra_req, uint64_t extra_resp) {
  if (held_.empty()) return;
  held_.back().req_bytes += extra_req;
  held_.back().resp_bytes += extra_resp;
  for (auto& r : held_) {
    if (end_ns != 0) r.end_ns = std::max(end_ns, r.start_ns);
    out_->push_back(std::move(r));
    ++stats_.records;
  }
  held_.clear();
}

void Parser::finish_execute(const sql::Frame& f, std::string_view tag) {
  Record r = new_record(pending_.front(), f.end_ns);
  r.detail = std::string(tag.substr(0, 64));
  r.resp_bytes = resp_acc_;
  resp_acc_ = 0;
  pending_.pop_front();
  hold(std::move(r));
}

void Parser::on_error(const sql::Frame& f) {
  if (in_startup_ || pending_.empty()) return;  // auth failure, or reply to an unseen request
  resp_acc_ += f.wire_len;
  ErrorFields e = parse_error(f.bytes.substr(std::min<std::size_t>(5, f.bytes.size())));
  const Kind front = pending_.front().kind;
  if (front == Kind::Query) {  // ReadyForQuery follows and closes the record
    query_.error = true;
    query_.error_code = std::move(e.sqlstate);
    query_.error_message = std::move(e.message);
    return;
  }
  if (front == Kind::Sync) {  // e.g. a deferred constraint failing at commit
    if (!held_.empty()) {
      held_.back().error = true;
      held_.back().error_code = std::move(e.sqlstate);
      held_.back().error_message = std::move(e.message);
    }
    return;
  }
  // Extended protocol: the failing message is at the front and the server
  // skips everything up to Sync. One record reports the error; if the batch
  // had an Execute, its start and bytes describe the batch best.
  Pending failed = std::move(pending_.front());
  pending_.pop_front();
  while (!pending_.empty() && pending_.front().kind != Kind::Sync &&
         pending_.front().kind != Kind::Query) {
    if (pending_.front().kind == Kind::Execute && failed.kind != Kind::Execute) {
      failed.start_ns = std::min(failed.start_ns, pending_.front().start_ns);
      failed.req_bytes = pending_.front().req_bytes;
      if (!failed.text) failed.text = pending_.front().text;
    }
    pending_.pop_front();
  }
  if (pending_.empty()) skipping_to_sync_ = true;
  Record r = new_record(failed, f.end_ns);
  r.error = true;
  r.error_code = std::move(e.sqlstate);
  r.error_message = std::move(e.message);
  r.resp_bytes = resp_acc_;
  resp_acc_ = 0;
  hold(std::move(r));
}

void Parser::on_ready(const sql::Frame& f) {
  if (in_startup_) {  // end of startup/authentication: not a query
    in_startup_ = false;
    resp_acc_ = 0;
    return;
  }
  resp_acc_ += f.wire_len;
  // Entries that cannot be answered by ReadyForQuery were requests whose
  // replies we missed (capture began mid-exchange).
  while (!pending_.empty() && pending_.front().kind != Kind::Query &&
         pending_.front().kind != Kind::Sync) {
    pending_.pop_front();
    ++stats_.unmatched;
  }
  if (pending_.empty()) {
    ++stats_.unmatched;
    flush_held(f.end_ns, 0, resp_acc_);
    resp_acc_ = 0;
    return;
  }
  Pending p = std::move(pending_.front());
  pending_.pop_front();
  if (p.kind == Kind::Sync) {
    flush_held(f.end_ns, p.req_bytes, resp_acc_);
    resp_acc_ = 0;
    return;
  }
  flush_held(0, 0, 0);
  Record r = new_record(p, f.end_ns);
  r.detail = std::move(query_.detail);
  r.error = query_.error;
  r.error_code = std::move(query_.error_code);
  r.error_message = std::move(query_.error_message);
  r.resp_bytes = resp_acc_;
  resp_acc_ = 0;
  query_ = Record{};
  out_->push_back(std::move(r));
  ++stats_.records;
}

// The end of a simple query's reply (CommandComplete, ReadyForQuery) can
// fall in an uncaptured tail: a server flushes 8 KiB at a time, so the last
// write of a large result is often longer than the captured prefix. Framing
// is then lost and ReadyForQuery never seen. A client sends nothing more on
// the connection before ReadyForQuery (a simple Query is not pipelined), so
// its next message, or the close, ends the exchange: the reply ended with
// the last response segment.
bool Parser::finish_lost_reply() {
  if (resp_stream_.synced() || pending_.size() != 1 || pending_.front().kind != Kind::Query ||
      last_resp_ns_ < pending_.front().start_ns)
    return false;
  Record r = new_record(pending_.front(), last_resp_ns_);
  r.detail = std::move(query_.detail);
  r.error = query_.error;
  r.error_code = std::move(query_.error_code);
  r.error_message = std::move(query_.error_message);
  r.resp_bytes = resp_acc_ + resp_stream_.lost_bytes();
  resp_acc_ = 0;
  query_ = Record{};
  pending_.pop_front();
  resp_stream_.restart();
  out_->push_back(std::move(r));
  ++stats_.records;
  return true;
}

void Parser::on_response(const sql::Frame& f) {
  if (f.bytes.empty()) return;
  const char type = f.bytes[0];
  if (answer_pending_ && f.wire_len == 1) {  // 'S'/'G': encryption accepted, 'N': refused
    answer_pending_ = false;
    await_tls_ = type != 'N';
    return;
  }
  switch (type) {
    case 'Z':
      return on_ready(f);
    case 'E':
      return on_error(f);
    case 'R':
    case 'S':
    case 'K':
    case 'v':
    case 'N':
    case 'A':
      // Authentication, ParameterStatus, BackendKeyData, notices: never a
      // reply of their own, but on the wire while a query runs.
      if (!pending_.empty() && !in_startup_) resp_acc_ += f.wire_len;
      return;
    default:
      break;
  }
  if (pending_.empty() || in_startup_) return;
  resp_acc_ += f.wire_len;
  const Kind front = pending_.front().kind;
  std::string_view tag;
  switch (type) {
    case '1':
      if (front == Kind::Parse) pending_.pop_front();
      break;
    case '2':
      if (front == Kind::Bind) pending_.pop_front();
      break;
    case '3':
      if (front == Kind::Close) pending_.pop_front();
      break;
    case 'n':
      if (front == Kind::Describe) pending_.pop_front();
      break;
    case 'T':
      if (front == Kind::Describe) pending_.pop_front();
      break;
    case 'C': {
      std::size_t pos = 5;
      tag = sql::read_cstr(f.bytes, pos);
      if (front == Kind::Query) query_.detail = std::string(tag.substr(0, 64));
      if (front == Kind::Execute) finish_execute(f, tag);
      break;
    }
    case 'I':
      if (front == Kind::Execute) finish_execute(f, "");
      break;
    case 's':
      if (front == Kind::Execute) finish_execute(f, "suspended");
      break;
    default:
      break;  // DataRow, ParameterDescription, COPY: part of the reply
  }
}

std::unique_ptr<ProtocolParser> make_parser(Role role, const sql::SqlOptions& opts) {
  return std::make_unique<Parser>(role, opts);
}

// Itself, the statement and portal caches, the messages being reassembled,
// and the requests and records waiting for replies (their fixed part: the
// texts are shared with the caches or cut to the record limits).
size_t Parser::memory_bytes() const {
  return sizeof(*this) + statements_.memory_bytes() + portals_.memory_bytes() +
         req_stream_.memory_bytes() + resp_stream_.memory_bytes() +
         pending_.size() * sizeof(Pending) + held_.size() * sizeof(Record);
}

std::unique_ptr<ProtocolParser> make_parser(Role role) { return make_parser(role, {}); }

}  // namespace loupe::postgres
