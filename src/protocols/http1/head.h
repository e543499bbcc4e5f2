// Parsing one complete message head (start line + header fields) into the
// few facts Loupe needs: identity of the request, status of the response,
// and how the body is framed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace loupe::http1 {

struct Head {
  // User-provided: `Head{}` (a parse starts from one) would otherwise zero
  // all of its bytes with a `rep stos` before the member initialisers set
  // them again. Every member has one.
  Head() {}
  // Request line (requests only).
  std::string_view method;
  std::string_view target;
  bool simple = false;  // HTTP/0.9 request line "<method> <target>": no version, no fields
  // Status line (responses only).
  int status = 0;
  // Header fields Loupe uses; views into the parsed block.
  std::string_view host;
  std::string_view traceparent;
  bool upgrade = false;         // an Upgrade header is present
  bool upgrade_h2c = false;     // ... and offers (or, in a 101, accepts) h2c
  bool chunked = false;         // Transfer-Encoding's final coding is chunked
  bool other_encoding = false;  // Transfer-Encoding present, final coding not chunked
  bool has_length = false;
  uint64_t content_length = 0;
};

// Finds the end of a head in `s`: the offset just past the empty line that
// ends it (CRLF CRLF, or bare LFs), or npos. For a request whose first line
// is an HTTP/0.9 simple request ("GET /"), the head is that line alone.
// `scan` is where to resume searching and is updated so repeated calls on a
// growing buffer stay linear.
size_t find_head_end(std::string_view s, size_t& scan, bool request);

// Parses a complete head `block` (as delimited by find_head_end). Returns
// false when the start line is malformed or the framing headers are invalid
// (bad or conflicting Content-Length, a request with a non-chunked
// Transfer-Encoding); unknown or malformed other header lines are ignored.
// Obsolete line folding (a line starting with SP/HTAB) continues the
// previous field's value (RFC 9112 5.2).
bool parse_head(std::string_view block, bool request, Head& out);

// find_head_end and parse_head in one pass over `s`, for a head that is
// likely whole in it (most heads arrive in one segment): the head's lines
// are parsed as its end is searched for, not read a second time.
struct HeadScan {
  size_t end = std::string_view::npos;  // just past the head; npos: not all of it is in `s`
  bool valid = false;                   // parse_head's answer for that head
};
HeadScan scan_head(std::string_view s, bool request, Head& out);

}  // namespace loupe::http1
