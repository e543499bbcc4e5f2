// The NATS connection parser. NATS is not request/response: a record is a
// message published (PUB, HPUB) or delivered (MSG, HMSG), a subscription
// (SUB, UNSUB), a PING answered by a PONG, or an -ERR. Payloads are never
// stored: they are counted and skipped.
#include <algorithm>
#include <deque>
#include <optional>
#include <string>

#include "core/utf8.h"
#include "protocols/line_framing.h"
#include "protocols/nats/nats.h"
#include "protocols/nats/operation.h"

namespace loupe::nats {
namespace {

// Above the longest control line nats-server accepts (4 KiB) and most INFO
// and CONNECT lines (JWT credentials included); bounds what a connection holds.
constexpr size_t kMaxLine = 8192;
constexpr size_t kMaxSubject = 256;
constexpr size_t kMaxErrorMessage = 256;
constexpr size_t kMaxSubscriptions = 1024;  // sid -> subject, for UNSUB
constexpr size_t kMaxPings = 16;            // per side, waiting for a PONG

// One direction of the connection: its lines and payloads (skip: payload
// bytes, with CRLF, still to skip; bytes: wire bytes of the operation in
// progress), and what it waits for.
struct Side : LineFraming {
  std::optional<Record> message;  // PUB/HPUB/MSG/HMSG whose payload is being read
  std::deque<uint64_t> pings;     // PINGs this side sent, waiting for a PONG
};

// Subjects carrying a request's unique inbox or numeric ids would make one
// endpoint per message: "_INBOX.<id>..." becomes "_INBOX.>", a token of
// digits "*".
std::string subject_route(std::string_view subject) {
  if (subject.starts_with("_INBOX.")) return "_INBOX.>";
  std::string out;
  while (true) {
    size_t dot = subject.find('.');
    std::string_view token = subject.substr(0, dot);
    bool digits = !token.empty() && std::all_of(token.begin(), token.end(),
                                                [](char c) { return c >= '0' && c <= '9'; });
    out.append(digits ? "*" : token);
    if (dot == std::string_view::npos) break;
    out += '.';
    subject.remove_prefix(dot + 1);
  }
  return out;
}

class NatsParser final : public ProtocolParser {
 public:
  explicit NatsParser(Role role) : role_(role) {
    if (role != Role::Unknown) {
      req_dir_ = request_direction(role);
      dir_known_ = true;
    }
  }

  void feed(const Segment& seg, std::vector<Record>& out) override {
    if (!dir_known_) {
      // The server speaks first (INFO); a capture joining later sees
      // whichever side writes first, named by its operation.
      bool server_first =
          seg.bytes.size() >= 4 && (seg.bytes.starts_with("INFO") ||
                                    seg.bytes.starts_with("MSG ") || seg.bytes.starts_with("HMSG"));
      req_dir_ = server_first
                     ? (seg.dir == Direction::Egress ? Direction::Ingress : Direction::Egress)
                     : seg.dir;
      dir_known_ = true;
    }
    const bool is_req = seg.dir == req_dir_;
    Side& s = is_req ? req_ : rep_;
    if (s.broken) {
      // Syscalls tend to carry whole operations: retry at the segment start.
      s.broken = false;
      reset(s);
    }
    auto take_line = [&](std::string_view line) {
      // The server accepts a bare LF; it always sends CRLF.
      line.remove_suffix(1);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      on_line(s, is_req, line, seg.ts_ns, out);
      return true;
    };
    auto on_block_end = [&] {
      end_of_payload(s, is_req, seg.ts_ns, out);
      return true;
    };
    if (!s.split(seg.bytes, seg.ts_ns, kMaxLine, take_line, on_block_end)) lose_framing(s, true);
    uint64_t gap = seg.length > seg.bytes.size() ? seg.length - seg.bytes.size() : 0;
    if (gap > 0 && !s.broken) {
      // Bytes not captured: only the inside of a payload can be skipped blind.
      if (s.skip_uncaptured(gap)) {
        if (s.skip == 0) end_of_payload(s, is_req, seg.ts_ns, out);
      } else {
        lose_framing(s, false);
      }
    }
  }

  void close(uint64_t, std::vector<Record>&) override {
    for (Side* s : {&req_, &rep_}) {
      stats_.unmatched += s->pings.size() + (s->message ? 1 : 0);
      s->pings.clear();
      s->message.reset();
    }
  }

  const ParserStats& stats() const override { return stats_; }
  // Itself, its two line buffers (at most kMaxLine each), the subscriptions
  // it remembers and the PINGs waiting (both bounded).
  size_t memory_bytes() const override {
    return sizeof(*this) + req_.line.capacity() + rep_.line.capacity() +
           subjects_.size() * (sizeof(std::pair<std::string, std::string>) + 64 + kMaxSubject) +
           (req_.pings.size() + rep_.pings.size()) * sizeof(uint64_t) +
           2 * (sizeof(Record) + kMaxSubject * 2);
  }

