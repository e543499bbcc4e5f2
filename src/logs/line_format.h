// The formats a container runtime writes log files in, decoded one physical
// line (the bytes before a '\n') at a time:
//   CRI (containerd, CRI-O):  <RFC3339Nano> stdout|stderr P|F <text>
//   Docker json-file:         {"log":"<text>\n","stream":"stdout","time":"<RFC3339Nano>"}
//   plain:                    anything else (a host's own log files), taken as is.
// A CRI `P` line or a Docker "log" without its final newline is a partial
// piece of a longer line (the runtime splits lines at 16 KiB); PartialJoiner
// puts them back together.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "logs/log_entry.h"

namespace loupe::logs {

enum class Format : uint8_t { Plain = 0, Cri, Docker };

std::string_view to_string(Format f);

struct DecodedLine {
  Format format = Format::Plain;
  uint64_t time_ns = 0;  // 0: the line carries no time of its own
  Stream stream = Stream::Unknown;
  bool partial = false;  // more of this line follows in the next piece
  std::string text;      // the payload, not yet UTF-8 checked
};

// Never fails: a line in neither runtime format is a plain line. A trailing
// '\r' (a CRLF file) is removed from plain text.
DecodedLine decode_line(std::string_view line);

}  // namespace loupe::logs
