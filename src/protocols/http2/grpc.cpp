#include "protocols/http2/grpc.h"

#include <algorithm>
#include <array>

namespace loupe::http2 {

bool is_grpc_content_type(std::string_view ct) {
  constexpr std::string_view kGrpc = "application/grpc";
  if (ct.size() < kGrpc.size() || ct.substr(0, kGrpc.size()) != kGrpc) return false;
  return ct.size() == kGrpc.size() || ct[kGrpc.size()] == '+' || ct[kGrpc.size()] == ';';
}

void GrpcMessageCounter::feed(std::string_view bytes) {
  while (!bytes.empty()) {
    if (body_left_ > 0) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(body_left_, bytes.size()));
      body_left_ -= n;
      bytes.remove_prefix(n);
      continue;
    }
    // The prefix: byte 0 is the compressed flag, bytes 1-4 the length.
    if (prefix_read_ >= 1) length_ = length_ << 8 | static_cast<uint8_t>(bytes[0]);
    bytes.remove_prefix(1);
    if (++prefix_read_ == 5) {
      ++messages_;
      body_left_ = length_;
      prefix_read_ = 0;
      length_ = 0;
    }
  }
}

void GrpcMessageCounter::skip(uint64_t n) {
  if (n <= body_left_) {
    body_left_ -= n;
    return;
  }
  known_ = false;  // the gap covered a prefix: where messages start is lost
  body_left_ = 0;
  prefix_read_ = 0;
}

std::string_view grpc_status_name(int code) {
  static constexpr std::array<std::string_view, 17> kNames{"OK",
                                                           "CANCELLED",
                                                           "UNKNOWN",
                                                           "INVALID_ARGUMENT",
                                                           "DEADLINE_EXCEEDED",
                                                           "NOT_FOUND",
                                                           "ALREADY_EXISTS",
                                                           "PERMISSION_DENIED",
                                                           "RESOURCE_EXHAUSTED",
                                                           "FAILED_PRECONDITION",
                                                           "ABORTED",
                                                           "OUT_OF_RANGE",
                                                           "UNIMPLEMENTED",
                                                           "INTERNAL",
                                                           "UNAVAILABLE",
                                                           "DATA_LOSS",
                                                           "UNAUTHENTICATED"};
  return code >= 0 && code < static_cast<int>(kNames.size()) ? kNames[code] : "UNKNOWN";
}

int grpc_status_from_http(int http_status) {
  switch (http_status) {
    case 400:
      return 13;  // INTERNAL
    case 401:
      return 16;  // UNAUTHENTICATED
    case 403:
      return 7;  // PERMISSION_DENIED
    case 404:
      return 12;  // UNIMPLEMENTED
    case 429:
    case 502:
    case 503:
    case 504:
      return 14;  // UNAVAILABLE
    default:
      return 2;  // UNKNOWN
  }
}

}  // namespace loupe::http2
