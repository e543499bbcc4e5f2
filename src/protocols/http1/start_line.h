// Recognising where an HTTP/1 message starts: used by detection, by the
// readers to validate a message's first bytes, and by resynchronisation to
// find the next message after lost or malformed bytes.
#pragma once

#include <cstddef>
#include <string_view>

#include "protocols/detect.h"

namespace loupe::http1 {

// True for the request methods Loupe recognises (case-sensitive, as on the wire).
bool is_known_method(std::string_view token);

// Does `s` begin with "<known method> "? NeedMore when `s` is a proper prefix.
Detection request_start(std::string_view s);

// Does `s` begin with "HTTP/1.<d> <ddd>" followed by SP, CR or LF?
// NeedMore when `s` is a proper prefix.
Detection response_start(std::string_view s);

// Offset of the first plausible message start in `s`, or npos. Stricter than
// request_start/response_start because it searches arbitrary bytes (bodies,
// binary garbage): a request needs a whole request line
// "<method> <target> HTTP/1.<d>" ended by CR or LF; a response needs a
// complete status-line prefix "HTTP/1.<d> <ddd> ".
size_t find_message_start(std::string_view s, bool request);

}  // namespace loupe::http1
