#include "protocols/redis/resp_reader.h"

#include <algorithm>
#include <cstring>

namespace loupe::redis {
namespace {

// Strict decimal parse of a RESP length/count line; false on anything else.
bool parse_int(std::string_view s, int64_t& v) {
  if (s.empty() || s.size() > 20) return false;
  bool neg = s[0] == '-';
  if (neg) s.remove_prefix(1);
  if (s.empty()) return false;
  int64_t x = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    if (x > (INT64_MAX - 9) / 10) return false;
    x = x * 10 + (c - '0');
  }
  v = neg ? -x : x;
  return true;
}

bool is_reply_type(char c) { return std::strchr("+-:$*_#,(!=%~|>", c) != nullptr && c != '\0'; }

bool is_space(char c) { return c == ' ' || c == '\t'; }

}  // namespace

void RespReader::reset() {
  state_ = State::Type;
  started_ = false;
  depth_ = 0;
  bulk_left_ = 0;
  capture_slot_ = -1;
  line_len_ = 0;
  line_total_ = 0;
  arg_len_ = {};
  msg_ = RespMessage{};
}

RespReader::Status RespReader::feed(std::string_view data, size_t& used) {
  size_t i = 0;
  Status st = Status::NeedMore;
  while (i < data.size() && st == Status::NeedMore) {
    switch (state_) {
      case State::Type:
        st = on_type(data[i++]);
        break;
      case State::Line: {
        const char* nl =
            static_cast<const char*>(std::memchr(data.data() + i, '\n', data.size() - i));
        size_t end = nl ? static_cast<size_t>(nl - data.data()) : data.size();
        if (nl && line_total_ == 0 && line_type_ != '+' && line_type_ != '-' && line_type_ != 'i') {
          // A whole line of a length, a count or a scalar (most lines: "*3",
          // "$16"): read where it is, not copied into line_ first. Lines
          // whose text a message keeps (+, -, inline) are still copied.
          std::string_view text = data.substr(i, end - i);
          i = end + 1;
          line_total_ = text.size();
          line_truncated_ = text.size() > kLineCap;
          if (line_total_ > kMaxLine) {
            st = Status::Malformed;
            break;
          }
          if (!line_truncated_ && !text.empty() && text.back() == '\r') text.remove_suffix(1);
          st = on_line(text);
          break;
        }
        size_t keep = std::min(end - i, kLineCap - line_len_);
        std::memcpy(line_.data() + line_len_, data.data() + i, keep);
        line_len_ += keep;
        line_total_ += end - i;
        i = nl ? end + 1 : end;
        if (line_total_ > kMaxLine) {
          st = Status::Malformed;
        } else if (nl) {
          // RESP lines end in CRLF; tolerate a bare LF like Redis does inline.
          line_truncated_ = line_total_ > line_len_;
          if (!line_truncated_ && line_len_ > 0 && line_[line_len_ - 1] == '\r') --line_len_;
          st = line_type_ == 'i' ? on_inline_line()
                                 : on_line(std::string_view(line_.data(), line_len_));
        }
        break;
      }
      case State::Bulk: {
        size_t n = static_cast<size_t>(std::min<uint64_t>(bulk_left_, data.size() - i));
        if (capture_slot_ >= 0) capture(data.substr(i, n));
        bulk_left_ -= n;
        i += n;
        if (bulk_left_ == 0) st = finish_element(false);
        break;
      }
    }
  }
  used = i;
  return st;
}

RespReader::Status RespReader::skip(uint64_t n) {
  if (n == 0) return Status::NeedMore;
  if (state_ != State::Bulk || n > bulk_left_) return Status::Malformed;
  bulk_left_ -= n;
  capture_slot_ = -1;  // what follows is not contiguous with what we kept
  return bulk_left_ == 0 ? finish_element(false) : Status::NeedMore;
}

RespReader::Status RespReader::on_type(char c) {
  if (!started_) {
    // Between messages a client may send empty lines; Redis ignores them.
    if (side_ == Side::Request && (c == '\r' || c == '\n')) return Status::NeedMore;
    msg_ = RespMessage{};
    arg_len_ = {};
    started_ = true;
  }
  if (depth_ == 0 && c != '|') msg_.type = c;
  line_type_ = c;
  line_len_ = 0;
  line_total_ = 0;
  if (side_ == Side::Request) {
    if (depth_ == 0 && c != '*') {
      // Inline command: the type byte is the first letter of the line.
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) return Status::Malformed;
      msg_.type = 'i';
      line_type_ = 'i';
      line_[0] = c;
      line_len_ = line_total_ = 1;
    } else if (depth_ > 0 && c != '$') {
      return Status::Malformed;  // commands are arrays of bulk strings only
    }
  } else if (!is_reply_type(c)) {
    return Status::Malformed;
  }
  state_ = State::Line;
  return Status::NeedMore;
}

