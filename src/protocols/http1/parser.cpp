#include "protocols/http1/parser.h"

#include <algorithm>
#include <utility>

#include "core/utf8.h"
#include "protocols/http1/http1.h"
#include "protocols/http1/route_template.h"
#include "protocols/http1/trace_context.h"

// The handlers behind on_head and on_end (on_request_head,
// on_response_head, on_request_end, on_response_end, emit) are
// [[gnu::always_inline]] into them, as the reader's steps are into its
// feed (message_reader.cpp): fewer calls per message.
namespace loupe::http1 {

Parser::Parser(Role role)
    : role_(role),
      request_dir_(request_direction(role)),
      requests_(true, *this, stats_),
      responses_(false, *this, stats_) {}

void Parser::feed(const Segment& seg, std::vector<Record>& out) {
  if (finished_) return;
  uint64_t captured = seg.bytes.size();
  uint64_t gap = seg.length > captured ? seg.length - captured : 0;
  out_ = &out;
  (seg.dir == request_dir_ ? requests_ : responses_).feed(seg.bytes, gap, seg.ts_ns);
  out_ = nullptr;
}

void Parser::close(uint64_t /*ts_ns*/, std::vector<Record>& out) {
  // The close time is not the end of a close-delimited body: its last byte
  // arrived with the last segment, and that is what end_ns means.
  out_ = &out;
  if (!finished_) responses_.close();
  requests_.close();
  out_ = nullptr;
  stats_.unmatched += pending_.size();
  pending_.clear();
  open_request_seq_ = 0;
  interim_bytes_ = 0;
  interim_ = tunnel_ = h2c_ = false;
}

void Parser::restart(ParserStats& totals) {
  totals += stats_;
  stats_ = {};
  next_seq_ = 1;
  requests_.restart();
  responses_.restart();
}

std::unique_ptr<SuspendedExchanges> Parser::suspend(ParserStats& totals) {
  if (pending_.empty() || !between_messages()) return nullptr;
  // The requests leave in their own buffer: no copy, nothing allocated
  // but the small box.
  auto waiting = std::make_unique<WaitingRequests>();
  waiting->pending.swap(pending_);
  restart(totals);
  return waiting;
}

void Parser::resume(std::unique_ptr<SuspendedExchanges> waiting) {
  // Only an HTTP/1 parser's suspend() makes these (the contract).
  auto& requests = static_cast<WaitingRequests&>(*waiting);
  // Numbered as they were: the next request follows the last one.
  pending_.swap(requests.pending);
  next_seq_ = pending_.empty() ? 1 : pending_.back().seq + 1;
}

BodyPlan Parser::on_head(bool request, const Head& head, uint64_t start_ns) {
  return request ? on_request_head(head, start_ns) : on_response_head(head);
}

void Parser::on_end(bool request, uint64_t end_ns, uint64_t wire_bytes, bool /*complete*/) {
  // A message cut short still counts: its head was seen, and pairing must
  // stay in step with the other direction.
  if (request) {
    on_request_end(wire_bytes);
  } else {
    on_response_end(end_ns, wire_bytes);
  }
}

bool Parser::simple_response_next() const { return !pending_.empty() && pending_.front().simple; }

void Parser::on_tunnelled(bool request, std::string_view bytes) {
  if (!switch_ || request) return;
  std::string& kept = switch_->reply_bytes;
  kept.append(bytes.substr(0, kMaxSwitchBytes - std::min(kMaxSwitchBytes, kept.size())));
}

namespace {

// RFC 9112 3.2.2: with an absolute-form target the authority in it is the
// host, whatever the Host header says.
std::string_view absolute_form_authority(std::string_view target) {
  if (target.empty() || target[0] == '/') return {};  // origin-form (most targets): no scheme
  size_t sep = target.find("://");
  if (sep == std::string_view::npos || sep == 0) return {};
  for (char c : target.substr(0, sep))
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
          c == '-' || c == '.'))
      return {};
  std::string_view rest = target.substr(sep + 3);
  return rest.substr(0, rest.find_first_of("/?#"));
}

}  // namespace

[[gnu::always_inline]] inline BodyPlan Parser::on_request_head(const Head& head,
                                                               uint64_t start_ns) {
  if (pending_.size() >= kMaxPending) {
    pending_.erase(pending_.begin());
    ++stats_.unmatched;
  }
  Pending& p = pending_.emplace_back();
  p.seq = next_seq_++;
  p.start_ns = start_ns;
  p.head_method = head.method == "HEAD";
  p.connect = head.method == "CONNECT";
  p.simple = head.simple;
  p.upgrade_h2c = head.upgrade_h2c;
  p.method.assign(head.method);
  p.path.assign(utf8::cut(head.target, kMaxPath));
  std::string_view authority = absolute_form_authority(head.target);
  p.host.assign(utf8::cut(authority.empty() ? head.host : authority, kMaxHost));
  // A new entry's strings are empty: only a traceparent is read and copied.
  if (!head.traceparent.empty()) p.trace_id.assign(trace_id_from_traceparent(head.traceparent));
  open_request_seq_ = p.seq;

  BodyPlan plan;
  // After CONNECT or an Upgrade offer the client's next bytes may belong to
  // another protocol; ignore them until the response says what happened.
  plan.hold_after = p.connect || head.upgrade;
  if (head.chunked) {
    plan.framing = Framing::Chunked;
  } else if (head.has_length) {
    plan.framing = Framing::Length;
    plan.length = head.content_length;
  }
  return plan;
}

