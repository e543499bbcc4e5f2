// The Redis connection parser: matches each reply to the oldest pending
// command (RESP is strictly in order, pipelined or not).
#include <algorithm>
#include <string>
#include <vector>

#include "core/utf8.h"
#include "protocols/redis/command.h"
#include "protocols/redis/redis.h"
#include "protocols/redis/resp_reader.h"

namespace loupe::redis {
namespace {

constexpr size_t kMaxPending = 1024;
constexpr size_t kMaxErrorMessage = 256;

struct Pending {
  Command cmd;
  uint64_t start_ns;
  uint64_t bytes;
};

// The commands waiting for replies, oldest first: a vector read from a
// moving head, not a deque. An empty libstdc++ deque holds ~600 bytes, on
// every idle connection of a client's pool; this holds room for as many
// commands as were pending at once, up to kKept (88 bytes each), and gives
// a larger buffer back when emptied, the next burst getting room for as
// many as the last one at once. No malloc per command, pipelined by up to
// 16 or not.
class PendingFifo {
 public:
  static constexpr size_t kKept = 16;

  bool empty() const { return head_ == items_.size(); }
  size_t size() const { return items_.size() - head_; }
  Pending& front() { return items_[head_]; }
  void push_back(Pending p) {
    if (items_.capacity() == 0) items_.reserve(last_burst_);
    // The answered ones are dropped once they are half: each is moved at
    // most once per time it is answered.
    if (head_ > 0 && 2 * head_ >= items_.size()) {
      items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
    items_.push_back(std::move(p));
  }
  void pop_front() {
    if (++head_ == items_.size()) clear();
  }
  void clear() {
    last_burst_ = static_cast<uint32_t>(std::max<size_t>(items_.size(), 1));
    items_.clear();
    head_ = 0;
    if (items_.capacity() > kKept) items_ = std::vector<Pending>();
  }
  size_t memory_bytes() const { return items_.capacity() * sizeof(Pending); }

 private:
  std::vector<Pending> items_;
  size_t head_ = 0;
  uint32_t last_burst_ = 1;  // commands pending at once before the last empty
};

// One direction of the connection.
struct Side {
  explicit Side(RespReader::Side s) : reader(s) {}
  RespReader reader;
  bool broken = false;  // framing lost: skip to the next segment start
  uint64_t start_ns = 0;
  uint64_t bytes = 0;  // wire bytes of the message in progress
};

class RedisParser final : public ProtocolParser {
 public:
  explicit RedisParser(Role role) : role_(role) {
    if (role != Role::Unknown) {
      req_dir_ = request_direction(role);
      dir_known_ = true;
    }
  }

  void feed(const Segment& seg, std::vector<Record>& out) override {
    if (finished_) return;
    if (!dir_known_) {
      // Redis clients always speak first, so the first bytes are a request.
      req_dir_ = seg.dir;
      dir_known_ = true;
    }
    bool is_req = seg.dir == req_dir_;
    Side& s = is_req ? req_ : rep_;
    if (s.broken) {
      // Syscalls tend to carry whole messages: retry at the segment start.
      s.broken = false;
      s.reader.reset();
    }
    std::string_view data = seg.bytes;
    while (!data.empty() && !s.broken && !finished_) {
      if (s.reader.idle()) {
        s.start_ns = seg.ts_ns;
        s.bytes = 0;
      }
      size_t used = 0;
      auto st = s.reader.feed(data, used);
      s.bytes += used;
      data.remove_prefix(used);
      if (st == RespReader::Status::Message) on_message(is_req, seg.ts_ns, out);
      if (st == RespReader::Status::Malformed) lose_framing(is_req, true);
    }
    uint64_t gap = seg.length > seg.bytes.size() ? seg.length - seg.bytes.size() : 0;
    if (gap > 0 && !s.broken && !finished_) {
      s.bytes += gap;
      auto st = s.reader.skip(gap);
      if (st == RespReader::Status::Message) on_message(is_req, seg.ts_ns, out);
      if (st == RespReader::Status::Malformed) lose_framing(is_req, false);
    }
    // A drain ends with the first reply segment that ends between messages.
    if (!is_req && draining_ && !s.broken && s.reader.idle()) {
      draining_ = false;
      drop_pending();
    }
  }

  void close(uint64_t, std::vector<Record>&) override {
    drop_pending();
    if (!req_.reader.idle()) ++stats_.unmatched;
  }

  bool finished() const override { return finished_; }
  const ParserStats& stats() const override { return stats_; }
  // Itself (its readers' buffers are fixed arrays) and the commands waiting
  // for replies (their fixed part: method and key are cut to 40 and 256).
  size_t memory_bytes() const override { return sizeof(*this) + pending_.memory_bytes(); }

