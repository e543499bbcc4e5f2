#include "agent/logs/log_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace loupe::logs {
namespace {

constexpr size_t kChunkBytes = 64 * 1024;

bool is_gzip_name(const std::string& path) { return path.ends_with(".gz"); }

}  // namespace

std::string LogFile::new_source(uint64_t device, uint64_t inode, uint64_t now_ns) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%llx-%llx-%llx", static_cast<unsigned long long>(device),
                static_cast<unsigned long long>(inode), static_cast<unsigned long long>(now_ns));
  return buf;
}

std::unique_ptr<LogFile> LogFile::open(const std::string& path, std::string name, uint64_t offset,
                                       std::string source, std::string& error) {
  std::unique_ptr<LogFile> f(new LogFile());
  f->path_ = path;
  f->name_ = std::move(name);
  f->source_ = std::move(source);
  f->pod_ = parse_pod_log_path(f->name_);
  f->fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  struct stat st {};
  if (f->fd_ < 0 || fstat(f->fd_, &st) != 0) {
    error = path + ": " + std::strerror(errno);
    return nullptr;
  }
  if (!S_ISREG(st.st_mode)) {
    error = path + ": not a regular file";
    return nullptr;
  }
  f->device_ = st.st_dev;
  f->inode_ = st.st_ino;
  if (is_gzip_name(path)) {
    f->gz_ = gzdopen(dup(f->fd_), "rb");
    if (!f->gz_) {
      error = path + ": cannot read as gzip";
      return nullptr;
    }
    gzbuffer(f->gz_, 64 * 1024);
  }
  f->learn_fingerprint();
  if (f->gz_ && offset > 0 && gzseek(f->gz_, static_cast<z_off_t>(offset), SEEK_SET) < 0) {
    error = path + ": shorter than its checkpoint";
    return nullptr;
  }
  f->read_offset_ = f->line_offset_ = offset;
  return f;
}

LogFile::~LogFile() {
  if (gz_) gzclose_r(gz_);
  if (fd_ >= 0) close(fd_);
}

std::optional<std::string> LogFile::read_head(const std::string& path, size_t n) {
  std::string head(n, '\0');
  size_t got = 0;
  if (is_gzip_name(path)) {
    gzFile gz = gzopen(path.c_str(), "rb");
    if (!gz) return std::nullopt;
    int r = gzread(gz, head.data(), static_cast<unsigned>(n));
    gzclose_r(gz);
    if (r < 0) return std::nullopt;
    got = static_cast<size_t>(r);
  } else {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return std::nullopt;
    ssize_t r = pread(fd, head.data(), n, 0);
    close(fd);
    if (r < 0) return std::nullopt;
    got = static_cast<size_t>(r);
  }
  head.resize(got);
  return head;
}

bool LogFile::learn_fingerprint(bool any_length) {
  if (fingerprint_.length) return true;
  char head[kFingerprintBytes];
  ssize_t n;
  if (gz_) {
    // The head of a compressed file is read once, at open, before seeking.
    n = gzread(gz_, head, sizeof head);
    gzrewind(gz_);
  } else {
    n = pread(fd_, head, sizeof head, 0);
  }
  if (n <= 0) return false;
  fingerprint_ = fingerprint_of({head, static_cast<size_t>(n)});
  if (!fingerprint_.length && any_length) {
    fingerprint_ = {static_cast<uint32_t>(n), fingerprint_hash({head, static_cast<size_t>(n)})};
  }
  return fingerprint_.length != 0;
}

ssize_t LogFile::read_at(char* buf, size_t n, uint64_t offset) {
  if (gz_) {
    int r = gzread(gz_, buf, static_cast<unsigned>(n));
    return r;
  }
  return pread(fd_, buf, n, static_cast<off_t>(offset));
}

