// Joins the lines of one stream that belong together into one entry: stack
// traces and indented continuations.
//   Java     a line, then "java.lang.IllegalStateException: ...", "\tat ...",
//            "Caused by: ...", "\t... 12 more"
//   Python   "Traceback (most recent call last):", indented frames, the
//            closing "ValueError: ..." line, chained tracebacks
//   Go       "panic: ...", "goroutine 1 [running]:", "main.f(...)", "\t/src/x.go:5 +0x1d"
//   any      lines starting with a space or tab continue the one before
// An entry is bounded: past kMaxEntryBytes its text is cut (truncated), past
// kMaxLines lines it is closed and the next line starts a new one. Blank
// lines carry nothing: they are kept only inside a trace and never start or
// end an entry.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace loupe::logs {

struct LogicalLine {
  uint64_t time_ns = 0;
  uint64_t offset = 0;  // file offset of its first byte
  std::string_view text;
  bool truncated = false;
};

// An entry being built; `text` has no trailing blank lines.
struct JoinedText {
  uint64_t time_ns = 0;
  uint64_t offset = 0;
  std::string text;
  bool truncated = false;
  size_t lines = 0;
};

class MultilineJoiner {
 public:
  static constexpr size_t kMaxLines = 1000;

  // Adds `line`. When it starts a new entry, the one before is complete and
  // is returned.
  std::optional<JoinedText> add(const LogicalLine& line, uint64_t now_ns);

  // The entry being built, when its last line came at or before `cutoff_ns`
  // (the writer has moved on: nothing will continue it now), or always.
  std::optional<JoinedText> take_if_idle_since(uint64_t cutoff_ns);
  std::optional<JoinedText> take();

  // File offset of the entry being built (its bytes are not in any returned
  // entry yet), nullopt when none is.
  std::optional<uint64_t> pending_offset() const;

 private:
  enum class Trace : uint8_t { None, Java, Python, PythonEnd, GoPanic, Go };

  bool continues(std::string_view text) const;
  static Trace starts_trace(std::string_view text);
  void append(std::string_view text, bool truncated);

  std::optional<JoinedText> pending_;
  Trace trace_ = Trace::None;
  size_t held_blank_ = 0;  // blank lines after the pending text, kept if the trace goes on
  uint64_t last_line_ns_ = 0;
};

}  // namespace loupe::logs
