// What Loupe masks in records before they leave the agent (`--redact`).
//
//   default  what could carry values in any record of a protocol: each
//            protocol's declaration says what (ProtocolModule::redact and
//            ::redaction in registry.h; query-string values of HTTP paths,
//            SQL literals...).
//   off      records as captured.
//   strict   default, plus every record's error text (its code kept), plus
//            what each protocol's declaration adds (paths as their route,
//            keys dropped...).
// The rules below are what declarations pick from; `loupe trace --help` and
// docs/cli.md list what each protocol does.
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

// Applies `level` to a record a parser produced: the rules every record
// gets and its protocol's own (SQL literals in statements are masked by the
// SQL parsers themselves; see make_parser).
void redact_record(Record& r, Redaction level);

// Rules for ProtocolModule::redact, called with Default or Strict (never
// Off).
// An HTTP-like target: query-string values masked; strict: the route.
void mask_query_or_route(Record& r, Redaction level);
// A path that may carry ids (orders.1234.paid): strict: the route.
void path_as_route_when_strict(Record& r, Redaction level);
// A path that is a key chosen by the application: strict: dropped.
void drop_path_when_strict(Record& r, Redaction level);
// A detail that holds answers (addresses): strict: dropped.
void drop_detail_when_strict(Record& r, Redaction level);

}  // namespace loupe
