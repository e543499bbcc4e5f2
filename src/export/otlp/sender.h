// POSTs encoded OTLP requests to a collector over HTTP(S): gzip-compressed
// bodies, the user's headers (--otlp-header), bounded connect/read time,
// and an answer the exporter can act on (docs/export.md#otlp):
//   2xx                       -> Sent (partial success is read by the caller)
//   429, 502, 503, 504,
//   no connection, timeout    -> Retry (after Retry-After when the server says)
//   any other status          -> Rejected (retrying the same body cannot help)
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "export/otlp/encoding.h"

namespace httplib {
class Client;
}

namespace loupe::exporting::otlp {

struct Endpoint {
  std::string origin;  // "http://host:4318"
  std::string prefix;  // path before "/v1/traces", without a trailing '/'
};
// "http://collector:4318" or "https://host/otlp/": the base URL every
// signal's path (/v1/traces, /v1/metrics) is appended to, as
// OTEL_EXPORTER_OTLP_ENDPOINT. nullopt with `error` set otherwise.
std::optional<Endpoint> parse_endpoint(std::string_view url, std::string& error);

struct SenderOptions {
  Endpoint endpoint;
  std::vector<std::pair<std::string, std::string>> headers;
  Encoding encoding = Encoding::Protobuf;
  std::chrono::milliseconds timeout{10'000};  // connect, and each read or write
};

struct SendResult {
  enum Outcome { Sent, Retry, Rejected } outcome = Retry;
  int status = 0;                            // HTTP status; 0 when there was no answer
  std::string error;                         // why, for Retry and Rejected
  std::string body;                          // the answer (Sent: may hold a partial success)
  std::chrono::milliseconds retry_after{0};  // the server's Retry-After, if any
};

class Sender {
 public:
  explicit Sender(SenderOptions options);
  ~Sender();
  // `path` is the signal's path, e.g. "/v1/traces"; `body` is encoded.
  SendResult post(std::string_view path, const std::string& body);
  Encoding encoding() const { return options_.encoding; }

 private:
  SenderOptions options_;
  std::unique_ptr<httplib::Client> client_;
};

}  // namespace loupe::exporting::otlp