 private:
  void on_line(Side& s, bool is_req, std::string_view line, uint64_t ts, std::vector<Record>& out) {
    auto op = parse_operation(line);
    // Each side sends its own operations (PING and PONG both ways).
    if (!op || (from_client(op->op) != is_req && op->op != Op::Ping && op->op != Op::Pong)) {
      lose_framing(s, true);
      return;
    }
    switch (op->op) {
      case Op::Pub:
      case Op::Hpub:
      case Op::Msg:
      case Op::Hmsg: {
        s.message = record(*op, s.start_ns);
        s.message->detail = std::to_string(op->payload);
        s.skip = op->payload + 2;
        return;
      }
      case Op::Sub: {
        Record r = record(*op, s.start_ns);
        if (!op->queue.empty())
          r.detail = "queue " + std::string(utf8::cut(op->queue, kMaxSubject));
        remember(op->sid, op->subject);
        finish(std::move(r), s, is_req, ts, out);
        return;
      }
      case Op::Unsub: {
        Record r = record(*op, s.start_ns);
        auto it = std::find_if(subjects_.rbegin(), subjects_.rend(),
                               [&](const auto& e) { return e.first == op->sid; });
        if (it != subjects_.rend()) {
          r.path = it->second;
          r.route = subject_route(r.path);
          subjects_.erase(std::next(it).base());
        }
        finish(std::move(r), s, is_req, ts, out);
        return;
      }
      case Op::Ping:
        if (s.pings.size() == kMaxPings) {
          s.pings.pop_front();
          ++stats_.unmatched;
        }
        s.pings.push_back(s.start_ns);
        break;
      case Op::Pong: {
        // Answers the other side's oldest PING; an unasked PONG is ignored.
        Side& pinger = is_req ? rep_ : req_;
        if (pinger.pings.empty()) break;
        Record r = record(*op, pinger.pings.front());
        pinger.pings.pop_front();
        r.method = "PING";
        r.route = "PING";
        if (is_req) r.detail = "from server";
        r.req_bytes = 6;  // "PING\r\n"
        r.resp_bytes = s.bytes;
        r.end_ns = ts;
        out.push_back(std::move(r));
        ++stats_.records;
        break;
      }
      case Op::Err: {
        Record r = record(*op, s.start_ns);
        r.error = true;
        r.error_message.assign(utf8::cut(op->text, kMaxErrorMessage));
        // "Permissions Violation for Publish to foo.bar": the code is the
        // text before " for ", the subject the last word.
        std::string_view text = op->text;
        size_t for_at = text.find(" for ");
        r.error_code.assign(utf8::cut(text.substr(0, for_at), 64));
        if (size_t to = text.rfind(" to "); for_at != std::string_view::npos && to > for_at) {
          std::string_view subject = text.substr(to + 4);
          if (subject.size() >= 2 && subject.front() == '"' && subject.back() == '"')
            subject = subject.substr(1, subject.size() - 2);
          r.path.assign(utf8::cut(subject, kMaxSubject));
          r.route = subject_route(r.path);
        }
        finish(std::move(r), s, is_req, ts, out);
        return;
      }
      default:  // INFO, CONNECT, +OK
        break;
    }
    s.bytes = 0;
  }

  Record record(const Operation& op, uint64_t start_ns) const {
    Record r;
    r.protocol = Protocol::Nats;
    r.role = role_ != Role::Unknown          ? role_
             : req_dir_ == Direction::Egress ? Role::Client
                                             : Role::Server;
    r.start_ns = start_ns;
    r.method = name(op.op);
    r.path.assign(utf8::cut(op.subject, kMaxSubject));
    r.route = r.path.empty() ? r.method : subject_route(r.path);
    return r;
  }

  // A one-way record ends with the operation: its bytes go to the side that sent it.
  void finish(Record r, Side& s, bool is_req, uint64_t ts, std::vector<Record>& out) {
    r.end_ns = ts;
    (is_req ? r.req_bytes : r.resp_bytes) = s.bytes;
    s.bytes = 0;
    out.push_back(std::move(r));
    ++stats_.records;
  }

  void end_of_payload(Side& s, bool is_req, uint64_t ts, std::vector<Record>& out) {
    if (!s.message) return;
    Record r = std::move(*s.message);
    s.message.reset();
    finish(std::move(r), s, is_req, ts, out);
  }

  void remember(std::string_view sid, std::string_view subject) {
    // The oldest is forgotten first; UNSUB is rare, so a linear search will do.
    if (subjects_.size() == kMaxSubscriptions) subjects_.pop_front();
    subjects_.emplace_back(utf8::cut(sid, 64), utf8::cut(subject, kMaxSubject));
  }

  static void reset(Side& s) {
    s.reset();
    s.message.reset();
  }

  // Framing of one direction is lost until its next segment (better a
  // missing record than a wrong one); the other direction is unaffected.
  void lose_framing(Side& s, bool malformed) {
    if (s.message) ++stats_.unmatched;
    reset(s);
    s.broken = true;
    ++stats_.resyncs;
    if (malformed) ++stats_.parse_errors;
  }

  Role role_;
  Direction req_dir_ = Direction::Ingress;
  bool dir_known_ = false;
  Side req_;
  Side rep_;
  std::deque<std::pair<std::string, std::string>> subjects_;  // sid, subject
  ParserStats stats_;
};

}  // namespace

std::unique_ptr<ProtocolParser> make_parser(Role role) {
  return std::make_unique<NatsParser>(role);
}

}  // namespace loupe::nats
