// UTF-8 for text that came off the wire: the one place that decides what
// well-formed UTF-8 is (RFC 3629: no overlong forms, no surrogates, nothing
// above U+10FFFF) and how bytes that are not get into Loupe's output.
//
// Records, JSON, the store and the UI all assume valid UTF-8; captured bytes
// are anything. Text is cleaned once where a record is built (see
// core/record_limits.h) and everything downstream may rely on it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace loupe::utf8 {

inline constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD
inline constexpr size_t kNoLimit = static_cast<size_t>(-1);

// Length of the well-formed sequence starting at s[i] (1 for ASCII), or 0
// when the byte there does not start one (a stray continuation byte, an
// overlong or surrogate form, a sequence cut short by the end of s).
size_t sequence_length(std::string_view s, size_t i);

bool is_valid(std::string_view s);

// Appends at most `max` bytes to `out`: `in` with every byte that does not
// start a well-formed sequence replaced by U+FFFD, cut before the first
// character that would not fit whole.
void append_valid(std::string& out, std::string_view in, size_t max = kNoLimit);

// `s` as valid UTF-8 of at most `max` bytes (append_valid's rules); no
// allocation when it already is.
void make_valid(std::string& s, size_t max = kNoLimit);

// The longest prefix of `s` of at most `max` bytes that does not end inside
// a well-formed character (bytes that are not UTF-8 are cut anywhere; the
// cleaning above replaces them).
std::string_view cut(std::string_view s, size_t max);

// `s` cut to cut(s, max).
void truncate(std::string& s, size_t max);

}  // namespace loupe::utf8
