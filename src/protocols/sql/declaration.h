// What the SQL protocols' declarations (postgres/declare.cpp,
// mysql/declare.cpp) share: what their records hold, and how they are
// redacted.
#pragma once

#include <memory>

#include "protocols/registry.h"
#include "protocols/sql/normalize.h"
#include "protocols/sql/statement.h"

namespace loupe::sql {

inline constexpr RecordFieldMeanings kRecordFields{
    .method = "first SQL keyword (SELECT, INSERT...)",
    .path = "statement, literals masked",
    .route = "normalized statement",
    .host = "database",
    .error_code = "error code",
    .detail = "completion (rows, affected, command tag)",
};

inline constexpr RedactionMeanings kRedaction{.default_level =
                                                  "literals in statements and error texts"};

// `--redact off`: SQL statements with their literals.
template <std::unique_ptr<ProtocolParser> (*make_parser)(Role, const SqlOptions&)>
std::unique_ptr<ProtocolParser> make_verbatim_parser(Role role) {
  return make_parser(role, {.keep_literals = true});
}

// Database error texts quote the values they refused (statements are
// masked by the parsers themselves).
template <Dialect dialect>
void mask_error_literals(Record& r, Redaction) {
  if (!r.error_message.empty()) r.error_message = mask_sql_literals(r.error_message, dialect);
}

}  // namespace loupe::sql
