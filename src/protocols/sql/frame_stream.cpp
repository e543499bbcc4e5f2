#include "protocols/sql/frame_stream.h"

#include <algorithm>

namespace loupe::sql {

void FrameStream::feed(std::string_view bytes, uint64_t wire_len, uint64_t ts_ns) {
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  const std::size_t n = bytes.size();
  std::size_t pos = 0;
  while (pos < n) {
    if (!synced_) {
      std::size_t at = 0;
      if (!find_resync(bytes, pos, wire_len, &at)) {
        lost_ += n - pos;
        pos = n;
        break;
      }
      lost_ += at - pos;
      pos = at;
      synced_ = true;
      ++stats_.resyncs;
      handler_.on_resync(lost_);
      lost_ = 0;
    }
    if (!in_msg_) {
      // Fast path: a message wholly inside this segment is handed over as a
      // view, without copying.
      const std::size_t hs = codec_.header_size();
      if (n - pos >= hs) {
        const uint64_t len = codec_.message_length(data + pos);
        if (len < hs) {  // includes 0: implausible header
          ++stats_.parse_errors;
          synced_ = false;
          ++pos;
          continue;
        }
        if (len <= n - pos) {
          Frame f{bytes.substr(pos, len), len, ts_ns, ts_ns};
          pos += len;
          handler_.on_frame(f);
          continue;
        }
      }
      in_msg_ = true;
      buf_.clear();
      buf_closed_ = false;
      msg_len_ = 0;
      consumed_ = 0;
      msg_start_ns_ = ts_ns;
    }
    if (msg_len_ == 0) {
      const std::size_t hs = codec_.header_size();
      const std::size_t take = buf_.size() < hs ? std::min(hs - buf_.size(), n - pos) : 0;
      buf_.append(bytes.data() + pos, take);
      pos += take;
      consumed_ += take;
      if (buf_.size() < hs) break;
      const uint64_t len = codec_.message_length(reinterpret_cast<const uint8_t*>(buf_.data()));
      // len < consumed_ only if the header size changed mid-header (a state
      // switch in the codec): treat like any implausible header.
      if (len < hs || len < consumed_) {
        ++stats_.parse_errors;
        in_msg_ = false;
        synced_ = false;
        continue;
      }
      msg_len_ = len;
      if (consumed_ == msg_len_) {
        emit(ts_ns);
        continue;
      }
    }
    const uint64_t take = std::min<uint64_t>(msg_len_ - consumed_, n - pos);
    if (!buf_closed_ && buf_.size() < kMaxKeep)
      buf_.append(bytes.data() + pos, std::min<uint64_t>(kMaxKeep - buf_.size(), take));
    pos += take;
    consumed_ += take;
    if (consumed_ == msg_len_) emit(ts_ns);
  }
  if (wire_len > n) skip_gap(wire_len - n, ts_ns);
}

void FrameStream::skip_gap(uint64_t gap, uint64_t ts_ns) {
  if (!synced_) {
    lost_ += gap;
    return;
  }
  if (in_msg_) {
    if (msg_len_ == 0) {  // header cut by the gap: its length is unknown
      lost_ += consumed_ + gap;
      in_msg_ = false;
      synced_ = false;
      return;
    }
    // The message continues in the gap: skip by length, keep the prefix.
    buf_closed_ = true;
    const uint64_t rem = msg_len_ - consumed_;
    if (gap < rem) {
      consumed_ += gap;
      return;
    }
    consumed_ = msg_len_;
    gap -= rem;
    emit(ts_ns);
  }
  if (gap > 0) {  // whole messages went by uncaptured: boundaries are lost
    synced_ = false;
    lost_ += gap;
  }
}

void FrameStream::emit(uint64_t ts_ns) {
  in_msg_ = false;
  Frame f{buf_, msg_len_, msg_start_ns_, ts_ns};
  handler_.on_frame(f);
}

// A candidate start is trusted when a chain of plausible headers from it
// reaches the end of the captured bytes exactly, or runs past it after at
// least two messages, or its single message ends exactly where the syscall
// ended. Random payload bytes rarely satisfy that, and the walk is capped so
// the scan stays linear.
bool FrameStream::chain_ok(std::string_view bytes, std::size_t p, uint64_t wire_len) const {
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  const std::size_t n = bytes.size();
  const std::size_t hs = codec_.resync_header_size();
  std::size_t q = p;
  int count = 0;
  const uint8_t* prev = nullptr;
  while (count < kMaxChain) {
    if (q == n) return count >= 1;
    if (n - q < hs) return count >= 2;
    const uint8_t* h = data + q;
    const uint64_t len = codec_.resync_length(h);
    if (len < hs) return false;
    if (prev && !codec_.may_follow(prev, h)) return false;
    ++count;
    prev = h;
    if (len > n - q) return count >= 2 || q + len == wire_len;
    q += len;
  }
  return true;
}

bool FrameStream::find_resync(std::string_view bytes, std::size_t from, uint64_t wire_len,
                              std::size_t* at) const {
  for (std::size_t p = from; p < bytes.size(); ++p) {
    if (chain_ok(bytes, p, wire_len)) {
      *at = p;
      return true;
    }
  }
  return false;
}

}  // namespace loupe::sql
