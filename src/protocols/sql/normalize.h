// SQL text helpers shared by the PostgreSQL and MySQL parsers.
//
// They run on the capture hot path, so they are a single hand-written scan
// each (no regex) and allocate only their result. They never fail: text that
// is not valid SQL (a truncated capture, binary garbage) is still scanned and
// an unterminated literal simply runs to the end.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace loupe::sql {

// Lexical differences that change where literals end.
//   Postgres: "x" is an identifier, backslash is literal inside '...' (except
//             E'...'), $$dollar quotes$$ exist.
//   Mysql:    "x" is a string, backslash escapes inside '...' and "...",
//             `x` is an identifier, # starts a comment.
enum class Dialect { Postgres, Mysql };

// Maximum length of normalize_sql's result; longer statements are cut.
inline constexpr std::size_t kMaxNormalized = 512;

// The statement as a grouping key: literals -> ?, comments dropped,
// whitespace collapsed to one space, `IN (?, ?, ...)` -> `IN (?)`, trailing
// `;` dropped, cut to kMaxNormalized bytes (never inside a UTF-8 sequence).
std::string normalize_sql(std::string_view text, Dialect dialect = Dialect::Postgres);

// The statement as written, with string and number literals replaced by `?`.
// Identifiers, quoted identifiers, placeholders ($1, ?, :name), whitespace and
// comments are kept.
std::string mask_sql_literals(std::string_view text, Dialect dialect = Dialect::Postgres);

// The operation: first keyword upper-cased (SELECT, INSERT, BEGIN...). For a
// `WITH` query it is the keyword of the main statement after the CTEs
// (SELECT/INSERT/UPDATE/DELETE/MERGE) when found. Empty when none.
std::string sql_operation(std::string_view text, Dialect dialect = Dialect::Postgres);

}  // namespace loupe::sql
