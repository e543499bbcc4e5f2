// The HTTP/2 connection parser: frames of both directions, HPACK per
// direction, and one record per stream (request HEADERS to the response's
// END_STREAM).
#include <charconv>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/utf8.h"
#include "protocols/http1/route_template.h"
#include "protocols/http1/trace_context.h"
#include "protocols/http2/frame.h"
#include "protocols/http2/grpc.h"
#include "protocols/http2/hpack.h"
#include "protocols/http2/http2.h"

namespace loupe::http2 {
namespace {

// Streams open at once per connection; a new stream beyond it drops the
// oldest (counted unmatched). Servers default to 100-250 concurrent streams.
constexpr size_t kMaxStreams = 1024;
// One header block (HEADERS/PUSH_PROMISE + CONTINUATIONs) held at most;
// a larger one is skipped and its stream dropped.
constexpr size_t kMaxHeaderBlock = 64 * 1024;
constexpr size_t kMaxPath = 1024;
constexpr size_t kMaxHost = 256;
constexpr size_t kMaxMethod = 40;
constexpr size_t kMaxMessage = 1024;

uint32_t be32(std::string_view b) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4 && i < b.size(); ++i) v = v << 8 | static_cast<uint8_t>(b[i]);
  return v;
}

struct Stream {
  uint64_t start_ns = 0;
  bool request_seen = false;   // the request's header block decoded
  bool response_seen = false;  // the final (non-1xx) response header block decoded
  bool partial = false;        // a field was unknown (HPACK table not seen)
  uint64_t req_bytes = 0;
  uint64_t resp_bytes = 0;
  std::string method;
  std::string path;
  std::string authority;
  std::string trace_id;
  int status = 0;
  // gRPC: a request with content-type application/grpc.
  bool grpc = false;
  int grpc_status = -1;  // from grpc-status, -1 until seen
  std::string grpc_message;
  GrpcMessageCounter req_messages;
  GrpcMessageCounter resp_messages;
};

// One direction of the connection.
struct Side {
  FrameReader reader;
  std::optional<HpackDecoder> hpack;  // made at the first header block
  bool started = false;               // a segment was seen
  uint64_t preface_left = 0;          // client preface bytes still to skip
  // The header block being reassembled.
  bool in_block = false;
  bool block_lost = false;
  bool block_end_stream = false;
  uint64_t block_wire_bytes = 0;  // frames of the block, headers included
  FrameType block_type = FrameType::Headers;
  uint32_t block_stream = 0;
  uint32_t promised = 0;
  std::string block;
};

class Http2Parser final : public ProtocolParser, private FrameReader::Handler {
 public:
  explicit Http2Parser(Role role) : role_(role) {
    if (role != Role::Unknown) {
      req_dir_ = request_direction(role);
      dir_known_ = true;
    }
  }

  // The connection switched to HTTP/2 from HTTP/1.1: seen from its start,
  // with stream 1 open for the upgraded request.
  explicit Http2Parser(const ProtocolSwitch& from) : role_(from.request.role) {
    req_dir_ = from.request_dir;
    dir_known_ = true;
    from_start_ = true;
    Stream& st = streams_[1];
    const Record& r = from.request;
    st.start_ns = r.start_ns;
    st.request_seen = true;
    st.req_bytes = r.req_bytes;
    st.resp_bytes = r.resp_bytes;
    st.method.assign(utf8::cut(r.method, kMaxMethod));
    st.path.assign(utf8::cut(r.path, kMaxPath));
    st.authority.assign(utf8::cut(r.host, kMaxHost));
    st.trace_id = r.trace_id;
  }

