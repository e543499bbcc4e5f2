// What Loupe masks in records before they leave the agent (`--redact`).
//
//   default  query-string values (`/search?q=?`), SQL literals, and literals
//            inside database error texts are masked. Redis values are never
//            recorded at any level (only command and key).
//   off      query strings, SQL statements and error texts as captured.
//   strict   default, plus: HTTP paths are stored as their route template
//            (no query string, ids as {id}), NATS subjects and AMQP paths as
//            their route (numeric tokens as *, inboxes as _INBOX.>, generated
//            queue names as amq.gen-*), Redis and Memcached keys
//            and DNS answers are dropped, error texts are dropped (error codes
//            kept).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/record.h"

namespace loupe {

enum class Redaction : uint8_t { Default, Off, Strict };

std::optional<Redaction> redaction_from_string(std::string_view s);  // "default", "off", "strict"
std::string_view to_string(Redaction r);

// "/search?q=x&page=2" -> "/search?q=?&page=?"; names are kept, a name
// without a value stays as it is.
std::string mask_query_values(std::string_view target);

// Applies `level` to a record a parser produced (SQL literals in statements
// are masked by the SQL parsers themselves; see make_parser).
void redact_record(Record& r, Redaction level);

}  // namespace loupe