size_t LogFile::read(size_t budget, uint64_t now_ns, std::vector<Entry>& out) {
  size_t first = out.size();
  if (!gz_) {
    struct stat st {};
    if (fstat(fd_, &st) == 0 && static_cast<uint64_t>(st.st_size) < read_offset_) {
      // Truncated under us (copytruncate): what was pending is all there
      // will be of the old content; the new content is a new source.
      finish(now_ns, out);
      ++stats_.truncations;
      decoder_ = Decoder();
      source_ = new_source(device_, inode_, now_ns);
      fingerprint_ = {};
      read_offset_ = line_offset_ = 0;
    }
  }
  // Nothing is read before the first line is complete: the fingerprint
  // must be known when the first entry is handed out under its source.
  if (!fingerprint_.length && !learn_fingerprint()) {
    at_end_ = true;
    attribute(first, out);
    return 0;
  }
  char buf[kChunkBytes];
  size_t total = 0;
  at_end_ = false;
  while (total < budget) {
    ssize_t n = read_at(buf, std::min(sizeof buf, budget - total), read_offset_);
    if (n <= 0) {
      at_end_ = true;
      break;
    }
    std::string_view chunk(buf, static_cast<size_t>(n));
    uint64_t chunk_offset = read_offset_;
    read_offset_ += chunk.size();
    total += chunk.size();
    size_t at = 0;
    while (at < chunk.size()) {
      size_t nl = chunk.find('\n', at);
      std::string_view piece =
          chunk.substr(at, nl == std::string_view::npos ? chunk.size() - at : nl - at);
      if (!cutting_) {
        size_t room = kMaxLineBytes - line_.size();
        if (piece.size() > room) {
          cutting_ = true;
          ++stats_.lines_cut;
        }
        line_.append(piece.substr(0, std::min(room, piece.size())));
      }
      if (nl == std::string_view::npos) break;
      take_line(line_, now_ns, out);
      line_offset_ = chunk_offset + nl + 1;
      at = nl + 1;
    }
    if (static_cast<size_t>(n) < sizeof buf && total < budget) {
      at_end_ = true;
      break;
    }
  }
  stats_.bytes += total;
  attribute(first, out);
  return total;
}

void LogFile::take_line(std::string_view line, uint64_t now_ns, std::vector<Entry>& out) {
  decoder_.feed(line, line_offset_, now_ns, out, cutting_);
  line_.clear();
  cutting_ = false;
}

void LogFile::flush_idle(uint64_t now_ns, std::vector<Entry>& out) {
  size_t first = out.size();
  decoder_.flush_idle(now_ns, out);
  attribute(first, out);
}

void LogFile::finish(uint64_t now_ns, std::vector<Entry>& out) {
  size_t first = out.size();
  if (!fingerprint_.length && learn_fingerprint(/*any_length=*/true)) {
    read(kMaxLineBytes, now_ns, out);  // a short last file without a newline
  }
  if (!line_.empty() || cutting_) {
    take_line(line_, now_ns, out);
    line_offset_ = read_offset_;
  }
  decoder_.finish(out);
  attribute(first, out);
}

uint64_t LogFile::size() const {
  struct stat st {};
  return fstat(fd_, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

bool LogFile::deleted() const {
  struct stat st {};
  return fstat(fd_, &st) == 0 && st.st_nlink == 0;
}

uint64_t LogFile::resume_offset() const { return decoder_.pending_offset().value_or(line_offset_); }

Checkpoint LogFile::checkpoint() const {
  return Checkpoint{name_, device_, inode_, fingerprint_, resume_offset(), source_};
}

void LogFile::attribute(size_t first, std::vector<Entry>& out) const {
  for (size_t i = first; i < out.size(); ++i) {
    Entry& e = out[i];
    if (e.source.empty()) e.source = source_;
    e.file = name_;
    if (pod_) {
      e.namespace_ = pod_->namespace_;
      e.pod = pod_->pod;
      e.pod_uid = pod_->pod_uid;
      e.container = pod_->container;
    } else {
      e.workload = writer_;
    }
  }
}

}  // namespace loupe::logs
