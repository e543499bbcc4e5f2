#include "logs/decoder.h"

#include <algorithm>

#include "core/utf8.h"
#include "logs/severity.h"

namespace loupe::logs {

void Decoder::feed(std::string_view line, uint64_t offset, uint64_t now_ns, std::vector<Entry>& out,
                   bool cut) {
  ++stats_.lines;
  DecodedLine d = decode_line(line);
  StreamState& st = state(d.stream);
  Partial& p = st.partial;
  if (d.partial || p.active) {
    if (!p.active) p = Partial{true, d.time_ns ? d.time_ns : now_ns, offset, {}, false};
    size_t room = kMaxEntryBytes - std::min(kMaxEntryBytes, p.text.size());
    if (d.text.size() > room) p.truncated = true;
    p.text.append(d.text, 0, std::min(room, d.text.size()));
    p.truncated = p.truncated || cut;
    if (d.partial) return;
  }
  LogicalLine logical{d.time_ns ? d.time_ns : now_ns, offset, d.text, cut};
  if (p.active) logical = LogicalLine{p.time_ns, p.offset, p.text, p.truncated};
  if (auto done = st.joiner.add(logical, now_ns)) emit(d.stream, std::move(*done), out);
  if (p.active) p = Partial{};
}

void Decoder::flush_idle(uint64_t now_ns, std::vector<Entry>& out) {
  uint64_t cutoff = now_ns > kIdleNs ? now_ns - kIdleNs : 0;
  for (size_t i = 0; i < streams_.size(); ++i) {
    if (auto done = streams_[i].joiner.take_if_idle_since(cutoff))
      emit(static_cast<Stream>(i), std::move(*done), out);
  }
}

void Decoder::finish(std::vector<Entry>& out) {
  size_t first_new = out.size();
  for (size_t i = 0; i < streams_.size(); ++i) {
    StreamState& st = streams_[i];
    if (st.partial.active) {
      // A runtime that died mid-line: the pieces are all there will be.
      ++stats_.partial_dropped;
      if (auto done =
              st.joiner.add({st.partial.time_ns, st.partial.offset, st.partial.text, true}, 0)) {
        emit(static_cast<Stream>(i), std::move(*done), out);
      }
      st.partial = Partial{};
    }
    if (auto done = st.joiner.take()) emit(static_cast<Stream>(i), std::move(*done), out);
  }
  // The streams' last entries in file order, as they were written.
  std::sort(out.begin() + static_cast<std::ptrdiff_t>(first_new), out.end(),
            [](const Entry& a, const Entry& b) { return a.offset < b.offset; });
}

std::optional<uint64_t> Decoder::pending_offset() const {
  std::optional<uint64_t> first;
  for (const StreamState& st : streams_) {
    std::optional<uint64_t> o = st.partial.active ? st.partial.offset : st.joiner.pending_offset();
    if (st.partial.active && st.joiner.pending_offset())
      o = std::min(*o, *st.joiner.pending_offset());
    if (o && (!first || *o < *first)) first = o;
  }
  return first;
}

void Decoder::emit(Stream stream, JoinedText joined, std::vector<Entry>& out) {
  Entry e;
  e.time_ns = joined.time_ns;
  e.stream = stream;
  e.offset = joined.offset;
  e.truncated = joined.truncated;
  if (!utf8::is_valid(joined.text)) ++stats_.invalid_utf8;
  utf8::make_valid(joined.text, kMaxEntryBytes);
  e.text = std::move(joined.text);
  e.level = level_of(e.text, stream);
  if (e.truncated) ++stats_.truncated;
  ++stats_.entries;
  out.push_back(std::move(e));
}

}  // namespace loupe::logs