  void feed(const Segment& seg, std::vector<Record>& out) override {
    dir_ = seg.dir;
    ts_ = seg.ts_ns;
    out_ = &out;
    Side& s = side(dir_);
    std::string_view bytes = seg.bytes;
    if (!s.started) {
      s.started = true;
      const size_t n = std::min(bytes.size(), kClientPreface.size());
      if (n > 0 && bytes.substr(0, n) == kClientPreface.substr(0, n)) {
        // The connection is seen from its first byte: HPACK tables are known.
        s.preface_left = kClientPreface.size();
        from_start_ = true;
        if (!dir_known_) {
          req_dir_ = dir_;
          dir_known_ = true;
        }
      }
    }
    uint64_t gap = seg.length > bytes.size() ? seg.length - bytes.size() : 0;
    if (s.preface_left > 0) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(s.preface_left, bytes.size()));
      bytes.remove_prefix(n);
      s.preface_left -= n;
      const uint64_t g = std::min(gap, s.preface_left);
      s.preface_left -= g;
      gap -= g;
    }
    if (s.reader.broken()) {
      // Writes tend to start at frame boundaries: retry at a segment start.
      if (!plausible_frames(bytes)) return;
      s.reader.resume();
    }
    if (!s.reader.feed(bytes, *this) || !s.reader.skip(gap, *this)) lose_framing(s);
    out_ = nullptr;
  }

  void close(uint64_t, std::vector<Record>&) override { drop_streams(); }

  const ParserStats& stats() const override { return stats_; }

  size_t memory_bytes() const override {
    size_t n = sizeof(*this) + streams_.size() * (sizeof(Stream) + 64);
    for (const Side& s : sides_) {
      n += s.block.capacity() + s.reader.memory_bytes();
      if (s.hpack) n += s.hpack->memory_bytes();
    }
    return n;
  }

 private:
  Side& side(Direction d) { return sides_[static_cast<size_t>(d)]; }
  bool is_request_dir() const { return dir_known_ && dir_ == req_dir_; }

  // --- FrameReader::Handler ---

  void on_frame(const FrameHeader& h, std::string_view payload, bool complete) override {
    Side& s = side(dir_);
    switch (h.type) {
      case FrameType::Headers:
      case FrameType::PushPromise: {
        if (s.in_block) {  // the previous block never got its END_HEADERS
          ++stats_.parse_errors;
          s.block_lost = true;
          finish_block(s);
        }
        s.in_block = true;
        s.block_lost = !complete;
        s.block_type = h.type;
        s.block_stream = h.stream;
        s.block_end_stream = h.type == FrameType::Headers && h.has(flags::kEndStream);
        s.promised = 0;
        s.block_wire_bytes = 0;
        s.block.clear();
        append_fragment(s, h, header_block_fragment(h, payload, s.promised));
        break;
      }
      case FrameType::Continuation:
        if (!s.in_block || h.stream != s.block_stream) {
          ++stats_.parse_errors;
          break;
        }
        if (!complete) s.block_lost = true;
        append_fragment(s, h, payload);
        break;
      case FrameType::RstStream:
        on_reset(h.stream, be32(payload));
        break;
      case FrameType::Goaway:
        if (!is_request_dir()) on_goaway(be32(payload) & 0x7fffffffu);
        break;
      default:  // SETTINGS, PING, WINDOW_UPDATE, PRIORITY, unknown types
        break;
    }
  }

  void on_data(const FrameHeader& h, std::string_view bytes, uint64_t lost, bool end) override {
    Stream* st = find(h.stream);
    if (st == nullptr) return;
    // Counted for every stream: a call may be known as gRPC only from its
    // response's content-type.
    GrpcMessageCounter& messages = is_request_dir() ? st->req_messages : st->resp_messages;
    messages.feed(bytes);
    if (lost > 0) messages.skip(lost);
    if (!end) return;
    count_bytes(*st, kFrameHeaderSize + h.length);
    if (h.has(flags::kEndStream)) end_message(h.stream);
  }

  // --- header blocks ---

  void append_fragment(Side& s, const FrameHeader& h, std::string_view fragment) {
    s.block_wire_bytes += kFrameHeaderSize + h.length;
    if (s.block.size() + fragment.size() > kMaxHeaderBlock) {
      s.block_lost = true;
      s.block = std::string();
    }
    if (!s.block_lost) s.block.append(fragment);
    if (h.has(flags::kEndHeaders)) finish_block(s);
  }

  void finish_block(Side& s) {
    s.in_block = false;
    if (!s.hpack) s.hpack.emplace(from_start_);
    std::vector<HeaderField> fields;
    bool ok = !s.block_lost;
    if (ok) {
      ok = s.hpack->decode(s.block, fields) != HpackDecoder::Result::Malformed;
      if (!ok) ++stats_.parse_errors;
    } else {
      s.hpack->lose_block();
    }
    s.block = std::string();
    if (s.block_type == FrameType::PushPromise) {
      // A pushed response answers the request the server promised.
      if (ok && s.promised != 0) on_request_headers(s.promised, fields);
      return;
    }
    if (!dir_known_) learn_direction(fields);
    if (!ok) {
      drop(s.block_stream);
    } else if (is_request_dir()) {
      on_request_headers(s.block_stream, fields);
    } else {
      on_response_headers(s.block_stream, fields);
    }
    if (Stream* st = find(s.block_stream)) count_bytes(*st, s.block_wire_bytes);
    if (s.block_end_stream) end_message(s.block_stream);
  }

  // With no role given and no preface seen: the side that sends :method is
  // the client.
  void learn_direction(const std::vector<HeaderField>& fields) {
    for (const HeaderField& f : fields) {
      if (!f.known) continue;
      if (f.name == ":method" || f.name == ":status") {
        req_dir_ = f.name == ":method" ? dir_ : other(dir_);
        dir_known_ = true;
        return;
      }
    }
  }

  static Direction other(Direction d) {
    return d == Direction::Egress ? Direction::Ingress : Direction::Egress;
  }

  void on_request_headers(uint32_t id, const std::vector<HeaderField>& fields) {
    if (streams_.size() >= kMaxStreams && find(id) == nullptr) {
      streams_.erase(streams_.begin());  // the oldest stream gives way
      ++stats_.unmatched;
    }
    auto [it, fresh] = streams_.try_emplace(id);
    Stream& st = it->second;
    if (fresh) st.start_ns = ts_;
    if (st.request_seen) return;  // trailers of the request
    st.request_seen = true;
    for (const HeaderField& f : fields) {
      if (!f.known) {
        st.partial = true;
      } else if (f.name == ":method") {
        st.method.assign(utf8::cut(f.value, kMaxMethod));
      } else if (f.name == ":path") {
        st.path.assign(utf8::cut(f.value, kMaxPath));
      } else if (f.name == ":authority" || (f.name == "host" && st.authority.empty())) {
        st.authority.assign(utf8::cut(f.value, kMaxHost));
      } else if (f.name == "traceparent") {
        st.trace_id.assign(http1::trace_id_from_traceparent(f.value));
      } else if (f.name == "content-type") {
        st.grpc = is_grpc_content_type(f.value);
      }
    }
  }

  void on_response_headers(uint32_t id, const std::vector<HeaderField>& fields) {
    Stream* st = find(id);
    if (st == nullptr) return;  // its request was not seen
    for (const HeaderField& f : fields) {
      if (!f.known) {
        st->partial = true;
      } else if (f.name == ":status" && !st->response_seen) {
        int status = 0;
        auto [end, ec] = std::from_chars(f.value.data(), f.value.data() + f.value.size(), status);
        st->status = ec == std::errc() && end == f.value.data() + f.value.size() && status < 1000
                         ? status
                         : 0;
      } else if (f.name == "content-type" && is_grpc_content_type(f.value)) {
        st->grpc = true;
      } else if (f.name == "grpc-status") {
        int code = -1;
        auto [end, ec] = std::from_chars(f.value.data(), f.value.data() + f.value.size(), code);
        if (ec == std::errc() && end == f.value.data() + f.value.size() && code >= 0)
          st->grpc_status = code;
      } else if (f.name == "grpc-message") {
        st->grpc_message.assign(utf8::cut(f.value, kMaxMessage));
      }
    }
    // 1xx responses are interim: the final one follows.
    if (st->status >= 200 || st->status == 0) st->response_seen = true;
  }

  // --- stream ends ---

  Stream* find(uint32_t id) {
    auto it = streams_.find(id);
    return it == streams_.end() ? nullptr : &it->second;
  }

  void count_bytes(Stream& st, uint64_t n) {
    (is_request_dir() ? st.req_bytes : st.resp_bytes) += n;
  }

  // END_STREAM: the response's ends the exchange; the request's only closes
  // its half.
  void end_message(uint32_t id) {
    if (is_request_dir()) return;
    auto it = streams_.find(id);
    if (it == streams_.end()) return;
    emit(it->second, "", "");
    streams_.erase(it);
  }

  void on_reset(uint32_t id, uint32_t code) {
    auto it = streams_.find(id);
    if (it == streams_.end()) return;
    if (it->second.request_seen) {
      emit(it->second, error_code_name(code),
           is_request_dir() ? "stream reset by the client" : "stream reset by the server");
    } else {
      ++stats_.unmatched;
    }
    streams_.erase(it);
  }

  // The server will not process streams above `last_id`: they never complete.
  void on_goaway(uint32_t last_id) {
    for (auto it = streams_.upper_bound(last_id); it != streams_.end();) {
      it = streams_.erase(it);
      ++stats_.unmatched;
    }
  }

  void drop(uint32_t id) {
    if (streams_.erase(id) > 0) ++stats_.unmatched;
  }

  void drop_streams() {
    stats_.unmatched += streams_.size();
    streams_.clear();
  }

  // Framing of one direction is lost until a segment starts with frames.
  // The streams in flight may have lost frames (header blocks, byte counts,
  // their ends): they are marked partial, and the ones whose end was lost
  // are dropped at close or when the stream limit needs room.
  void lose_framing(Side& s) {
    ++stats_.resyncs;
    if (s.in_block) s.block_lost = true;
    s.in_block = false;
    s.block = std::string();
    if (s.hpack) {
      s.hpack->lose_block();
    } else {
      from_start_ = false;  // its first blocks may be in what was lost
    }
    for (auto& [id, st] : streams_) st.partial = true;
  }

  void emit(Stream& st, std::string_view reset_code, std::string_view reset_by) {
    if (out_ == nullptr) return;
    Record& r = out_->emplace_back();
    r.protocol = Protocol::Http2;
    r.role = role_ != Role::Unknown          ? role_
             : req_dir_ == Direction::Egress ? Role::Client
                                             : Role::Server;
    r.start_ns = st.start_ns;
    r.end_ns = std::max(ts_, st.start_ns);
    r.method = std::move(st.method);
    r.path = std::move(st.path);
    r.route = http1::template_route(r.path);
    r.host = std::move(st.authority);
    r.status = st.status;
    r.error = st.status >= 500;
    if (!reset_code.empty()) {
      r.error = r.error || reset_code != "NO_ERROR";
      r.error_code.assign(reset_code);
      r.error_message.assign(reset_by);
    }
    r.trace_id = std::move(st.trace_id);
    r.req_bytes = st.req_bytes;
    r.resp_bytes = st.resp_bytes;
    if (st.grpc) describe_grpc(st, !reset_code.empty(), r);
    if (st.partial) r.detail += r.detail.empty() ? "partial" : ", partial";
    ++stats_.records;
  }

  // A gRPC call: the RPC as route, its status from the trailers.
  static void describe_grpc(Stream& st, bool reset, Record& r) {
    r.protocol = Protocol::Grpc;
    r.route = r.path;
    const size_t slash = r.path.rfind('/');
    r.method.assign(utf8::cut(
        std::string_view(r.path).substr(slash == std::string::npos ? 0 : slash + 1), kMaxMethod));
    int code = st.grpc_status;
    if (code < 0 && reset) code = 1;  // CANCELLED
    // Without grpc-status the spec maps the HTTP status, unless the
    // trailers were there but not decodable (partial): then it is unknown.
    if (code < 0 && !st.partial) code = grpc_status_from_http(st.status);
    r.status = code;
    r.error = code > 0;
    if (code > 0) {
      if (!r.error_message.empty()) r.error_message += ": ";
      r.error_message += st.grpc_message;
      r.error_code.assign(grpc_status_name(code));
    }
    auto count = [](const GrpcMessageCounter& c) {
      return c.known() ? std::to_string(c.messages()) : std::string("?");
    };
    r.detail = "messages: " + count(st.req_messages) + " request, " + count(st.resp_messages) +
               " response";
  }

  Role role_;
  Direction req_dir_ = Direction::Ingress;
  bool dir_known_ = false;
  bool from_start_ = false;  // the client preface was seen
  Side sides_[2];            // indexed by Direction
  std::map<uint32_t, Stream> streams_;
  ParserStats stats_;
  // The segment being fed, for the frame handlers.
  Direction dir_ = Direction::Egress;
  uint64_t ts_ = 0;
  std::vector<Record>* out_ = nullptr;
};

}  // namespace

std::unique_ptr<ProtocolParser> make_parser(Role role) {
  return std::make_unique<Http2Parser>(role);
}

std::unique_ptr<ProtocolParser> make_switched_parser(const ProtocolSwitch& from) {
  return std::make_unique<Http2Parser>(from);
}

}  // namespace loupe::http2
