// The JSON shape of a record: the one used by `loupe trace --format json`,
// the agent -> server wire format and /api/v1/requests. Keys are documented
// in docs/api.md.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "core/record.h"

namespace loupe {

// Which keys append_record_json writes.
enum class RecordKeys {
  All,  // every field and the derived ts and duration_ns: what users read
  // Only fields away from their default (empty text, 0, false), nothing
  // derived: the agent -> server form, about half the bytes of All (a
  // record fills a few of its ~30 fields), so half the JSON and gzip work
  // per record. record_from_json reads both alike.
  NonDefault,
};

// Appends the record as one JSON object (no newline) to `out`. This is the
// single definition of the record's JSON; it is hand-written because it runs
// once per exchange on the capture path (`loupe trace -o json`, exporters),
// where building a DOM per record costs ten times more.
void append_record_json(std::string& out, const Record& r, RecordKeys keys = RecordKeys::All);

// The same object as a DOM, for API responses that embed records.
nlohmann::json record_to_json(const Record& r);

// Missing keys keep their defaults; wrong types throw nlohmann::json::exception.
Record record_from_json(const nlohmann::json& j);

}  // namespace loupe
