// The most bytes each text field of a record may hold, and the one function
// that makes a record's text safe to keep: valid UTF-8 within those limits.
//
// The limits are the parsers' own (the longest value any parser emits for
// that field, fuzz/protocol_fuzz_driver.h checks it), so a record from an
// honest agent never exceeds them; the server rejects ingested records that
// do (server/ingest_decode.h) rather than store whatever an agent sends.
#pragma once

#include <cstddef>
#include <span>
#include <string>

#include "core/record.h"

namespace loupe {

struct TextField {
  const char* name;  // the field's JSON key
  std::string Record::*member;
  size_t max_bytes;
};

// Every text field of Record with its limit.
std::span<const TextField> record_text_fields();

// Makes every text field valid UTF-8 of at most its limit (invalid bytes
// become U+FFFD, cuts fall on character boundaries). Cheap when nothing
// needs changing.
void clean_record_text(Record& r);

// The first text field longer than its limit, or nullptr.
const TextField* oversize_field(const Record& r);

}  // namespace loupe
