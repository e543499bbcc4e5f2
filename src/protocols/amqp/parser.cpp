// The AMQP 0-9-1 connection parser. Frames are reassembled per direction
// (bodies skipped by count, never copied); a synchronous method and its
// answer on the same channel make one record with the round trip's latency;
// a published, returned or delivered message makes one record once its
// content header and last body frame have passed. Channels interleave
// freely: all state is per channel. See docs/protocols/amqp.md.
#include <algorithm>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/utf8.h"
#include "protocols/amqp/amqp.h"
#include "protocols/amqp/method.h"

namespace loupe::amqp {
namespace {

// Payload bytes kept of a method or content header frame: every argument a
// record uses sits in the first ~800 (three short strings at most 255 each).
constexpr size_t kMaxPrefix = 1024;
// Before connection.tune-ok names frame_max, RabbitMQ's default (131072) is
// the bound: a larger frame means the bytes are not AMQP framing.
constexpr uint64_t kDefaultFrameMax = 131072;
constexpr uint64_t kMinFrameMax = 4096;           // the specification's frame-min-size
constexpr uint64_t kUnlimitedFrameMax = 1 << 24;  // frame_max 0 ("no limit") as 16 MiB
constexpr size_t kMaxChannels = 256;              // channels with state, per connection
constexpr size_t kMaxPending = 8;                 // unanswered requests per channel and side
constexpr size_t kMaxConsumers = 1024;            // consumer tag -> queue, per connection
// What a held record may add beyond sizeof(Record): path, route, detail.
constexpr size_t kRecordText = 4 * 256;

enum Side : uint8_t { kClient = 0, kServer = 1 };

// One direction's frame reassembly.
struct Framer {
  char header[8] = {};
  size_t header_len = 0;
  size_t header_need = kFrameHeaderSize;  // 8 while reading the protocol header
  bool in_payload = false;
  FrameHeader frame;
  uint64_t payload_left = 0;  // payload bytes still to come, then the frame-end octet
  std::string prefix;         // the start of a method or content header payload
  uint64_t start_ns = 0;      // when the frame's first byte passed
  bool at_stream_start = true;
  bool broken = false;  // framing lost until the next segment
};

struct Pending {
  Record record;
  const MethodSpec* spec = nullptr;
  std::string queue;    // basic.consume: named by the tag its -ok returns
  bool silent = false;  // a close whose cause is already recorded
};

struct Content {
  Record record;
  std::string from;  // deliveries: " from exchange/routing key"
  uint64_t body_left = 0;
  bool header_seen = false;
};

struct Channel {
  std::deque<Pending> pending[2];     // requests waiting for an answer, by sender
  std::optional<Content> content[2];  // a message being sent, by sender
  std::vector<std::pair<std::string, std::string>> consumers;  // tag, queue
};

// The default exchange has the empty name; RabbitMQ also calls it amq.default.
std::string_view exchange_name(std::string_view name) {
  return name.empty() ? std::string_view("amq.default") : name;
}

std::string destination(std::string_view exchange, std::string_view routing_key) {
  std::string out(exchange_name(exchange));
  out += '/';
  out += routing_key;
  return out;
}

// A path with generated names or numeric ids would make one endpoint per
// queue or message: server-named queues become amq.gen-*, direct reply-to
// queues amq.rabbitmq.reply-to, dot-separated tokens of digits *.
std::string route_of(std::string_view path) {
  std::string out;
  while (true) {
    size_t slash = path.find('/');
    std::string_view part = path.substr(0, slash);
    if (part.starts_with("amq.gen-")) {
      out += "amq.gen-*";
    } else if (part.starts_with("amq.rabbitmq.reply-to")) {
      out += "amq.rabbitmq.reply-to";
    } else {
      while (true) {
        size_t dot = part.find('.');
        std::string_view token = part.substr(0, dot);
        bool digits = !token.empty() && std::all_of(token.begin(), token.end(),
                                                    [](char c) { return c >= '0' && c <= '9'; });
        out.append(digits ? "*" : token);
        if (dot == std::string_view::npos) break;
        out += '.';
        part.remove_prefix(dot + 1);
      }
    }
    if (slash == std::string_view::npos) break;
    out += '/';
    path.remove_prefix(slash + 1);
  }
  return out;
}

bool is_close(const MethodSpec& s) {
  return (s.class_id == 10 && s.method_id == 50) || (s.class_id == 20 && s.method_id == 40);
}

class AmqpParser final : public ProtocolParser {
 public:
  explicit AmqpParser(Role role) : role_(role) {
    if (role != Role::Unknown) {
      client_dir_ = request_direction(role);
      client_dir_known_ = true;
    }
  }

