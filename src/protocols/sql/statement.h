// Fills the statement fields of a Record the same way for every SQL protocol.
#pragma once

#include <cstddef>
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

// method = operation, path = statement (masked unless keep_literals, cut to
// kMaxPath), route = normalized statement.
void fill_statement(Record& r, std::string_view text, Dialect dialect, const SqlOptions& opts);

}  // namespace loupe::sql
