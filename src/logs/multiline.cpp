#include "logs/multiline.h"

#include <cctype>

#include "logs/log_entry.h"

namespace loupe::logs {
namespace {

bool is_blank(std::string_view s) { return s.find_first_not_of(" \t\r") == std::string_view::npos; }

bool starts_indented(std::string_view s) { return !s.empty() && (s[0] == ' ' || s[0] == '\t'); }

// "java.lang.IllegalStateException: boom", "com.x.Foo$BarError", "Exception in thread "main" ..."
bool is_java_exception_line(std::string_view s) {
  if (s.starts_with("Exception in thread \"")) return true;
  size_t end = 0;
  bool dotted = false;
  while (end < s.size() && (std::isalnum(static_cast<unsigned char>(s[end])) || s[end] == '.' ||
                            s[end] == '$' || s[end] == '_')) {
    dotted = dotted || s[end] == '.';
    ++end;
  }
  std::string_view name = s.substr(0, end);
  bool throwable =
      name.ends_with("Exception") || name.ends_with("Error") || name.ends_with("Throwable");
  return dotted && throwable && (end == s.size() || s[end] == ':');
}

// "goroutine 17 [chan receive]:"
bool is_goroutine_header(std::string_view s) {
  if (!s.starts_with("goroutine ")) return false;
  size_t i = 10;
  size_t digits = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++digits;
  return digits > 0 && s.substr(i).starts_with(" [");
}

// "main.handler(0xc000010000, {0x1, 0x2})", "created by main.main in goroutine 1"
bool is_go_frame(std::string_view s) {
  if (s.starts_with("created by ")) return true;
  size_t paren = s.find('(');
  return paren != std::string_view::npos && paren > 0 && s.ends_with(')') && s.find(' ') > paren;
}

}  // namespace

MultilineJoiner::Trace MultilineJoiner::starts_trace(std::string_view text) {
  if (text.starts_with("Traceback (most recent call last):")) return Trace::Python;
  if (text.starts_with("panic: ") || text.starts_with("fatal error: ")) return Trace::GoPanic;
  if (is_goroutine_header(text)) return Trace::Go;
  if (is_java_exception_line(text)) return Trace::Java;
  return Trace::None;
}

bool MultilineJoiner::continues(std::string_view text) const {
  if (!pending_) return false;
  if (starts_indented(text)) return true;
  if (text.starts_with("Caused by: ") || text.starts_with("Suppressed: ")) return true;
  // A trace right after a line is that line's trace (logger.error("...", e),
  // logging.exception(...)).
  if (text.starts_with("Traceback (most recent call last):") || is_java_exception_line(text))
    return true;
  switch (trace_) {
    case Trace::Python:  // the closing "KeyError: 'x'" line
      return true;
    case Trace::PythonEnd:
      return text.starts_with("During handling of the above exception") ||
             text.starts_with("The above exception was the direct cause");
    case Trace::GoPanic:
    case Trace::Go:
      return is_goroutine_header(text) || (trace_ == Trace::Go && is_go_frame(text));
    case Trace::Java:
    case Trace::None:
      break;
  }
  return false;
}

void MultilineJoiner::append(std::string_view text, bool truncated) {
  JoinedText& p = *pending_;
  p.truncated = p.truncated || truncated;
  size_t need = held_blank_ + 1 + text.size();
  if (p.text.size() + need > kMaxEntryBytes) {
    p.truncated = true;
    size_t room = kMaxEntryBytes > p.text.size() ? kMaxEntryBytes - p.text.size() : 0;
    // Whole lines only, or as much of the one line as fits when it is the first.
    if (room >= need) p.text.append(held_blank_ + 1, '\n').append(text);
  } else {
    p.text.append(held_blank_ + 1, '\n').append(text);
  }
  held_blank_ = 0;
  ++p.lines;
}

std::optional<JoinedText> MultilineJoiner::add(const LogicalLine& line, uint64_t now_ns) {
  std::optional<JoinedText> done;
  if (is_blank(line.text)) {
    // Inside a trace a blank line may separate its parts (goroutines,
    // chained Python exceptions); elsewhere it is skipped.
    if (pending_ && trace_ != Trace::None && trace_ != Trace::Java) ++held_blank_;
    return done;
  }
  if (continues(line.text) && pending_->lines < kMaxLines) {
    append(line.text, line.truncated);
    last_line_ns_ = now_ns;
    if (trace_ == Trace::Python && !starts_indented(line.text)) {
      trace_ = Trace::PythonEnd;  // the closing "KeyError: 'x'" line
    } else if (trace_ == Trace::PythonEnd) {
      trace_ = Trace::Python;  // "During handling ...": another traceback follows
    } else if (Trace t = starts_trace(line.text); t != Trace::None) {
      trace_ = t;
    }
    return done;
  }
  done = take();
  pending_ = JoinedText{line.time_ns, line.offset, std::string(line.text), line.truncated, 1};
  if (pending_->text.size() > kMaxEntryBytes) {
    pending_->text.resize(kMaxEntryBytes);  // made valid UTF-8 where the entry is built
    pending_->truncated = true;
  }
  trace_ = starts_trace(line.text);
  last_line_ns_ = now_ns;
  return done;
}

std::optional<JoinedText> MultilineJoiner::take_if_idle_since(uint64_t cutoff_ns) {
  if (!pending_ || last_line_ns_ > cutoff_ns) return std::nullopt;
  return take();
}

std::optional<JoinedText> MultilineJoiner::take() {
  std::optional<JoinedText> done = std::move(pending_);
  pending_.reset();
  trace_ = Trace::None;
  held_blank_ = 0;
  return done;
}

std::optional<uint64_t> MultilineJoiner::pending_offset() const {
  if (!pending_) return std::nullopt;
  return pending_->offset;
}

}  // namespace loupe::logs
