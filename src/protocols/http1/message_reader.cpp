#include "protocols/http1/message_reader.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "core/hex_digit.h"
#include "protocols/http1/start_line.h"

// A message start's steps (step, step_start, begin_body) are
// [[gnu::always_inline]] into feed, as the parser's handlers are into
// on_head and on_end (parser.cpp): fewer calls per message. step_head and
// end_message, called from several places, stay calls (copied into each,
// the pump took more CPU; docs/benchmarks.md, "issue 14, pumpparse").
namespace loupe::http1 {
namespace {

// Enough bytes to decide request_start/response_start either way.
constexpr size_t kMaxProbe = kMaxMethodLen + 1 + kMaxUnknownMethodLine + 16;

}  // namespace

MessageReader::MessageReader(bool request, MessageSink& sink, ParserStats& stats)
    : sink_(sink), stats_(stats), request_(request) {}

void MessageReader::feed(std::string_view bytes, uint64_t gap, uint64_t ts) {
  // `cur` is what is being parsed now; after a resync it is the replayed
  // bytes (the searched bytes from the found message start), and `rest`
  // holds the caller's bytes that follow it.
  std::string_view cur = bytes;
  std::string_view rest;
  bool cur_is_replay = false;
  while (true) {
    if (cur.empty()) {
      if (rest.empty()) break;
      cur = rest;
      rest = {};
      cur_is_replay = false;
    }
    if (state_ == State::Seek) {
      cur.remove_prefix(seek(cur));
      if (state_ == State::Seek) continue;
      // The search buffer now starts at a message start and precedes `cur`.
      Resync& r = resync();
      std::string next = std::move(r.seek_buf);
      r.seek_buf.clear();
      if (cur_is_replay) {
        next.append(cur);
      } else {
        rest = cur;
      }
      r.replay = std::move(next);
      cur = r.replay;
      cur_is_replay = true;
      continue;
    }
    State before = state_;
    size_t n = step(cur, ts);
    if (n == 0 && state_ == before) {  // cannot happen; never spin on a bug
      fail();
      n = cur.size();
    }
    cur.remove_prefix(std::min(n, cur.size()));
  }
  // Replayed bytes are parsed by now: kept only while still searching.
  if (resync_ && state_ != State::Seek) resync_.reset();
  if (gap > 0) skip_gap(gap, ts);
}

[[gnu::always_inline]] inline size_t MessageReader::step(std::string_view data, uint64_t ts) {
  switch (state_) {
    case State::Start:
      return step_start(data, ts);
    case State::Head:
      return step_head(data, ts);
    case State::LengthBody:
    case State::ChunkData:
    case State::UntilClose:
      return step_body(data, ts);
    case State::ChunkSize:
    case State::ChunkExt:
    case State::ChunkSizeLf:
    case State::ChunkDataCr:
    case State::ChunkDataLf:
      return step_chunk_line(data, ts);
    case State::Trailers:
      return step_trailers(data, ts);
    case State::Ignore:
      sink_.on_tunnelled(request_, data);
      break;
    case State::Seek:  // handled by feed()
    case State::Hold:
      break;
  }
  return data.size();
}

[[gnu::always_inline]] inline size_t MessageReader::step_start(std::string_view data, uint64_t ts) {
  if (head_.empty()) {
    // RFC 9112 2.2: tolerate empty lines before a message.
    size_t i = 0;
    while (i < data.size() && (data[i] == '\r' || data[i] == '\n')) ++i;
    if (i > 0) return i;
    start_ts_ = ts;
    msg_bytes_ = 0;
  }
  // The start check may need a whole request line (a method Loupe does not
  // know); an undecided prefix waits in head_ (bounded: kMaxProbe decides).
  const size_t held = head_.size();
  std::string_view probe = data;
  if (held > 0) {
    head_.append(data.substr(0, kMaxProbe - std::min(held, kMaxProbe)));
    probe = head_;
  }
  Detection d = request_ ? request_start(probe) : response_start(probe);
  if (d == Detection::NeedMore) {
    if (held == 0) head_.assign(data);
    return data.size();
  }
  head_.resize(held);  // `data` is consumed by the next state
  if (d == Detection::Match) {
    state_ = State::Head;
    head_scan_ = 0;
    return step_head(data, ts);  // at once: most heads are whole in the segment
  }
  if (!request_ && sink_.simple_response_next()) {
    // An HTTP/0.9 response: no status line, the body runs until close.
    msg_bytes_ = head_.size();
    head_.clear();
    BodyPlan plan = sink_.on_head(false, Head{}, start_ts_);
    begin_body(plan, ts);
    return 0;
  }
  // Not a message start (e.g. the parser began mid-stream): search for one.
  resync().seek_buf.assign(head_);
  head_.clear();
  enter_seek();
  return 0;
}

size_t MessageReader::step_head(std::string_view data, uint64_t ts) {
  Head head;
  bool valid = false;
  size_t consumed = 0;
  if (head_.empty()) {
    // Fast path: the whole head is in this segment, found and parsed in
    // place in one pass.
    std::string_view window = data.substr(0, kMaxHead);
    HeadScan found = scan_head(window, request_, head);
    if (found.end == std::string_view::npos) {
      if (window.size() == kMaxHead) {
        fail();
        return window.size();
      }
      head_.assign(data);
      head_scan_ = 0;
      return data.size();
    }
    msg_bytes_ = found.end;
    valid = found.valid;
    consumed = found.end;
  } else {
    size_t old = head_.size();
    size_t take = std::min(data.size(), kMaxHead - old);
    head_.append(data.substr(0, take));
    size_t end = find_head_end(head_, head_scan_, request_);
    if (end == std::string_view::npos) {
      if (head_.size() >= kMaxHead) fail();
      return take;
    }
    head_.resize(end);
    msg_bytes_ = end;
    valid = parse_head(head_, request_, head);
    consumed = end - old;
  }
  last_ts_ = ts;
  if (!valid) {
    fail();
    return consumed;
  }
  BodyPlan plan = sink_.on_head(request_, head, start_ts_);
  head_.clear();  // only after the sink copied what it keeps from `head`
  begin_body(plan, ts);
  return consumed;
}

[[gnu::always_inline]] inline void MessageReader::begin_body(const BodyPlan& plan, uint64_t ts) {
  hold_after_ = plan.hold_after;
  switch (plan.framing) {
    case Framing::None:
      end_message(ts, true);
      break;
    case Framing::Length:
      remaining_ = plan.length;
      state_ = State::LengthBody;
      if (remaining_ == 0) end_message(ts, true);
      break;
    case Framing::Chunked:
      state_ = State::ChunkSize;
      chunk_size_ = 0;
      chunk_digits_ = false;
      line_len_ = 0;
      break;
    case Framing::UntilClose:
      state_ = State::UntilClose;
      break;
    case Framing::Tunnel:
      end_message(ts, true);
      state_ = State::Ignore;
      break;
  }
}

size_t MessageReader::step_body(std::string_view data, uint64_t ts) {
  if (state_ == State::UntilClose) {
    msg_bytes_ += data.size();
    last_ts_ = ts;
    return data.size();
  }
  size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, data.size()));
  remaining_ -= take;
  msg_bytes_ += take;
  if (remaining_ == 0) {
    if (state_ == State::LengthBody) {
      end_message(ts, true);
    } else {
      state_ = State::ChunkDataCr;
    }
  }
  return take;
}

