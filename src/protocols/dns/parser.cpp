// The DNS parser: pairs each response with its query by transaction id.
//
// Framing is decided once, from the first segment (see decide_framing):
// UDP sockets carry one datagram per syscall, TCP streams carry messages
// with a 2-byte length prefix that may be split anywhere.
#include <string>
#include <vector>

#include "protocols/dns/dns.h"
#include "protocols/dns/message.h"
#include "protocols/dns/tcp_framer.h"

namespace loupe::dns {
namespace {

constexpr size_t kMaxPending = 256;
constexpr uint64_t kExpireNs = 30'000'000'000;  // resolvers give up long before this
constexpr size_t kMaxAnswers = 16;

enum class Framing : uint8_t { Unknown, Udp, Tcp };

// TCP when the first two bytes announce the DNS message that follows
// (possibly with more messages after it, or more bytes to come); UDP
// otherwise. A first segment shorter than any DNS message is the start of a
// TCP stream split anywhere (a length prefix written on its own, or one byte
// per syscall): a UDP datagram is never that short.
Framing decide_framing(std::string_view b) {
  if (b.size() < kHeaderSize + 5) return Framing::Tcp;
  size_t announced = read_u16(b, 0);
  std::string_view rest = b.substr(2);
  if (announced <= rest.size() && plausible_message(rest.substr(0, announced), -1))
    return Framing::Tcp;
  if (plausible_message(b, -1)) return Framing::Udp;
  // The start of a TCP message whose rest is still arriving.
  if (announced > rest.size() && detect(b, Direction::Egress, Role::Unknown) != Detection::NoMatch)
    return Framing::Tcp;
  return Framing::Udp;
}

struct Pending {
  uint16_t id;
  uint16_t qtype;
  std::string qname;
  uint64_t start_ns;
  uint64_t bytes;
};

class DnsParser final : public ProtocolParser {
 public:
  explicit DnsParser(Role role) : role_(role) {}

  void feed(const Segment& seg, std::vector<Record>& out) override {
    if (framing_ == Framing::Unknown) framing_ = decide_framing(seg.bytes);
    expire(seg.ts_ns);
    if (framing_ == Framing::Udp) {
      on_message(seg.bytes, seg.length, seg.ts_ns, seg.ts_ns, seg.dir, out);
    } else {
      feed_tcp(seg, out);
    }
  }

  void close(uint64_t, std::vector<Record>&) override {
    stats_.unmatched += pending_.size();
    pending_.clear();
  }

  const ParserStats& stats() const override { return stats_; }

  // Itself, the TCP message buffers and the queries waiting for answers
  // (their fixed part: names are at most 255 bytes).
  size_t memory_bytes() const override {
    return sizeof(*this) + streams_[0].framer.memory_bytes() + streams_[1].framer.memory_bytes() +
           pending_.capacity() * sizeof(Pending);
  }

 private:
  struct Stream {
    TcpFramer framer;
    bool lost = false;
    uint64_t start_ns = 0;
  };

  void feed_tcp(const Segment& seg, std::vector<Record>& out) {
    Stream& s = streams_[seg.dir == Direction::Egress ? 0 : 1];
    std::string_view data = seg.bytes;
    if (s.lost) {
      // Resynchronise only on a segment that starts like a message.
      if (data.size() < 2 + kHeaderSize || !plausible_message(data.substr(2), -1)) return;
      s.lost = false;
      s.framer.reset();
    }
    while (!data.empty()) {
      if (s.framer.idle()) s.start_ns = seg.ts_ns;
      size_t used = 0;
      auto st = s.framer.feed(data, used);
      data.remove_prefix(used);
      if (st == TcpFramer::Status::Message)
        on_message(s.framer.message(), s.framer.wire_length(), s.start_ns, seg.ts_ns, seg.dir, out);
    }
    uint64_t gap = seg.length > seg.bytes.size() ? seg.length - seg.bytes.size() : 0;
    if (gap == 0) return;
    auto st = s.framer.skip(gap);
    if (st == TcpFramer::Status::Message) {
      on_message(s.framer.message(), s.framer.wire_length(), s.start_ns, seg.ts_ns, seg.dir, out);
    } else if (st == TcpFramer::Status::Lost) {
      s.lost = true;
      ++stats_.resyncs;
    }
  }

  void on_message(std::string_view msg, uint64_t wire_len, uint64_t start_ns, uint64_t end_ns,
                  Direction dir, std::vector<Record>& out) {
    Header h;
    if (!read_header(msg, h)) {
      ++stats_.parse_errors;
      return;
    }
    size_t pos = kHeaderSize;
    Question q;
    bool has_question = h.qdcount > 0 && read_question(msg, pos, q);
    if (!h.qr()) {
      if (!has_question) {
        ++stats_.parse_errors;
        return;
      }
      on_query(h, q, start_ns, wire_len);
      return;
    }
    auto it = pending_.begin();
    for (; it != pending_.end(); ++it) {
      if (it->id != h.id) continue;
      // Same id, different question: a reused id, not our answer.
      if (has_question && (it->qtype != q.qtype || it->qname != q.name.view())) continue;
      break;
    }
    if (it == pending_.end()) {
      ++stats_.unmatched;
      return;
    }
    Record r;
    r.protocol = Protocol::Dns;
    r.role = role_ != Role::Unknown      ? role_
             : dir == Direction::Ingress ? Role::Client  // we read the response
                                         : Role::Server;
    r.start_ns = it->start_ns;
    r.end_ns = end_ns;
    r.method = qtype_name(it->qtype);
    r.path = it->qname;
    r.route = std::move(it->qname);
    r.status = h.rcode();
    r.error = h.rcode() != 0;
    if (r.error) r.error_code = rcode_name(h.rcode());
    r.req_bytes = it->bytes;
    r.resp_bytes = wire_len;
    if (has_question) {
      // Skip any further questions, then read the answers.
      for (uint16_t i = 1; i < h.qdcount && pos <= msg.size(); ++i) {
        Question extra;
        if (!read_question(msg, pos, extra)) pos = msg.size() + 1;
      }
      if (pos <= msg.size()) read_answers(msg, pos, h, r.detail, kMaxAnswers);
    }
    pending_.erase(it);
    out.push_back(std::move(r));
    ++stats_.records;
  }

  void on_query(const Header& h, const Question& q, uint64_t start_ns, uint64_t wire_len) {
    for (auto& p : pending_) {
      if (p.id != h.id) continue;
      // A retransmission keeps the first send time: that is what the
      // caller waited from.
      if (p.qtype == q.qtype && p.qname == q.name.view()) return;
      p = Pending{h.id, q.qtype, std::string(q.name.view()), start_ns, wire_len};
      ++stats_.unmatched;
      return;
    }
    if (pending_.size() == kMaxPending) {
      pending_.erase(pending_.begin());
      ++stats_.unmatched;
    }
    pending_.push_back(Pending{h.id, q.qtype, std::string(q.name.view()), start_ns, wire_len});
  }

  // Queries nobody answered within kExpireNs will never be answered.
  void expire(uint64_t now_ns) {
    size_t n = 0;
    while (n < pending_.size() && pending_[n].start_ns + kExpireNs < now_ns) ++n;
    if (n == 0) return;
    stats_.unmatched += n;
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(n));
  }

  Role role_;
  Framing framing_ = Framing::Unknown;
  Stream streams_[2];
  std::vector<Pending> pending_;  // oldest first
  ParserStats stats_;
};

}  // namespace

std::unique_ptr<ProtocolParser> make_parser(Role role) { return std::make_unique<DnsParser>(role); }

}  // namespace loupe::dns
