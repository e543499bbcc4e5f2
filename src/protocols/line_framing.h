// One direction of a text protocol whose messages are lines, some followed
// by a counted block of bytes: memcached's commands and data blocks, NATS's
// operations and payloads. It assembles lines split across segments, skips
// blocks (bytes the capture did not carry included) and counts each
// message's wire bytes from the time of its first byte. What a line means
// stays with the protocol's parser.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

namespace loupe {

class LineFraming {
 public:
  std::string line;       // the start of a line split across segments
  uint64_t skip = 0;      // block bytes (with their CRLF) still to skip
  bool broken = false;    // framing lost until the next segment
  uint64_t start_ns = 0;  // when the message in progress began
  uint64_t bytes = 0;     // its wire bytes so far

  bool between_messages() const { return line.empty() && skip == 0; }
  // Forgets the message in progress (a parser resyncing).
  void reset() {
    line.clear();
    skip = 0;
    bytes = 0;
  }

  // Splits `data`, received at ts_ns, into whole lines and skipped blocks:
  // on_line(line) gets each line with its LF (a line within one segment is
  // a view of `data`, without a copy), on_block_end() runs once a block
  // has been skipped whole. Either returns false to stop here; either may
  // set `broken` (the parser lost framing), which stops it too. Returns
  // false when a line grew past max_line bytes: the parser must then lose
  // framing.
  template <class OnLine, class OnBlockEnd>
  bool split(std::string_view data, uint64_t ts_ns, size_t max_line, OnLine&& on_line,
             OnBlockEnd&& on_block_end) {
    while (!data.empty() && !broken) {
      if (skip > 0) {
        size_t n = static_cast<size_t>(std::min<uint64_t>(skip, data.size()));
        skip -= n;
        bytes += n;
        data.remove_prefix(n);
        if (skip == 0 && !on_block_end()) return true;
        continue;
      }
      size_t nl = data.find('\n');
      size_t take = nl == std::string_view::npos ? data.size() : nl + 1;
      if (line.size() + take > max_line) return false;
      if (bytes == 0) start_ns = ts_ns;
      bytes += take;
      if (nl == std::string_view::npos) {
        line.append(data);
        return true;
      }
      std::string_view whole = data.substr(0, take);
      if (!line.empty()) whole = line.append(whole);
      data.remove_prefix(take);
      bool go_on = on_line(whole);
      line.clear();
      if (!go_on) return true;
    }
    return true;
  }

  // Bytes of a segment the capture did not carry: true when they lie
  // inside the block being skipped (then skipped; the block has ended when
  // `skip` is 0). False otherwise: nothing is skipped, and the parser must
  // decide (usually losing framing).
  bool skip_uncaptured(uint64_t gap) {
    if (skip < gap) return false;
    skip -= gap;
    bytes += gap;
    return true;
  }
};

}  // namespace loupe
