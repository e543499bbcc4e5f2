#include "protocols/dns/tcp_framer.h"

#include <algorithm>
#include <cstring>

namespace loupe::dns {

void TcpFramer::reset() {
  prefix_have_ = 0;
  want_ = have_ = kept_ = 0;
  contiguous_ = true;
  message_ = {};
}

TcpFramer::Status TcpFramer::feed(std::string_view data, size_t& used) {
  size_t i = 0;
  while (i < data.size()) {
    if (prefix_have_ < 2) {
      prefix_[prefix_have_++] = static_cast<uint8_t>(data[i++]);
      if (prefix_have_ < 2) continue;
      want_ = static_cast<uint32_t>((prefix_[0] << 8) | prefix_[1]);
      have_ = kept_ = 0;
      contiguous_ = true;
      // Whole message inside this segment: hand out a view, copy nothing.
      if (data.size() - i >= want_) {
        message_ = data.substr(i, want_);
        used = i + want_;
        prefix_have_ = 0;
        return Status::Message;
      }
      continue;
    }
    size_t n = std::min<size_t>(want_ - have_, data.size() - i);
    if (contiguous_ && kept_ < kKeep) {
      if (!buf_) buf_ = std::make_unique<char[]>(kKeep);  // once per connection
      size_t keep = std::min<size_t>(n, kKeep - kept_);
      std::memcpy(buf_.get() + kept_, data.data() + i, keep);
      kept_ += static_cast<uint32_t>(keep);
    }
    have_ += static_cast<uint32_t>(n);
    i += n;
    if (have_ == want_) {
      message_ = std::string_view(buf_ ? buf_.get() : "", kept_);
      used = i;
      prefix_have_ = 0;
      return Status::Message;
    }
  }
  used = i;
  return Status::NeedMore;
}

TcpFramer::Status TcpFramer::skip(uint64_t n) {
  if (n == 0) return Status::NeedMore;
  if (prefix_have_ < 2 || n > want_ - have_) return Status::Lost;
  have_ += static_cast<uint32_t>(n);
  contiguous_ = false;
  if (have_ < want_) return Status::NeedMore;
  message_ = std::string_view(buf_ ? buf_.get() : "", kept_);
  prefix_have_ = 0;
  return Status::Message;
}

}  // namespace loupe::dns
