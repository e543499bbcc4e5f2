// The Huffman code of HPACK (RFC 7541 section 5.2, appendix B): decoding of
// Huffman-coded header strings.
#pragma once

#include <string>
#include <string_view>

namespace loupe::http2 {

// Appends the decoded `in` to `out`. False when `in` is not a valid
// encoding: it contains the EOS symbol, or ends in padding longer than 7
// bits or not made of the EOS code's leading ones (RFC 7541 5.2); `out`
// then holds what decoded before the error.
bool huffman_decode(std::string_view in, std::string& out);

}  // namespace loupe::http2
