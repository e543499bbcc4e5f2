// The memcached connection parser: replies come strictly in request order,
// so each reply is matched to the oldest pending command. Values are never
// stored: data blocks are counted and skipped.
#include <algorithm>
#include <deque>
#include <optional>
#include <string>

#include "core/utf8.h"
#include "protocols/line_framing.h"
#include "protocols/memcached/command.h"
#include "protocols/memcached/memcached.h"

namespace loupe::memcached {
namespace {

constexpr size_t kMaxPending = 1024;
// Longer than any line memcached sends or accepts outside a multi-get of
// very many keys; bounds what a connection holds.
constexpr size_t kMaxLine = 4096;
constexpr size_t kMaxErrorMessage = 256;
constexpr size_t kMaxDetail = 32;
constexpr std::string_view kEnd = "END";  // on the wire: "END\r\n", 5 bytes

struct Pending {
  Command cmd;
  uint64_t start_ns = 0;
  uint64_t bytes = 0;
};

// One direction: a line being assembled, or data bytes being skipped.
using Side = LineFraming;

bool is_error(std::string_view word) {
  return word == "ERROR" || word == "CLIENT_ERROR" || word == "SERVER_ERROR";
}

// The <n>th space-separated field of a reply line as a data length.
std::optional<uint64_t> data_size(std::string_view line, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    size_t sp = line.find(' ');
    if (sp == std::string_view::npos) return std::nullopt;
    line.remove_prefix(sp + 1);
  }
  line = line.substr(0, line.find(' '));
  if (line.empty() || line.size() > 10) return std::nullopt;
  uint64_t v = 0;
  for (char c : line) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

class MemcachedParser final : public ProtocolParser {
 public:
  explicit MemcachedParser(Role role) : role_(role) {
    if (role != Role::Unknown) {
      req_dir_ = request_direction(role);
      dir_known_ = true;
    }
  }

  void feed(const Segment& seg, std::vector<Record>& out) override {
    if (finished_) return;
    if (!dir_known_) {
      req_dir_ = seg.dir;  // clients speak first
      dir_known_ = true;
    }
    const bool is_req = seg.dir == req_dir_;
    Side& s = is_req ? req_ : rep_;
    if (s.broken) {
      // Syscalls tend to carry whole messages: retry at the segment start.
      s.broken = false;
      s.reset();
    }
    auto on_line = [&](std::string_view line) {
      if (line.size() < 2 || line[line.size() - 2] != '\r') {
        lose_framing(is_req, true);
        return false;
      }
      line.remove_suffix(2);
      if (is_req) {
        on_request_line(line, seg.ts_ns, out);
      } else {
        on_reply_line(line, seg.ts_ns, out);
      }
      return !finished_;
    };
    auto on_block_end = [&] {
      end_of_data(is_req, seg.ts_ns, out);
      return !finished_;
    };
    if (!s.split(seg.bytes, seg.ts_ns, kMaxLine, on_line, on_block_end)) lose_framing(is_req, true);
    uint64_t gap = seg.length > seg.bytes.size() ? seg.length - seg.bytes.size() : 0;
    if (gap > 0 && !s.broken && !finished_) {
      // Bytes not captured: only the inside of a data block can be skipped blind.
      if (s.skip_uncaptured(gap)) {
        if (s.skip == 0) end_of_data(is_req, seg.ts_ns, out);
      } else if (!is_req && gap == s.skip + kEnd.size() + 2 && awaiting_values()) {
        // memcached writes a get's value and its END in one syscall, so a
        // large value hides the END: 5 bytes after a value can be nothing
        // else (the shortest VALUE or error line is longer).
        s.bytes += gap;
        s.skip = 0;
        finish_oldest(kEnd, kEnd, seg.ts_ns, out);
      } else {
        lose_framing(is_req, false);
      }
    }
    // A drain ends with the first reply segment that ends between messages.
    if (!is_req && draining_ && !s.broken && s.between_messages()) {
      draining_ = false;
      drop_pending();
    }
  }

