// One log file being followed: its open descriptor (so a file renamed or
// deleted by a rotation is still read to its end), the bytes of a line not
// yet complete, and the decoder turning its lines into entries.
//
// Lines are bounded: past kMaxLineBytes the rest of a line is skipped up to
// its newline (the entry is marked truncated, the line counted as cut), so
// a writer that never prints a newline costs a bounded buffer. A file that
// shrinks under its read position was truncated (logrotate `copytruncate`):
// it is read again from its start, as a new source.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/logs/checkpoint.h"
#include "agent/logs/pod_log_path.h"
#include "logs/decoder.h"
#include "logs/log_entry.h"

namespace loupe::logs {

inline constexpr size_t kMaxLineBytes = kMaxEntryBytes + 1024;  // a CRI prefix on a full entry

struct LogFileStats {
  uint64_t bytes = 0;        // bytes read
  uint64_t lines_cut = 0;    // lines longer than kMaxLineBytes
  uint64_t truncations = 0;  // times the file shrank (copytruncate)

  LogFileStats& operator+=(const LogFileStats& o) {
    bytes += o.bytes;
    lines_cut += o.lines_cut;
    truncations += o.truncations;
    return *this;
  }
};

class LogFile {
 public:
  // Opens `path` (a .gz file is decompressed as it is read) to read from
  // `offset` under `source`. `name` is the name it is followed under (a
  // rotated file keeps its live name): entries are attributed to it and its
  // checkpoint carries it. nullptr and `error` set when it cannot be opened.
  static std::unique_ptr<LogFile> open(const std::string& path, std::string name, uint64_t offset,
                                       std::string source, std::string& error);
  ~LogFile();
  LogFile(const LogFile&) = delete;
  LogFile& operator=(const LogFile&) = delete;

  // Reads at most `budget` bytes and appends the entries they complete.
  // Returns the bytes read (0: nothing new for now).
  size_t read(size_t budget, uint64_t now_ns, std::vector<Entry>& out);
  // Entries whose writer has gone quiet.
  void flush_idle(uint64_t now_ns, std::vector<Entry>& out);
  // The file will not grow any more (rotated away and read to its end):
  // its last line, even without a newline, and every pending entry.
  void finish(uint64_t now_ns, std::vector<Entry>& out);

  // Where a restart would resume: the first byte of the earliest entry not
  // handed out yet.
  uint64_t resume_offset() const;
  Checkpoint checkpoint() const;
  // Its head is known, so a restart can find it under another name or
  // compressed (nothing is read of a file before its first line is complete).
  bool recognisable() const { return fingerprint_.length != 0; }

  const std::string& path() const { return path_; }
  const std::string& name() const { return name_; }
  const std::string& source() const { return source_; }
  uint64_t device() const { return device_; }
  uint64_t inode() const { return inode_; }
  bool compressed() const { return gz_ != nullptr; }
  // A kubelet pod log: attributed from its path.
  bool in_pod() const { return pod_.has_value(); }
  // Who writes it, for entries of other files (file_writer.h: "Unit/..." or
  // "Process/..."); entries read from now on carry it as their workload.
  void set_writer(std::string workload) { writer_ = std::move(workload); }
  bool has_writer() const { return !writer_.empty(); }
  // Bytes on disk (compressed ones for a .gz).
  uint64_t size() const;
  // Its last name is gone (deleted; still readable through the descriptor).
  bool deleted() const;
  // True once a read reached the end of what the file holds now.
  bool at_end() const { return at_end_; }
  const LogFileStats& stats() const { return stats_; }
  const DecoderStats& decoder_stats() const { return decoder_.stats(); }

  // The first `n` bytes of the file at `path` (fewer when it is shorter),
  // decompressed for a .gz; nullopt when it cannot be read.
  static std::optional<std::string> read_head(const std::string& path, size_t n);

  // A source name no other file has had: device, inode and the time the
  // agent first saw this content.
  static std::string new_source(uint64_t device, uint64_t inode, uint64_t now_ns);

 private:
  LogFile() = default;
  // Reads at `offset` (a .gz: the next bytes, sequentially).
  ssize_t read_at(char* buf, size_t n, uint64_t offset);
  // `any_length`: a file that will not grow takes whatever head it has.
  bool learn_fingerprint(bool any_length = false);
  void take_line(std::string_view line, uint64_t now_ns, std::vector<Entry>& out);
  void attribute(size_t first, std::vector<Entry>& out) const;

  std::string path_;  // opened at
  std::string name_;  // followed under
  std::string source_;
  int fd_ = -1;
  gzFile gz_ = nullptr;
  uint64_t device_ = 0, inode_ = 0;
  Fingerprint fingerprint_;
  std::optional<PodLogPath> pod_;
  std::string writer_;
  uint64_t read_offset_ = 0;  // next byte to read
  uint64_t line_offset_ = 0;  // where line_ starts
  std::string line_;          // an incomplete line, at most kMaxLineBytes
  bool cutting_ = false;      // skipping the rest of a line too long to keep
  bool at_end_ = false;
  Decoder decoder_;
  LogFileStats stats_;
};

}  // namespace loupe::logs
