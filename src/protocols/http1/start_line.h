// Recognising where an HTTP/1 message starts: used by detection, by the
// readers to validate a message's first bytes, and by resynchronisation to
// find the next message after lost or malformed bytes.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

#include "protocols/detect.h"

namespace loupe::http1 {

// Longest method token and request line accepted from a method Loupe does
// not know (see request_start).
inline constexpr size_t kMaxMethodLen = 32;
inline constexpr size_t kMaxUnknownMethodLine = 4 * 1024;

// RFC 9110 5.6.2 tchar: the characters of a token (a method is any token).
// A table, inline: every request line's method is read a character at a
// time, twice (its start checked, then its line parsed).
inline constexpr std::array<bool, 256> kTokenChars = [] {
  std::array<bool, 256> table{};
  for (int c = 0; c < 256; ++c) {
    table[c] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  }
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) table[static_cast<unsigned char>(c)] = true;
  return table;
}();
inline bool is_token_char(char c) { return kTokenChars[static_cast<unsigned char>(c)]; }

// True for the request methods Loupe knows (case-sensitive, as on the wire):
// the RFC 9110 and WebDAV/CalDAV ones, QUERY, PURGE, LINK/UNLINK...
bool is_known_method(std::string_view token);

// The size of the known method of at most 7 bytes (GET, POST, PUT,
// DELETE... all but WebDAV's longer ones) that `s` begins with, followed by
// a space; 0 when it begins with none, or is shorter than 8 bytes. Most
// requests' method, told from their first 8 bytes at once: the token loop
// and the list's compares (a memcmp call each) were ~80 instructions for
// "GET", and a request's line is read twice (its start checked, then its
// head parsed).
size_t short_method_prefix(std::string_view s);

// Does `s` begin with a request? Match on "<known method> " already, or on
// a whole request line "<token> <target> HTTP/1.<d>" + CR/LF for any other
// token method (RFC 9110 9.1: a method is any token; requiring the version
// keeps text of other protocols from passing for HTTP). NeedMore while `s`
// is a proper prefix of either, NoMatch otherwise.
Detection request_start(std::string_view s);

// Does `s` begin with "HTTP/1.<d> <ddd>" followed by SP, CR or LF?
// NeedMore when `s` is a proper prefix.
Detection response_start(std::string_view s);

// Offset of the first plausible message start in `s`, or npos. Stricter than
// request_start/response_start because it searches arbitrary bytes (bodies,
// binary garbage): a request needs a whole request line
// "<method> <target> HTTP/1.<d>" ended by CR or LF, where the method is a
// known one or a token starting the buffer or a line; a response needs a
// complete status-line prefix "HTTP/1.<d> <ddd> ".
size_t find_message_start(std::string_view s, bool request);

}  // namespace loupe::http1