  void feed(const Segment& seg, std::vector<Record>& out) override {
    Framer& f = framers_[static_cast<size_t>(seg.dir)];
    if (f.broken) {
      // Peers write whole frames: retry at the segment start.
      f = Framer{.at_stream_start = false};
    }
    std::string_view data = seg.bytes;
    while (!data.empty() && !f.broken) {
      if (!f.in_payload) {
        read_header(f, seg.dir, data, seg.ts_ns);
        continue;
      }
      if (f.payload_left > 0) {
        size_t n = static_cast<size_t>(std::min<uint64_t>(f.payload_left, data.size()));
        if (f.frame.type != kFrameBody && f.prefix.size() < kMaxPrefix)
          f.prefix.append(data.substr(0, std::min(n, kMaxPrefix - f.prefix.size())));
        f.payload_left -= n;
        data.remove_prefix(n);
        continue;
      }
      if (static_cast<uint8_t>(data[0]) != kFrameEnd) {
        lose_framing(f, true);
        break;
      }
      data.remove_prefix(1);
      end_frame(f, seg.dir, seg.ts_ns, out);
    }
    uint64_t gap = seg.length > seg.bytes.size() ? seg.length - seg.bytes.size() : 0;
    if (gap == 0 || f.broken) return;
    // Bytes not captured: the inside of a payload is skipped blind, and a gap
    // ending where the frame does (a large frame written whole) ends it.
    if (f.in_payload && gap <= f.payload_left) {
      f.payload_left -= gap;
    } else if (f.in_payload && gap == f.payload_left + 1) {
      f.payload_left = 0;
      end_frame(f, seg.dir, seg.ts_ns, out);
    } else {
      lose_framing(f, false);
    }
  }

  void close(uint64_t, std::vector<Record>&) override {
    stats_.unmatched += held_records_;
    channels_.clear();
    held_records_ = consumers_ = 0;
  }

  const ParserStats& stats() const override { return stats_; }

  // Itself, the two frame prefixes, per-channel state, the records waiting
  // for an answer or a body and the consumer tags (all bounded).
  size_t memory_bytes() const override {
    return sizeof(*this) + framers_[0].prefix.capacity() + framers_[1].prefix.capacity() +
           channels_.size() * (sizeof(std::pair<const uint16_t, Channel>) + 64) +
           held_records_ * (sizeof(Pending) + kRecordText) + consumers_ * (64 + 2 * 256);
  }

 private:
  void read_header(Framer& f, Direction dir, std::string_view& data, uint64_t ts) {
    if (f.header_len == 0) {
      f.start_ns = ts;
      f.header_need = f.at_stream_start && data[0] == kProtocolHeader[0] ? kProtocolHeader.size()
                                                                         : kFrameHeaderSize;
    }
    size_t n = std::min(f.header_need - f.header_len, data.size());
    std::copy_n(data.data(), n, f.header + f.header_len);
    f.header_len += n;
    data.remove_prefix(n);
    if (f.header_len < f.header_need) return;
    f.at_stream_start = false;
    f.header_len = 0;
    if (f.header_need == kProtocolHeader.size()) {
      // "AMQP" and a version: the client's opening, or the server naming the
      // version it speaks before it closes.
      if (std::string_view(f.header, 4) != kProtocolHeader.substr(0, 4)) {
        lose_framing(f, true);
      } else if (!client_dir_known_) {
        client_dir_ = dir;
        client_dir_known_ = true;
      }
      return;
    }
    f.frame = read_frame_header({f.header, kFrameHeaderSize});
    if (!plausible(f.frame) || f.frame.size + kFrameHeaderSize + 1 > frame_max_) {
      lose_framing(f, true);
      return;
    }
    f.in_payload = true;
    f.payload_left = f.frame.size;
    f.prefix.clear();
  }

  void end_frame(Framer& f, Direction dir, uint64_t ts, std::vector<Record>& out) {
    f.in_payload = false;
    const uint64_t wire = kFrameHeaderSize + f.frame.size + 1;
    switch (f.frame.type) {
      case kFrameMethod:
        if (auto m = decode_method(f.prefix)) {
          on_method(*m, f.frame.channel, dir, f.start_ns, ts, wire, out);
        } else {
          ++stats_.parse_errors;  // an unknown method: the framing itself holds
        }
        break;
      case kFrameHeader:
        on_content_header(f.frame.channel, dir, f.prefix, ts, wire, out);
        break;
      case kFrameBody:
        on_content_body(f.frame.channel, dir, f.frame.size, ts, wire, out);
        break;
      default:  // heartbeat
        break;
    }
  }