 private:
  void on_message(bool is_req, uint64_t ts_ns, std::vector<Record>& out) {
    const RespMessage& msg = (is_req ? req_ : rep_).reader.message();
    if (is_req) {
      on_command(msg);
    } else {
      on_reply(msg, ts_ns, out);
    }
  }

  void on_command(const RespMessage& msg) {
    if (msg.nargs == 0) return;  // "*0": Redis ignores it, so no reply comes
    // Clients speak either RESP arrays or inline text. A text line after
    // arrays, or an unknown first word, is more likely the middle of a value
    // (capture started mid-stream) than a command: treat it as garbage.
    if (msg.type == 'i' && !inline_session_) {
      if (seen_array_ || !is_inline_command(msg.args[0])) {
        lose_framing(true, true);
        return;
      }
      inline_session_ = true;
    }
    if (msg.type == '*') seen_array_ = true;
    Command cmd = classify_command(msg);
    if (cmd.kind == CommandKind::NoReplies) {
      finish();
      return;
    }
    if (pending_.size() == kMaxPending) {
      pending_.pop_front();
      ++stats_.unmatched;
    }
    pending_.push_back(Pending{std::move(cmd), req_.start_ns, req_.bytes});
  }

  void on_reply(const RespMessage& msg, uint64_t ts_ns, std::vector<Record>& out) {
    bool push = msg.type == '>';
    // In RESP3 a subscription is confirmed by a push; that push is the reply.
    if (push && (pending_.empty() || pending_.front().cmd.kind != CommandKind::ModeSwitch ||
                 pending_.front().cmd.method == "MONITOR"))
      return;  // out-of-band: answers no request
    if (draining_ || pending_.empty()) {
      ++stats_.unmatched;
      return;
    }
    // Read in place and popped once the record has its strings (a moved
    // copy of it was two more string moves a record).
    Pending& p = pending_.front();

    Record& r = out.emplace_back();  // built in place: no move of its 21 strings
    r.protocol = Protocol::Redis;
    r.role = role_ != Role::Unknown          ? role_
             : req_dir_ == Direction::Egress ? Role::Client
                                             : Role::Server;
    r.start_ns = p.start_ns;
    r.end_ns = ts_ns;
    r.method = p.cmd.method;
    r.route = std::move(p.cmd.method);
    r.path = std::move(p.cmd.key);
    r.req_bytes = p.bytes;
    r.resp_bytes = rep_.bytes;
    if (msg.type == '-' || msg.type == '!') {
      std::string_view text = msg.type == '-' ? msg.line : msg.args[0];
      r.error = true;
      size_t sp = text.find(' ');
      r.error_code.assign(utf8::cut(text.substr(0, sp), 64));
      r.error_message.assign(utf8::cut(text, kMaxErrorMessage));
    }
    const bool mode_switch = p.cmd.kind == CommandKind::ModeSwitch;
    pending_.pop_front();
    ++stats_.records;
    if (mode_switch) finish();
  }

  // Framing of one direction is lost until its next segment. Replies can no
  // longer be paired by position, so pending commands are dropped and
  // replies are drained (counted, not matched) until the reply side ends a
  // segment between messages: better a missing record than a wrong one.
  void lose_framing(bool is_req, bool malformed) {
    Side& s = is_req ? req_ : rep_;
    s.broken = true;
    ++stats_.resyncs;
    if (malformed) ++stats_.parse_errors;
    if (is_req && !s.reader.idle()) ++stats_.unmatched;  // the command being read
    if (!is_req && !pending_.empty()) {
      pending_.pop_front();  // the reply being read belonged to the oldest command
      ++stats_.unmatched;
    }
    if (is_req || !pending_.empty()) draining_ = true;
    drop_pending();
  }

  void drop_pending() {
    stats_.unmatched += pending_.size();
    pending_.clear();
  }

  void finish() {
    finished_ = true;
    drop_pending();
  }

  Role role_;
  Direction req_dir_ = Direction::Ingress;
  bool dir_known_ = false;
  bool finished_ = false;
  bool draining_ = false;
  bool seen_array_ = false;
  bool inline_session_ = false;
  Side req_{RespReader::Side::Request};
  Side rep_{RespReader::Side::Reply};
  PendingFifo pending_;
  ParserStats stats_;
};

}  // namespace

std::unique_ptr<ProtocolParser> make_parser(Role role) {
  return std::make_unique<RedisParser>(role);
}

}  // namespace loupe::redis
