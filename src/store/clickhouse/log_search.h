// A log search (store/log_answers.h, as the embedded store's FTS5 index
// reads it) as a ClickHouse condition: 18.16 has no full-text index and no
// hasToken, so each word is an RE2 `match` over the lower-cased text, its
// tokens one after the other with separators (anything but a letter or a
// digit) around them; a word ending in '*' leaves the last token open.
//
// Case: the text and the tokens both go through lowerUTF8 rather than RE2's
// (?i), which 18.16 ignores when it pre-filters a match by the pattern's
// required substring (`match('World', '(?i)world')` is 0 there).
#pragma once

#include <string>

#include "store/log_answers.h"

namespace loupe::store::clickhouse {

// The condition one word puts on `text`.
std::string log_word_condition(const LogSearchWord& word);
// " AND <condition>" per word of `search` (empty for no words).
std::string log_text_condition(const LogSearch& search);

}  // namespace loupe::store::clickhouse
