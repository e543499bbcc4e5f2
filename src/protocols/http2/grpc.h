// gRPC over HTTP/2 (the "PROTOCOL-HTTP2" spec of grpc/grpc): what makes a
// stream a gRPC call, the length-prefixed messages of its DATA, and the
// status codes of its trailers.
#pragma once

#include <cstdint>
#include <string_view>

namespace loupe::http2 {

// True for a content-type of application/grpc, with or without a subtype
// (+proto, +json, ...).
bool is_grpc_content_type(std::string_view content_type);

// Counts the messages of one direction of a call from its DATA bytes:
// each is a 1-byte compressed flag, a 4-byte big-endian length, then that
// many bytes. Bytes the capture lost inside a message body keep the count;
// a loss inside a 5-byte prefix makes it unknown.
class GrpcMessageCounter {
 public:
  void feed(std::string_view bytes);
  void skip(uint64_t n);
  uint64_t messages() const { return messages_; }
  bool known() const { return known_; }

 private:
  uint8_t prefix_read_ = 0;  // bytes of the 5-byte prefix read
  uint32_t length_ = 0;
  uint64_t body_left_ = 0;
  uint64_t messages_ = 0;
  bool known_ = true;
};

// The canonical name of a gRPC status code (OK, CANCELLED, ... UNAUTHENTICATED),
// "UNKNOWN" beyond them.
std::string_view grpc_status_name(int code);

// The gRPC status a client reports for a response without grpc-status,
// from its HTTP status (the spec's "HTTP to gRPC status code mapping").
int grpc_status_from_http(int http_status);

}  // namespace loupe::http2