  void close(uint64_t, std::vector<Record>&) override {
    drop_pending();
    if (reading_ || !req_.line.empty()) ++stats_.unmatched;
  }

  bool finished() const override { return finished_; }
  const ParserStats& stats() const override { return stats_; }
  // Itself, its two line buffers (at most kMaxLine each) and the commands
  // waiting for replies (keys are cut to kMaxKey).
  size_t memory_bytes() const override {
    return sizeof(*this) + req_.line.capacity() + rep_.line.capacity() +
           (pending_.size() + (reading_ ? 1 : 0)) * (sizeof(Pending) + kMaxKey);
  }

 private:
  bool awaiting_values() const {
    return !draining_ && !pending_.empty() && pending_.front().cmd.shape == ReplyShape::Values;
  }

  void on_request_line(std::string_view line, uint64_t ts, std::vector<Record>& out) {
    auto cmd = parse_command(line);
    if (!cmd) {
      lose_framing(true, true);
      return;
    }
    if (cmd->shape == ReplyShape::Quiet) {
      // Quiet meta commands answer only some outcomes: replies can no longer
      // be paired by position, so the connection is given up.
      finished_ = true;
      drop_pending();
      return;
    }
    if (cmd->shape == ReplyShape::Closes) {
      req_.bytes = 0;
      return;
    }
    Pending p{std::move(*cmd), req_.start_ns, 0};
    if (p.cmd.has_data) {
      req_.skip = p.cmd.data_bytes + 2;
      reading_ = std::move(p);
      return;
    }
    complete(std::move(p), ts, out);
  }

  // The command (and its data block) has been read whole.
  void complete(Pending p, uint64_t ts, std::vector<Record>& out) {
    p.bytes = req_.bytes;
    req_.bytes = 0;
    if (p.cmd.shape == ReplyShape::None) {
      // noreply: the server answers nothing, so the record ends with the
      // request and says so.
      Record r = record(std::move(p), ts);
      r.detail = "noreply";
      out.push_back(std::move(r));
      ++stats_.records;
      return;
    }
    if (pending_.size() == kMaxPending) {
      pending_.pop_front();
      ++stats_.unmatched;
    }
    pending_.push_back(std::move(p));
  }

  void end_of_data(bool is_req, uint64_t ts, std::vector<Record>& out) {
    if (is_req) {
      if (!reading_) return;
      Pending p = std::move(*reading_);
      reading_.reset();
      complete(std::move(p), ts, out);
    } else if (meta_value_) {
      // The data block of mg's or ma's "VA" ends the reply.
      meta_value_ = false;
      finish_oldest("VA", "VA", ts, out);
    }
  }

  void on_reply_line(std::string_view line, uint64_t ts, std::vector<Record>& out) {
    std::string_view word = line.substr(0, line.find(' '));
    if (draining_ || pending_.empty()) {
      // Answers no known command; its data blocks are still skipped so
      // that values are not taken for lines.
      if (word == "VALUE" || word == "VA") {
        skip_value(line, word == "VALUE" ? 3 : 1);
        return;
      }
      if (word != "STAT") ++stats_.unmatched;
      rep_.bytes = 0;
      return;
    }
    if (is_error(word)) {
      finish_oldest(word, line, ts, out);
      return;
    }
    switch (pending_.front().cmd.shape) {
      case ReplyShape::Values:
        if (word == "END") {
          finish_oldest(word, line, ts, out);
        } else if (word == "VALUE") {
          ++hits_;
          skip_value(line, 3);
        } else {
          lose_framing(false, true);
        }
        break;
      case ReplyShape::UntilEnd:
        if (word == "END") finish_oldest(word, line, ts, out);
        break;
      case ReplyShape::Meta:
        if (word == "VA") {
          meta_value_ = true;
          skip_value(line, 1);
        } else {
          finish_oldest(word, line, ts, out);
        }
        break;
      default:
        finish_oldest(word, line, ts, out);
        break;
    }
  }

