#include "protocols/sql/statement.h"

#include "core/utf8.h"
#include "protocols/sql/lexer.h"

namespace loupe::sql {

void fill_statement(Record& r, std::string_view text, Dialect dialect, const SqlOptions& opts) {
  // Drivers often send a trailing NUL or newline; neither belongs to the text.
  while (!text.empty() &&
         (text.back() == '\0' || is_space(static_cast<unsigned char>(text.back()))))
    text.remove_suffix(1);
  r.method = sql_operation(text, dialect);
  // Masking costs a pass over the text; cap its input so a multi-megabyte
  // INSERT does not cost more than the kept prefix.
  std::string_view head = text.substr(0, kMaxPath * 2);
  r.path = opts.keep_literals ? std::string(head) : mask_sql_literals(head, dialect);
  utf8::truncate(r.path, kMaxPath);
  r.route = normalize_sql(text.substr(0, kMaxNormalized * 8), dialect);
}

}  // namespace loupe::sql
