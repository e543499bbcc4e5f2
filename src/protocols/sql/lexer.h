// A minimal SQL tokenizer: just enough to tell literals, comments, quoted
// identifiers and whitespace apart from everything else. It does not know SQL
// grammar; it never fails and always advances.
#pragma once

#include <cstddef>
#include <string_view>

#include "protocols/sql/normalize.h"

namespace loupe::sql {

enum class TokenKind {
  Space,        // run of whitespace
  Comment,      // -- ..., /* ... */, # ... (MySQL)
  String,       // '...', E'...', X'..', $$...$$, "..." (MySQL)
  Number,       // 42, 1.5, .5e3, 0x1f
  QuotedIdent,  // "name" (Postgres), `name` (MySQL)
  Word,         // identifier or keyword
  Param,        // $1, ?, :name
  Other,        // one punctuation/operator byte
};

struct Token {
  TokenKind kind;
  std::string_view text;
};

class Lexer {
 public:
  Lexer(std::string_view text, Dialect dialect) : s_(text), dialect_(dialect) {}
  bool done() const { return i_ >= s_.size(); }
  Token next();

 private:
  std::size_t quoted_end(std::size_t open, char quote, bool backslash) const;
  std::size_t dollar_end(std::size_t open) const;  // 0 when not a dollar quote
  std::size_t number_end(std::size_t start) const;
  Token make(TokenKind k, std::size_t start, std::size_t end);

  std::string_view s_;
  Dialect dialect_;
  std::size_t i_ = 0;
  bool prev_word_ = false;  // previous token was a word/number: a digit continues it
};

inline bool is_ident_start(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}
inline bool is_ident_char(unsigned char c) {
  return is_ident_start(c) || (c >= '0' && c <= '9') || c == '$';
}
inline bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
inline bool is_space(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

}  // namespace loupe::sql