  Side side_of(Direction dir) const { return dir == client_dir_ ? kClient : kServer; }

  Role record_role() const {
    if (role_ != Role::Unknown) return role_;
    return client_dir_ == Direction::Egress ? Role::Client : Role::Server;
  }

  void on_method(const Method& m, uint16_t ch, Direction dir, uint64_t start, uint64_t ts,
                 uint64_t wire, std::vector<Record>& out) {
    const MethodSpec& spec = *m.spec;
    if (!client_dir_known_) {
      // Joined an open connection: the first method tells who is who.
      client_dir_ = spec.sender == Sender::Server ? opposite(dir) : dir;
      client_dir_known_ = true;
    }
    const Side side = side_of(dir);
    // A method the other side sends, or arguments cut short: better no
    // record than one with wrong names.
    if ((spec.sender != Sender::Both && (spec.sender == Sender::Client) != (side == kClient)) ||
        !m.complete) {
      ++stats_.parse_errors;
      return;
    }
    Channel* c = channel(ch);
    if (!c) {
      if (spec.recorded) ++stats_.unmatched;
      return;
    }
    // Content is never interleaved with methods on its own channel: a body
    // still expected was lost.
    drop_content(*c, side);
    if (spec.class_id == 10 && spec.method_id == 31) {
      frame_max_ =
          m.frame_max == 0 ? kUnlimitedFrameMax : std::max<uint64_t>(m.frame_max, kMinFrameMax);
    }
    if (spec.is_reply) {
      answer(*c, ch, side == kClient ? kServer : kClient, m, ts, wire, out);
      return;
    }
    if (spec.class_id == 10 && spec.method_id == 40) vhost_.assign(utf8::cut(m.vhost, 255));
    if (!spec.recorded) return;
    Record r = request_record(m, *c, side, start);
    if (spec.content) {
      (side == kClient ? r.req_bytes : r.resp_bytes) = wire;
      Content content{.record = std::move(r)};
      if (spec.method_id == 60) content.from = " from " + destination(m.exchange, m.routing_key);
      c->content[side] = std::move(content);
      ++held_records_;
      return;
    }
    if (spec.reply_id == 0 || m.no_wait) {
      // Asynchronous, or the sender asked for no answer: the record is the method.
      if (spec.class_id == 60 && spec.method_id == 20)
        remember_consumer(*c, m.consumer_tag, m.queue);
      r.end_ns = ts;
      (side == kClient ? r.req_bytes : r.resp_bytes) = wire;
      emit(std::move(r), out);
      return;
    }
    r.req_bytes = wire;
    Pending p{.record = std::move(r), .spec = &spec};
    if (spec.class_id == 60 && spec.method_id == 20) p.queue.assign(m.queue);
    if (is_close(spec) && fail_pending(ch, side == kClient ? kServer : kClient, m, ts, wire, out))
      p.silent = true;
    auto& queue = c->pending[side];
    if (queue.size() == kMaxPending) {
      queue.pop_front();
      --held_records_;
      ++stats_.unmatched;
    }
    queue.push_back(std::move(p));
    ++held_records_;
  }

  // The record a method starts: what it names, before any answer.
  Record request_record(const Method& m, const Channel& c, Side side, uint64_t start) const {
    const MethodSpec& spec = *m.spec;
    Record r;
    r.protocol = Protocol::Amqp;
    r.role = record_role();
    r.start_ns = start;
    r.method = spec.name;
    r.host = vhost_;
    switch (spec.class_id) {
      case 10:
        if (spec.method_id == 40) r.path = vhost_;
        break;
      case 40:
        r.path = exchange_name(m.exchange);
        if (!m.source.empty() || !m.routing_key.empty())
          r.detail = destination(m.source, m.routing_key);
        if (!m.exchange_type.empty()) r.detail = m.exchange_type;
        break;
      case 50:
        r.path = m.queue;
        if (!m.exchange.empty() || !m.routing_key.empty())
          r.detail = destination(m.exchange, m.routing_key);
        break;
      case 60:
        if (spec.method_id == 40 || spec.method_id == 50) {
          r.path = destination(m.exchange, m.routing_key);
        } else if (spec.method_id == 10) {
          r.detail = "prefetch " + std::to_string(m.prefetch_count);
        } else if (!m.consumer_tag.empty() && m.queue.empty()) {
          r.path = consumer_queue(c, m.consumer_tag);
        } else {
          r.path = m.queue;
        }
        break;
      default:
        break;
    }
    if (m.reply_code != 0) set_reply(r, m);
    if (side == kServer && spec.sender == Sender::Both) r.detail = "from server";
    r.route = r.path.empty() ? r.method : route_of(r.path);
    return r;
  }