size_t MessageReader::step_chunk_line(std::string_view data, uint64_t ts) {
  size_t i = 0;
  auto bad = [&] {
    msg_bytes_ += i + 1;
    lose_framing(ts);
    return i + 1;
  };
  while (i < data.size()) {
    char c = data[i];
    switch (state_) {
      case State::ChunkSize: {
        if (++line_len_ > kMaxChunkLine) return bad();
        int v = hex_digit(c);
        if (v >= 0) {
          if (chunk_size_ >> 56) return bad();  // would overflow
          chunk_size_ = chunk_size_ * 16 + static_cast<uint64_t>(v);
          chunk_digits_ = true;
        } else if (!chunk_digits_) {
          return bad();
        } else if (c == ';' || c == ' ' || c == '\t') {
          state_ = State::ChunkExt;
        } else if (c == '\r') {
          state_ = State::ChunkSizeLf;
        } else if (c == '\n') {
          chunk_line_done();
        } else {
          return bad();
        }
        ++i;
        break;
      }
      case State::ChunkExt: {
        // Extensions are skipped unparsed, up to the line end.
        const void* p = std::memchr(data.data() + i, '\n', data.size() - i);
        size_t nl =
            p ? static_cast<size_t>(static_cast<const char*>(p) - data.data()) : data.size();
        line_len_ += nl - i;
        if (line_len_ > kMaxChunkLine) {
          i = nl == data.size() ? nl - 1 : nl;
          return bad();
        }
        i = nl;
        if (p) {
          ++i;
          chunk_line_done();
        }
        break;
      }
      case State::ChunkSizeLf:
        if (c != '\n') return bad();
        ++i;
        chunk_line_done();
        break;
      case State::ChunkDataCr:
      case State::ChunkDataLf:
        if (c == '\r' && state_ == State::ChunkDataCr) {
          state_ = State::ChunkDataLf;
        } else if (c == '\n') {
          state_ = State::ChunkSize;
          chunk_size_ = 0;
          chunk_digits_ = false;
          line_len_ = 0;
        } else {
          return bad();
        }
        ++i;
        break;
      default:  // left the chunk-line states
        msg_bytes_ += i;
        return i;
    }
  }
  msg_bytes_ += i;
  return i;
}