RespReader::Status RespReader::on_line(std::string_view text) {
  state_ = State::Type;
  int64_t n = 0;
  switch (line_type_) {
    case '+':
    case '-':
      if (depth_ == 0) msg_.line = text;
      return finish_element(false);
    case ':':
    case '_':
    case '#':
    case ',':
    case '(':
      return finish_element(false);
    case '$':
    case '!':
    case '=':
      // "$?" (RESP3 streamed strings) is never sent by Redis; not handled.
      if (line_truncated_ || !parse_int(text, n)) return Status::Malformed;
      return begin_bulk(n);
    case '*':
    case '%':
    case '~':
    case '|':
    case '>':
      if (line_truncated_ || !parse_int(text, n)) return Status::Malformed;
      if (n >= (int64_t{1} << 31)) return Status::Malformed;  // doubled below, fits 32 bits
      if (line_type_ == '%' || line_type_ == '|') n *= 2;
      return begin_aggregate(n);
    default:
      return Status::Malformed;
  }
}

RespReader::Status RespReader::on_inline_line() {
  state_ = State::Type;
  std::string_view text(line_.data(), line_len_);
  // Plain text only: binary here means we are not looking at a command.
  for (char c : text)
    if (static_cast<unsigned char>(c) < 0x20 && !is_space(c)) return Status::Malformed;
  size_t pos = 0;
  while (pos < text.size() && msg_.nargs < RespMessage::kMaxArgs) {
    while (pos < text.size() && is_space(text[pos])) ++pos;
    size_t start = pos;
    while (pos < text.size() && !is_space(text[pos])) ++pos;
    if (pos > start) msg_.args[msg_.nargs++] = text.substr(start, std::min(pos - start, kArgCap));
  }
  for (char c : msg_.args[0])
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) return Status::Malformed;
  started_ = false;
  return Status::Message;
}

RespReader::Status RespReader::begin_bulk(int64_t n) {
  if (n == -1) return finish_element(false);  // null bulk
  if (n < 0 || n > (int64_t{1} << 32)) return Status::Malformed;
  capture_slot_ = -1;
  if (depth_ == 0) {
    capture_slot_ = 0;
  } else if (side_ == Side::Request && depth_ == 1) {
    uint32_t index = stack_[0].count - stack_[0].remaining;
    if (index < RespMessage::kMaxArgs) {
      capture_slot_ = static_cast<int>(index);
      msg_.nargs = static_cast<size_t>(index) + 1;
    }
  }
  bulk_left_ = static_cast<uint64_t>(n) + 2;  // payload and its CRLF
  // Only the payload is captured, never the CRLF after it.
  if (capture_slot_ >= 0) arg_len_[capture_slot_] = 0;
  capture_payload_left_ = static_cast<uint64_t>(n);
  state_ = State::Bulk;
  return Status::NeedMore;
}

RespReader::Status RespReader::begin_aggregate(int64_t n) {
  bool attribute = line_type_ == '|';
  if (n <= 0) return finish_element(attribute);  // empty or null (*-1) aggregate
  if (depth_ == kMaxDepth) return Status::Malformed;
  stack_[depth_++] = Level{static_cast<uint32_t>(n), static_cast<uint32_t>(n), attribute};
  return Status::NeedMore;
}

RespReader::Status RespReader::finish_element(bool attribute) {
  state_ = State::Type;
  capture_slot_ = -1;
  while (depth_ > 0) {
    // An attribute annotates the element after it; it is not counted.
    if (attribute) return Status::NeedMore;
    Level& top = stack_[depth_ - 1];
    if (--top.remaining > 0) return Status::NeedMore;
    attribute = top.attribute;
    --depth_;
  }
  if (attribute) return Status::NeedMore;  // the reply it annotates follows
  started_ = false;
  return Status::Message;
}

void RespReader::capture(std::string_view bytes) {
  size_t slot = static_cast<size_t>(capture_slot_);
  size_t payload = static_cast<size_t>(std::min<uint64_t>(bytes.size(), capture_payload_left_));
  capture_payload_left_ -= payload;
  size_t keep = std::min(payload, kArgCap - arg_len_[slot]);
  std::memcpy(args_[slot].data() + arg_len_[slot], bytes.data(), keep);
  arg_len_[slot] += keep;
  msg_.args[slot] = std::string_view(args_[slot].data(), arg_len_[slot]);
  if (depth_ == 0) msg_.nargs = std::max<size_t>(msg_.nargs, 1);
}

}  // namespace loupe::redis
