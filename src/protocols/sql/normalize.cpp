#include "protocols/sql/normalize.h"

#include "core/utf8.h"
#include "protocols/sql/lexer.h"

namespace loupe::sql {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if ((a[i] | 0x20) != (b[i] | 0x20)) return false;
  return true;
}

// Rewrites `IN (?, ?, ?)` to `IN (?)` in already-normalized text, so that
// the same query with lists of different lengths groups under one route.
std::string collapse_in_lists(std::string s) {
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    bool word_start = i == 0 || !is_ident_char(static_cast<unsigned char>(s[i - 1]));
    if (word_start && i + 5 <= s.size() && iequals(std::string_view(s).substr(i, 2), "IN") &&
        (s[i + 2] == ' ' || s[i + 2] == '(')) {
      std::size_t j = i + 2;
      if (s[j] == ' ') ++j;
      if (j + 1 < s.size() && s[j] == '(' && s[j + 1] == '?') {
        std::size_t k = j + 2;
        bool more = false;
        while (true) {
          std::size_t m = k;
          if (m < s.size() && s[m] == ' ') ++m;
          if (m >= s.size() || s[m] != ',') break;
          ++m;
          if (m < s.size() && s[m] == ' ') ++m;
          if (m >= s.size() || s[m] != '?') break;
          k = m + 1;
          more = true;
        }
        std::size_t close = k;
        if (close < s.size() && s[close] == ' ') ++close;
        if (more && close < s.size() && s[close] == ')') {
          out.append(s, i, j - i);
          out += "(?)";
          i = close + 1;
          continue;
        }
      }
    }
    out += s[i++];
  }
  return out;
}

}  // namespace

std::string mask_sql_literals(std::string_view text, Dialect dialect) {
  std::string out;
  out.reserve(text.size());
  Lexer lx(text, dialect);
  while (!lx.done()) {
    Token t = lx.next();
    if (t.kind == TokenKind::String || t.kind == TokenKind::Number)
      out += '?';
    else
      out.append(t.text);
  }
  return out;
}

std::string normalize_sql(std::string_view text, Dialect dialect) {
  std::string out;
  out.reserve(text.size() < kMaxNormalized * 2 ? text.size() : kMaxNormalized * 2);
  Lexer lx(text, dialect);
  bool pending_space = false;
  // Scanning stops once the output is well past the cut; IN-list collapsing
  // may shrink it, so keep some slack.
  while (!lx.done() && out.size() < kMaxNormalized * 4) {
    Token t = lx.next();
    if (t.kind == TokenKind::Space || t.kind == TokenKind::Comment) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    if (t.kind == TokenKind::String || t.kind == TokenKind::Number)
      out += '?';
    else
      out.append(t.text);
  }
  while (!out.empty() && (out.back() == ';' || out.back() == ' ')) out.pop_back();
  out = collapse_in_lists(std::move(out));
  utf8::truncate(out, kMaxNormalized);
  return out;
}

std::string sql_operation(std::string_view text, Dialect dialect) {
  Lexer lx(text, dialect);
  std::string_view first;
  int depth = 0;
  while (!lx.done()) {
    Token t = lx.next();
    if (t.kind == TokenKind::Other) {
      if (t.text == "(") ++depth;
      if (t.text == ")") --depth;
      continue;
    }
    if (t.kind != TokenKind::Word) continue;
    if (first.empty()) {
      first = t.text;
      if (!iequals(first, "WITH")) break;
      continue;
    }
    // Inside WITH: the main statement is the first DML keyword outside
    // the CTE bodies' parentheses.
    if (depth == 0) {
      for (std::string_view kw : {"SELECT", "INSERT", "UPDATE", "DELETE", "MERGE"})
        if (iequals(t.text, kw)) {
          first = t.text;
          goto done;
        }
    }
  }
done:
  std::string op(first.substr(0, 32));
  for (char& ch : op)
    if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
  return op;
}

}  // namespace loupe::sql
