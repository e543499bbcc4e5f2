#include "export/otlp/sender.h"

#include <httplib.h>

#include <charconv>

namespace loupe::exporting::otlp {

std::optional<Endpoint> parse_endpoint(std::string_view url, std::string& error) {
  size_t scheme_end = url.find("://");
  std::string_view scheme = scheme_end == std::string_view::npos ? "" : url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") {
    error = "expected an http:// or https:// URL, got '" + std::string(url) + "'";
    return std::nullopt;
  }
  std::string_view rest = url.substr(scheme_end + 3);
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (authority.empty() || authority.find_first_of("@?# ") != std::string_view::npos) {
    error = "no host:port in '" + std::string(url) + "'";
    return std::nullopt;
  }
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  if (path.find_first_of("?#") != std::string_view::npos) {
    error = "the endpoint takes no query or fragment: '" + std::string(url) + "'";
    return std::nullopt;
  }
  while (path.ends_with('/')) path.remove_suffix(1);
  return Endpoint{std::string(scheme) + "://" + std::string(authority), std::string(path)};
}

Sender::Sender(SenderOptions options)
    : options_(std::move(options)),
      client_(std::make_unique<httplib::Client>(options_.endpoint.origin)) {
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(options_.timeout);
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(options_.timeout - seconds);
  client_->set_connection_timeout(seconds.count(), micros.count());
  client_->set_read_timeout(seconds.count(), micros.count());
  client_->set_write_timeout(seconds.count(), micros.count());
  client_->set_compress(true);  // gzip request bodies (Content-Encoding: gzip)
  client_->set_keep_alive(true);
  // Headers and body go out in two sends: without this, Nagle holds the
  // body of every request after the first until the collector's delayed
  // ACK (40 ms; see store/clickhouse/client.cpp).
  client_->set_tcp_nodelay(true);
}

Sender::~Sender() = default;

SendResult Sender::post(std::string_view path, const std::string& body) {
  httplib::Headers headers;
  for (const auto& [k, v] : options_.headers) headers.emplace(k, v);
  std::string target = options_.endpoint.prefix + std::string(path);
  auto res = client_->Post(target, headers, body, std::string(content_type(options_.encoding)));
  SendResult out;
  if (!res) {
    out.outcome = SendResult::Retry;
    out.error =
        "POST " + options_.endpoint.origin + target + ": " + httplib::to_string(res.error());
    return out;
  }
  out.status = res->status;
  out.body = std::move(res->body);
  if (res->status >= 200 && res->status < 300) {
    out.outcome = SendResult::Sent;
    return out;
  }
  bool retryable =
      res->status == 429 || res->status == 502 || res->status == 503 || res->status == 504;
  out.outcome = retryable ? SendResult::Retry : SendResult::Rejected;
  out.error = "POST " + options_.endpoint.origin + target + ": HTTP " + std::to_string(res->status);
  if (!out.body.empty() && options_.encoding == Encoding::Json)
    out.error += ": " + out.body.substr(0, 200);
  std::string retry_after = res->get_header_value("Retry-After");
  unsigned seconds = 0;
  if (auto [p, ec] =
          std::from_chars(retry_after.data(), retry_after.data() + retry_after.size(), seconds);
      ec == std::errc() && p == retry_after.data() + retry_after.size() && !retry_after.empty())
    out.retry_after = std::chrono::seconds(std::min(seconds, 60u));
  return out;
}

}  // namespace loupe::exporting::otlp