void MessageReader::chunk_line_done() {
  if (chunk_size_ == 0) {
    state_ = State::Trailers;
    line_len_ = 0;
    trailer_bytes_ = 0;
  } else {
    remaining_ = chunk_size_;
    state_ = State::ChunkData;
  }
}

size_t MessageReader::step_trailers(std::string_view data, uint64_t ts) {
  size_t i = 0;
  while (i < data.size()) {
    char c = data[i++];
    if (++trailer_bytes_ > kMaxTrailers) {
      msg_bytes_ += i;
      lose_framing(ts);
      return i;
    }
    if (c == '\n') {
      if (line_len_ == 0) {
        msg_bytes_ += i;
        end_message(ts, true);
        return i;
      }
      line_len_ = 0;
    } else if (c != '\r') {
      ++line_len_;
    }
  }
  msg_bytes_ += i;
  return i;
}

size_t MessageReader::seek(std::string_view data) {
  // Appends in bounded pieces so the search buffer never exceeds
  // 2 * kSeekKeep, whatever the segment size.
  std::string& seek_buf = resync().seek_buf;
  size_t consumed = 0;
  while (consumed < data.size()) {
    size_t take = std::min(data.size() - consumed, kSeekKeep);
    seek_buf.append(data.substr(consumed, take));
    consumed += take;
    size_t pos = find_message_start(seek_buf, request_);
    if (pos != std::string_view::npos) {
      seek_buf.erase(0, pos);
      state_ = State::Start;
      return consumed;
    }
    if (seek_buf.size() > kSeekKeep) seek_buf.erase(0, seek_buf.size() - kSeekKeep);
  }
  return consumed;
}

void MessageReader::skip_gap(uint64_t gap, uint64_t ts) {
  while (gap > 0) {
    switch (state_) {
      case State::Seek:
        if (resync_) resync_->seek_buf.clear();  // bytes after the gap are not contiguous
        return;
      case State::Hold:
      case State::Ignore:
        return;
      case State::Start:
      case State::Head:
        // A message start or head we cannot see.
        fail();
        return;
      case State::LengthBody:
      case State::ChunkData: {
        uint64_t take = std::min(gap, remaining_);
        remaining_ -= take;
        msg_bytes_ += take;
        gap -= take;
        if (remaining_ == 0) {
          if (state_ == State::LengthBody) {
            end_message(ts, true);
          } else {
            state_ = State::ChunkDataCr;
          }
        }
        break;
      }
      case State::UntilClose:
        msg_bytes_ += gap;
        last_ts_ = ts;
        return;
      default:  // chunk-size line, chunk CRLF or trailers: framing lost
        msg_bytes_ += gap;
        lose_framing(ts);
        return;
    }
  }
}

void MessageReader::end_message(uint64_t ts, bool complete) {
  uint64_t bytes = msg_bytes_;
  state_ = hold_after_ && complete ? State::Hold : State::Start;
  hold_after_ = false;
  msg_bytes_ = 0;
  sink_.on_end(request_, ts, bytes, complete);
}

void MessageReader::lose_framing(uint64_t ts) {
  end_message(ts, false);
  fail();
}

void MessageReader::fail() {
  ++stats_.parse_errors;
  head_.clear();
  enter_seek();
}

void MessageReader::enter_seek() {
  ++stats_.resyncs;
  state_ = State::Seek;
  msg_bytes_ = 0;
  hold_after_ = false;
}

void MessageReader::close() {
  if (state_ == State::UntilClose) end_message(last_ts_, true);
  state_ = State::Start;
  head_.clear();
  resync_.reset();
  msg_bytes_ = 0;
  hold_after_ = false;
}

void MessageReader::resume() {
  if (state_ == State::Hold) state_ = State::Start;
}

}  // namespace loupe::http1
