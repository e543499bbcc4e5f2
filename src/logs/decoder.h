// Turns the lines of one log file into entries: decodes each line's format
// (line_format.h), joins a runtime's partial pieces (CRI `P`, Docker lines
// without newline) up to kMaxEntryBytes, joins multiline entries per stream
// (multiline.h), makes the text valid UTF-8 and finds its severity.
//
// Bytes of an entry not yet complete are not in any entry returned, and
// pending_offset() says where they start: a checkpoint at that offset
// resumes without losing or repeating an entry.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "logs/line_format.h"
#include "logs/log_entry.h"
#include "logs/multiline.h"

namespace loupe::logs {

struct DecoderStats {
  uint64_t lines = 0;            // physical lines fed
  uint64_t entries = 0;          // entries returned
  uint64_t truncated = 0;        // entries cut to kMaxEntryBytes
  uint64_t invalid_utf8 = 0;     // entries whose bytes were not all UTF-8 (replaced by U+FFFD)
  uint64_t partial_dropped = 0;  // partial pieces with no end at finish()

  DecoderStats& operator+=(const DecoderStats& o) {
    lines += o.lines;
    entries += o.entries;
    truncated += o.truncated;
    invalid_utf8 += o.invalid_utf8;
    partial_dropped += o.partial_dropped;
    return *this;
  }
};

class Decoder {
 public:
  // How long a multiline entry waits for more lines once its writer is quiet.
  static constexpr uint64_t kIdleNs = 1'000'000'000;

  // One physical line (no '\n') that starts at file offset `offset`, read at
  // `now_ns` (the time of lines that carry none). `cut` says the line was
  // longer than the reader keeps and this is its head.
  void feed(std::string_view line, uint64_t offset, uint64_t now_ns, std::vector<Entry>& out,
            bool cut = false);

  // Entries whose writer has been quiet for kIdleNs.
  void flush_idle(uint64_t now_ns, std::vector<Entry>& out);

  // Everything pending (the file is finished: rotated away and read to its end).
  void finish(std::vector<Entry>& out);

  std::optional<uint64_t> pending_offset() const;
  const DecoderStats& stats() const { return stats_; }

 private:
  struct Partial {
    bool active = false;
    uint64_t time_ns = 0;
    uint64_t offset = 0;
    std::string text;
    bool truncated = false;
  };
  struct StreamState {
    Partial partial;
    MultilineJoiner joiner;
  };

  StreamState& state(Stream s) { return streams_[static_cast<size_t>(s)]; }
  void emit(Stream stream, JoinedText joined, std::vector<Entry>& out);

  std::array<StreamState, 3> streams_;  // indexed by Stream
  DecoderStats stats_;
};

}  // namespace loupe::logs
