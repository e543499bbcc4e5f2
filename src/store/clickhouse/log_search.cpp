#include "store/clickhouse/log_search.h"

#include "store/clickhouse/client.h"

namespace loupe::store::clickhouse {
namespace {

// What separates tokens: anything but a letter or a digit (FTS5's unicode61
// tokenizer also keeps private-use characters in tokens).
constexpr std::string_view kSeparator = "[^\\pL\\pN\\p{Co}]";

}  // namespace

std::string log_word_condition(const LogSearchWord& word) {
  // The pattern is a constant concat, so each token can be lower-cased by
  // the server like the text; tokens hold only letters and digits, nothing
  // of RE2's syntax.
  std::string pattern = "concat(" + quote_literal("(?:^|" + std::string(kSeparator) + ")");
  for (size_t i = 0; i < word.tokens.size(); ++i) {
    if (i) pattern += ", " + quote_literal(std::string(kSeparator) + "+");
    pattern += ", lowerUTF8(" + quote_literal(word.tokens[i]) + ")";
  }
  if (!word.prefix) pattern += ", " + quote_literal("(?:" + std::string(kSeparator) + "|$)");
  return "match(lowerUTF8(text), " + pattern + "))";
}

std::string log_text_condition(const LogSearch& search) {
  std::string sql;
  for (const LogSearchWord& w : search.words) sql += " AND " + log_word_condition(w);
  return sql;
}

}  // namespace loupe::store::clickhouse
