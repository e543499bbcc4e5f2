// The severity of a log line, read from the text the way people write it:
//   JSON      {"level":"error",...}  {"severity":"WARNING",...}  {"lvl":...}
//   logfmt    level=warn  lvl=info  severity=error
//   prefixes  [ERROR] ...   ERROR ...   WARN: ...   <time> INFO ...
//   klog/glog E1130 12:00:00.000000 ... (I, W, E, F + month and day)
// Only the head of the line is looked at (a word "error" deep in a message
// does not make an info line an error).
#pragma once

#include <string_view>

#include "logs/log_entry.h"

namespace loupe::logs {

// The level written in `text`, Unknown when none is.
Level detect_level(std::string_view text);

// detect_level, else from the stream: stderr lines are Error, stdout Info;
// lines of an unknown stream stay Unknown.
Level level_of(std::string_view text, Stream stream);

// "err", "ERROR", "Warning", "crit", "panic", "dbg", ... -> Level.
Level parse_level_word(std::string_view word);

}  // namespace loupe::logs
