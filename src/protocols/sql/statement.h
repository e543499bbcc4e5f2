// Fills the statement fields of a Record the same way for every SQL protocol.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "core/record.h"
#include "protocols/sql/normalize.h"

namespace loupe::sql {

// Per-parser options for SQL protocols.
struct SqlOptions {
  // Literals can be personal data (emails, tokens), so `path` masks them
  // unless this is set explicitly.
  bool keep_literals = false;
};

// Longest statement text kept in Record::path.
inline constexpr std::size_t kMaxPath = 4096;

// Longest statement text a parser keeps (per query in flight and per
// prepared statement): enough for path and route, and it bounds a
// connection's statement cache to kMaxText times its entry limit.
inline constexpr std::size_t kMaxText = kMaxPath;

// A copy of `text` cut to kMaxText, shared between the requests that use it.
inline std::shared_ptr<const std::string> keep_text(std::string_view text) {
  return std::make_shared<const std::string>(text.substr(0, kMaxText));
}

// method = operation, path = statement (masked unless keep_literals, cut to
// kMaxPath), route = normalized statement.
void fill_statement(Record& r, std::string_view text, Dialect dialect, const SqlOptions& opts);

}  // namespace loupe::sql
