#include "protocols/sql/lexer.h"

#include <cctype>

namespace loupe::sql {

Token Lexer::make(TokenKind k, std::size_t start, std::size_t end) {
  if (end > s_.size()) end = s_.size();
  if (end <= start) end = start + 1;  // always advance
  i_ = end;
  if (k != TokenKind::Space && k != TokenKind::Comment)
    prev_word_ = (k == TokenKind::Word || k == TokenKind::Number || k == TokenKind::QuotedIdent);
  return Token{k, s_.substr(start, end - start)};
}

// Index one past the closing quote; s_.size() when unterminated. A doubled
// quote is an escaped quote in every dialect; backslash escapes only where
// the dialect (or an E'' prefix) says so.
std::size_t Lexer::quoted_end(std::size_t open, char quote, bool backslash) const {
  std::size_t j = open + 1;
  while (j < s_.size()) {
    char c = s_[j];
    if (backslash && c == '\\') {
      j += 2;
      continue;
    }
    if (c == quote) {
      if (j + 1 < s_.size() && s_[j + 1] == quote) {
        j += 2;
        continue;
      }
      return j + 1;
    }
    ++j;
  }
  return s_.size();
}

// $tag$ ... $tag$ (tag may be empty). Returns 0 when `open` does not start a
// dollar quote (e.g. it is a $1 parameter).
std::size_t Lexer::dollar_end(std::size_t open) const {
  std::size_t j = open + 1;
  if (j < s_.size() && is_ident_start(static_cast<unsigned char>(s_[j]))) {
    while (j < s_.size() && s_[j] != '$' && is_ident_char(static_cast<unsigned char>(s_[j]))) ++j;
  }
  if (j >= s_.size() || s_[j] != '$') return 0;
  std::string_view tag = s_.substr(open, j - open + 1);
  std::size_t close = s_.find(tag, j + 1);
  return close == std::string_view::npos ? s_.size() : close + tag.size();
}

std::size_t Lexer::number_end(std::size_t start) const {
  std::size_t j = start;
  auto at = [&](std::size_t k) -> unsigned char {
    return k < s_.size() ? static_cast<unsigned char>(s_[k]) : 0;
  };
  if (at(j) == '0' && (at(j + 1) == 'x' || at(j + 1) == 'X')) {
    j += 2;
    while (std::isxdigit(at(j))) ++j;
    return j;
  }
  while (is_digit(at(j))) ++j;
  if (at(j) == '.') {
    ++j;
    while (is_digit(at(j))) ++j;
  }
  if ((at(j) == 'e' || at(j) == 'E') &&
      (is_digit(at(j + 1)) || ((at(j + 1) == '+' || at(j + 1) == '-') && is_digit(at(j + 2))))) {
    j += 2;
    while (is_digit(at(j))) ++j;
  }
  return j;
}

Token Lexer::next() {
  const std::size_t n = s_.size();
  const std::size_t b = i_;
  auto at = [&](std::size_t k) -> unsigned char {
    return k < n ? static_cast<unsigned char>(s_[k]) : 0;
  };
  const unsigned char c = at(b);
  const bool mysql = dialect_ == Dialect::Mysql;

  if (is_space(c)) {
    std::size_t j = b;
    while (j < n && is_space(at(j))) ++j;
    return make(TokenKind::Space, b, j);
  }
  if ((c == '-' && at(b + 1) == '-') || (mysql && c == '#')) {
    std::size_t e = s_.find('\n', b);
    return make(TokenKind::Comment, b, e == std::string_view::npos ? n : e);
  }
  if (c == '/' && at(b + 1) == '*') {
    std::size_t e = s_.find("*/", b + 2);
    return make(TokenKind::Comment, b, e == std::string_view::npos ? n : e + 2);
  }
  if (c == '\'') return make(TokenKind::String, b, quoted_end(b, '\'', mysql));
  if (c == '"') {
    if (mysql) return make(TokenKind::String, b, quoted_end(b, '"', true));
    return make(TokenKind::QuotedIdent, b, quoted_end(b, '"', false));
  }
  if (c == '`') return make(TokenKind::QuotedIdent, b, quoted_end(b, '`', false));
  if (c == '$') {
    if (is_digit(at(b + 1))) {
      std::size_t j = b + 1;
      while (is_digit(at(j))) ++j;
      return make(TokenKind::Param, b, j);
    }
    if (!mysql) {
      if (std::size_t e = dollar_end(b)) return make(TokenKind::String, b, e);
    }
    return make(TokenKind::Other, b, b + 1);
  }
  if (c == '?') return make(TokenKind::Param, b, b + 1);
  if (c == ':' && is_ident_start(at(b + 1)) && !(b > 0 && s_[b - 1] == ':')) {
    std::size_t j = b + 1;
    while (j < n && is_ident_char(at(j))) ++j;
    return make(TokenKind::Param, b, j);
  }
  if (is_digit(c) || (c == '.' && is_digit(at(b + 1)) && !prev_word_)) {
    return make(TokenKind::Number, b, number_end(b));
  }
  if (is_ident_start(c)) {
    // Prefixed strings: E'..' (backslash escapes), B'..', X'..', N'..', U&'..'.
    const unsigned char u = c & ~0x20;
    if (at(b + 1) == '\'' && (u == 'E' || u == 'B' || u == 'X' || u == 'N'))
      return make(TokenKind::String, b, quoted_end(b + 1, '\'', u == 'E' || mysql));
    if (u == 'U' && at(b + 1) == '&' && at(b + 2) == '\'')
      return make(TokenKind::String, b, quoted_end(b + 2, '\'', false));
    std::size_t j = b + 1;
    while (j < n && is_ident_char(at(j))) ++j;
    return make(TokenKind::Word, b, j);
  }
  return make(TokenKind::Other, b, b + 1);
}

}  // namespace loupe::sql