  // A close (or basic.return) names a reply code: 200 is a normal close.
  static void set_reply(Record& r, const Method& m) {
    r.status = m.reply_code;
    r.error = m.reply_code >= 300;
    if (r.error) {
      r.error_code = reply_code_name(m.reply_code);
      r.error_message.assign(utf8::cut(m.reply_text, 255));
    }
  }

  // `m` answers the oldest request of `requester` on the channel it fits.
  void answer(Channel& c, uint16_t ch, Side requester, const Method& m, uint64_t ts, uint64_t wire,
              std::vector<Record>& out) {
    const MethodSpec& spec = *m.spec;
    auto& queue = c.pending[requester];
    auto it = std::find_if(queue.begin(), queue.end(), [&](const Pending& p) {
      return p.spec->class_id == spec.class_id &&
             (p.spec->reply_id == spec.method_id || p.spec->alt_reply_id == spec.method_id);
    });
    if (it == queue.end()) return;  // its request was not seen
    // Requests before it were answered in frames not seen.
    stats_.unmatched += static_cast<uint64_t>(it - queue.begin());
    held_records_ -= static_cast<size_t>(it - queue.begin()) + 1;
    Pending p = std::move(*it);
    queue.erase(queue.begin(), it + 1);
    Record& r = p.record;
    r.end_ns = ts;
    r.resp_bytes += wire;
    switch (spec.class_id << 8 | spec.method_id) {
      case 50 << 8 | 11:  // queue.declare-ok: a server-named queue gets its name here
        if (r.path.empty()) {
          r.path = m.queue;
          r.route = route_of(r.path);
        }
        r.detail = std::to_string(m.message_count) + " messages, " +
                   std::to_string(m.consumer_count) + " consumers";
        break;
      case 50 << 8 | 31:  // queue.purge-ok
      case 50 << 8 | 41:  // queue.delete-ok
        r.detail = std::to_string(m.message_count) + " messages";
        break;
      case 60 << 8 | 21:  // basic.consume-ok
        remember_consumer(c, m.consumer_tag, p.queue);
        r.detail = "consumer " + std::string(utf8::cut(m.consumer_tag, 255));
        break;
      case 60 << 8 | 31:  // basic.cancel-ok
        forget_consumer(c, m.consumer_tag);
        break;
      case 60 << 8 | 72:  // basic.get-empty
        r.detail = "empty";
        break;
      case 60 << 8 | 71: {  // basic.get-ok: the message follows
        Content content{.record = std::move(r)};
        content.from = " from " + destination(m.exchange, m.routing_key);
        c.content[kServer] = std::move(content);
        ++held_records_;
        return;
      }
      default:
        break;
    }
    if (!p.silent) emit(std::move(r), out);
    if (spec.class_id == 20 && spec.method_id == 41) forget_channel(ch);
    if (spec.class_id == 10 && spec.method_id == 51) forget_channels();
  }

  // A close from one side fails the other side's request on that channel
  // (connection.close: on channel 0): the request's record ends with the
  // close's reply code. Returns true when it did.
  bool fail_pending(uint16_t ch, Side requester, const Method& m, uint64_t ts, uint64_t wire,
                    std::vector<Record>& out) {
    Channel* c = channel(ch);
    auto& queue = c->pending[requester];
    if (queue.empty()) return false;
    Record r = std::move(queue.front().record);
    stats_.unmatched += queue.size() - 1;
    held_records_ -= queue.size();
    queue.clear();
    r.end_ns = ts;
    r.resp_bytes += wire;
    set_reply(r, m);
    emit(std::move(r), out);
    return true;
  }

  void on_content_header(uint16_t ch, Direction dir, std::string_view payload, uint64_t ts,
                         uint64_t wire, std::vector<Record>& out) {
    Content* content = content_of(ch, dir);
    if (!content || content->header_seen) return;  // a message begun before the capture
    auto size = content_body_size(payload);
    if (!size) {
      ++stats_.parse_errors;
      drop_content(*channel(ch), side_of(dir));
      return;
    }
    content->header_seen = true;
    content->body_left = *size;
    content->record.detail = std::to_string(*size) + content->from;
    add_bytes(*content, dir, wire);
    if (*size == 0) finish_content(ch, dir, ts, out);
  }