[[gnu::always_inline]] inline BodyPlan Parser::on_response_head(const Head& head) {
  status_ = head.status;
  interim_ = head.status >= 100 && head.status < 200 && head.status != 101;
  tunnel_ = h2c_ = false;
  const Pending* req = pending_.empty() ? nullptr : &pending_.front();
  // Pair now, not at the response's end: a request that shows up while the
  // response is still streaming cannot be the one it answers.
  response_for_ = req ? req->seq : 0;
  BodyPlan plan;
  if (interim_) return plan;
  if (head.status == 0) {  // HTTP/0.9: the body is all the server sends
    plan.framing = Framing::UntilClose;
  } else if (head.status == 101 || (req && req->connect && head.status / 100 == 2)) {
    tunnel_ = true;
    h2c_ = head.status == 101 && req && req->upgrade_h2c && head.upgrade_h2c;
    plan.framing = Framing::Tunnel;
  } else if ((req && req->head_method) || head.status == 204 || head.status == 304) {
    plan.framing = Framing::None;
  } else if (head.chunked) {
    plan.framing = Framing::Chunked;
  } else if (head.has_length) {
    plan.framing = Framing::Length;
    plan.length = head.content_length;
  } else {
    plan.framing = Framing::UntilClose;
  }
  return plan;
}

[[gnu::always_inline]] inline void Parser::on_request_end(uint64_t wire_bytes) {
  // The response may already have taken this request off the FIFO.
  if (!pending_.empty() && pending_.back().seq == open_request_seq_) {
    pending_.back().bytes = wire_bytes;
    pending_.back().complete = true;
  }
  open_request_seq_ = 0;
}

[[gnu::always_inline]] inline void Parser::on_response_end(uint64_t end_ns, uint64_t wire_bytes) {
  if (interim_) {
    interim_bytes_ += wire_bytes;
    return;
  }
  if (tunnel_) finished_ = true;  // whatever follows is not HTTP/1
  uint64_t resp_bytes = wire_bytes + interim_bytes_;
  interim_bytes_ = 0;
  if (pending_.empty() || pending_.front().seq != response_for_) {
    ++stats_.unmatched;
    return;
  }
  // Its record is made from it in place (its strings moved into the
  // record), then it leaves the FIFO.
  Pending& req = pending_.front();
  if (req.seq == open_request_seq_) {  // answered before its body ended
    req.bytes = requests_.message_bytes();
    open_request_seq_ = 0;
  }
  if (h2c_) {
    // The response to this request comes on HTTP/2 stream 1.
    switch_ = std::make_unique<ProtocolSwitch>(
        ProtocolSwitch{Protocol::Http2, request_dir_, make_record(req, end_ns, resp_bytes)});
  } else {
    emit(req, end_ns, resp_bytes);
  }
  // Its room is kept for the next request: a parser between exchanges
  // leaves its connection (ConnectionTracker parks it with a few spares of
  // its kind, or frees it), so 10k idle keep-alive connections hold no
  // such buffer, and an exchange needs no malloc and free (~300
  // instructions, docs/benchmarks.md "issue 14, tracejson2"; they were
  // there when connections kept their parsers, "agentrss2").
  pending_.erase(pending_.begin());
  if (!h2c_ && !finished_) requests_.resume();
}

[[gnu::always_inline]] inline void Parser::emit(Pending& req, uint64_t end_ns,
                                                uint64_t resp_bytes) {
  if (out_ == nullptr) return;
  // Built where it goes: a Record is 21 strings, each moved member by member.
  fill_record(out_->emplace_back(), req, end_ns, resp_bytes);
  ++stats_.records;
}

Record Parser::make_record(Pending& req, uint64_t end_ns, uint64_t resp_bytes) const {
  Record r;
  fill_record(r, req, end_ns, resp_bytes);
  return r;
}

void Parser::fill_record(Record& r, Pending& req, uint64_t end_ns, uint64_t resp_bytes) const {
  r.start_ns = req.start_ns;
  r.end_ns = end_ns;
  r.protocol = Protocol::Http1;
  r.role = role_;
  r.method = std::move(req.method);
  r.path = std::move(req.path);
  r.route = template_route(r.path);
  r.host = std::move(req.host);
  r.status = status_;
  r.error = status_ >= 500;
  r.trace_id = std::move(req.trace_id);
  r.req_bytes = req.bytes;
  r.resp_bytes = resp_bytes;
}

std::unique_ptr<ProtocolParser> make_parser(Role role) { return std::make_unique<Parser>(role); }

}  // namespace loupe::http1