  // A VALUE or VA line: the data block whose length is its <n>th field follows.
  void skip_value(std::string_view line, size_t n) {
    auto bytes = data_size(line, n);
    if (!bytes) return lose_framing(false, true);
    rep_.skip = *bytes + 2;
  }

  Record record(Pending p, uint64_t end_ns) const {
    Record r;
    r.protocol = Protocol::Memcached;
    r.role = role_ != Role::Unknown          ? role_
             : req_dir_ == Direction::Egress ? Role::Client
                                             : Role::Server;
    r.start_ns = p.start_ns;
    r.end_ns = end_ns;
    r.method = p.cmd.method;
    r.route = std::move(p.cmd.method);
    r.path = std::move(p.cmd.key);
    r.req_bytes = p.bytes;
    return r;
  }

  // Finishes the oldest command with its reply, whose first word is `word`.
  void finish_oldest(std::string_view word, std::string_view line, uint64_t ts,
                     std::vector<Record>& out) {
    const Command& cmd = pending_.front().cmd;
    const uint32_t keys = cmd.keys;
    const bool lookup = cmd.lookup;
    const bool values = cmd.shape == ReplyShape::Values;
    Record r = record(std::move(pending_.front()), ts);
    pending_.pop_front();
    r.resp_bytes = rep_.bytes;
    if (is_error(word)) {
      r.error = true;
      r.error_code.assign(word);
      r.error_message.assign(utf8::cut(line, kMaxErrorMessage));
    } else if (values) {
      // get: one VALUE per key found.
      if (hits_ == 0) {
        r.detail = "miss";
      } else if (hits_ >= keys) {
        r.detail = "hit";
      } else {
        r.detail = std::to_string(hits_) + "/" + std::to_string(keys) + " hit";
      }
    } else if (lookup) {
      // Never the reply itself: incr/decr answer with the counter's value.
      r.detail = word == "NOT_FOUND" || word == "EN" || word == "NF" ? "miss" : "hit";
    } else {
      r.detail.assign(utf8::cut(word, kMaxDetail));
    }
    out.push_back(std::move(r));
    ++stats_.records;
    hits_ = 0;
    rep_.bytes = 0;
  }

  // Framing of one direction is lost until its next segment. Replies can no
  // longer be paired by position, so pending commands are dropped and
  // replies are drained (counted, not matched) until the reply side ends a
  // segment between messages: better a missing record than a wrong one.
  void lose_framing(bool is_req, bool malformed) {
    Side& s = is_req ? req_ : rep_;
    s.broken = true;
    s.reset();
    ++stats_.resyncs;
    if (malformed) ++stats_.parse_errors;
    if (is_req && reading_) {
      reading_.reset();  // the command whose data block was being read
      ++stats_.unmatched;
    }
    if (!is_req && !pending_.empty()) {
      pending_.pop_front();  // the reply being read belonged to the oldest command
      ++stats_.unmatched;
    }
    if (is_req || !pending_.empty()) draining_ = true;
    drop_pending();
    hits_ = 0;
    meta_value_ = false;
  }

  void drop_pending() {
    stats_.unmatched += pending_.size();
    pending_.clear();
  }

  Role role_;
  Direction req_dir_ = Direction::Ingress;
  bool dir_known_ = false;
  bool finished_ = false;
  bool draining_ = false;
  bool meta_value_ = false;  // the reply's data block is a VA block ending it
  uint32_t hits_ = 0;        // VALUE blocks of the get being answered
  Side req_;
  Side rep_;
  std::optional<Pending> reading_;  // a command whose data block is being read
  std::deque<Pending> pending_;
  ParserStats stats_;
};

}  // namespace

std::unique_ptr<ProtocolParser> make_parser(Role role) {
  return std::make_unique<MemcachedParser>(role);
}

}  // namespace loupe::memcached