  void on_content_body(uint16_t ch, Direction dir, uint64_t size, uint64_t ts, uint64_t wire,
                       std::vector<Record>& out) {
    Content* content = content_of(ch, dir);
    if (!content || !content->header_seen) return;
    if (size > content->body_left) {
      ++stats_.parse_errors;  // more body than its header announced
      drop_content(*channel(ch), side_of(dir));
      return;
    }
    content->body_left -= size;
    add_bytes(*content, dir, wire);
    if (content->body_left == 0) finish_content(ch, dir, ts, out);
  }

  void add_bytes(Content& content, Direction dir, uint64_t wire) {
    (side_of(dir) == kClient ? content.record.req_bytes : content.record.resp_bytes) += wire;
  }

  void finish_content(uint16_t ch, Direction dir, uint64_t ts, std::vector<Record>& out) {
    auto& slot = channel(ch)->content[side_of(dir)];
    slot->record.end_ns = ts;
    emit(std::move(slot->record), out);
    slot.reset();
    --held_records_;
  }

  Content* content_of(uint16_t ch, Direction dir) {
    if (!client_dir_known_) return nullptr;
    auto it = channels_.find(ch);
    if (it == channels_.end()) return nullptr;
    auto& slot = it->second.content[side_of(dir)];
    return slot ? &*slot : nullptr;
  }

  void drop_content(Channel& c, Side side) {
    if (!c.content[side]) return;
    c.content[side].reset();
    --held_records_;
    ++stats_.unmatched;
  }

  // The state of channel `ch`, created on first use; nullptr when too many
  // channels have state already.
  Channel* channel(uint16_t ch) {
    auto it = channels_.find(ch);
    if (it != channels_.end()) return &it->second;
    if (channels_.size() == kMaxChannels) return nullptr;
    return &channels_[ch];
  }

  void forget_channel(uint16_t ch) {
    auto it = channels_.find(ch);
    if (it == channels_.end()) return;
    release(it->second);
    channels_.erase(it);
  }

  void forget_channels() {
    for (auto& [ch, c] : channels_) release(c);
    channels_.clear();
  }

  // Requests and messages a channel held end unanswered.
  void release(Channel& c) {
    size_t held =
        c.pending[0].size() + c.pending[1].size() + (c.content[0] ? 1 : 0) + (c.content[1] ? 1 : 0);
    stats_.unmatched += held;
    held_records_ -= held;
    consumers_ -= c.consumers.size();
  }

  void remember_consumer(Channel& c, std::string_view tag, std::string_view queue) {
    if (consumers_ == kMaxConsumers || tag.empty()) return;
    c.consumers.emplace_back(utf8::cut(tag, 255), utf8::cut(queue, 255));
    ++consumers_;
  }

  void forget_consumer(Channel& c, std::string_view tag) {
    auto it = std::find_if(c.consumers.begin(), c.consumers.end(),
                           [&](const auto& e) { return e.first == tag; });
    if (it == c.consumers.end()) return;
    c.consumers.erase(it);
    --consumers_;
  }

  static std::string consumer_queue(const Channel& c, std::string_view tag) {
    for (const auto& [t, queue] : c.consumers)
      if (t == tag) return queue;
    return {};
  }

  void emit(Record r, std::vector<Record>& out) {
    out.push_back(std::move(r));
    ++stats_.records;
  }

  // Framing of one direction is lost until its next segment (better a
  // missing record than a wrong one); the other direction carries on.
  void lose_framing(Framer& f, bool malformed) {
    f.broken = true;
    ++stats_.resyncs;
    if (malformed) ++stats_.parse_errors;
  }

  static Direction opposite(Direction d) {
    return d == Direction::Egress ? Direction::Ingress : Direction::Egress;
  }

  Role role_;
  Direction client_dir_ = Direction::Egress;
  bool client_dir_known_ = false;
  uint64_t frame_max_ = kDefaultFrameMax;
  std::string vhost_;
  Framer framers_[2];  // indexed by Direction
  std::map<uint16_t, Channel> channels_;
  size_t held_records_ = 0;  // pending requests and messages in flight, all channels
  size_t consumers_ = 0;     // consumer tags remembered, all channels
  ParserStats stats_;
};

}  // namespace

std::unique_ptr<ProtocolParser> make_parser(Role role) {
  return std::make_unique<AmqpParser>(role);
}

}  // namespace loupe::amqp
