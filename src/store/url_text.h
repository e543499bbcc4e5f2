// The text rules the store URLs share (clickhouse://, postgres://): %-escapes
// in parameter values, and the query part written back when a URL is
// printed. Each backend keeps its own grammar and its own error type; what
// is the same for both lives here once.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace loupe::store {

// %XX decoding of a query parameter value ('+' stays '+': file paths hold
// it). nullopt when an escape is broken (a '%' without two hex digits).
std::optional<std::string> percent_decode(std::string_view s);

// Appends query parameters to a URL being printed: "?a=1", then "&b=2".
// Values are written as they are: a printed URL names paths and options,
// never a secret.
class QueryWriter {
 public:
  explicit QueryWriter(std::string& url) : url_(url) {}
  void add(std::string_view name, std::string_view value);

 private:
  std::string& url_;
  char sep_ = '?';
};

}  // namespace loupe::store
