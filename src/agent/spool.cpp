#include "agent/spool.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <vector>

namespace loupe {
namespace {

namespace fs = std::filesystem;

// "LPS" and the body's format; then records, body length, CRC-32 (u32
// each, little endian).
constexpr char kMagic[3] = {'L', 'P', 'S'};
constexpr size_t kHeaderBytes = 16;
constexpr std::string_view kSuffix = ".batch";
constexpr std::string_view kTempSuffix = ".tmp";

void put_u32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
uint32_t get_u32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i)
    v |= static_cast<uint32_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}
uint32_t crc_of(std::string_view body) {
  return static_cast<uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size())));
}

struct Header {
  BodyFormat format = BodyFormat::Records;
  uint32_t records = 0;
  uint32_t body_bytes = 0;
  uint32_t crc = 0;
};
std::optional<Header> parse_header(std::string_view h) {
  if (h.size() < kHeaderBytes || std::memcmp(h.data(), kMagic, 3) != 0) return std::nullopt;
  auto format = static_cast<BodyFormat>(h[3]);
  if (format != BodyFormat::GzipJson && format != BodyFormat::Records) return std::nullopt;
  return Header{format, get_u32(h.data() + 4), get_u32(h.data() + 8), get_u32(h.data() + 12)};
}

bool read_file(const std::string& path, std::string& out, size_t limit) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  out.clear();
  char buf[65536];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0 && out.size() <= limit) out.append(buf, size_t(n));
  close(fd);
  return n == 0;
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(size_t(n));
  }
  return true;
}

// "00000000000000042.batch" -> 42.
std::optional<uint64_t> seq_of(const std::string& name) {
  if (!name.ends_with(kSuffix)) return std::nullopt;
  std::string_view digits(name.data(), name.size() - kSuffix.size());
  uint64_t seq = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), seq);
  if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty())
    return std::nullopt;
  return seq;
}

}  // namespace

Spool::Spool(std::string dir, uint64_t max_bytes) : dir_(std::move(dir)), max_bytes_(max_bytes) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) throw SpoolError("cannot create spool dir " + dir_ + ": " + ec.message());
  std::string lock = dir_ + "/LOCK";
  lock_fd_ = open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd_ < 0) throw SpoolError("cannot use spool dir " + dir_ + ": " + std::strerror(errno));
  if (flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    close(lock_fd_);
    throw SpoolError("spool dir " + dir_ +
                     " is in use by another loupe agent; give each agent its own --spool-dir");
  }
  scan();
}

Spool::~Spool() {
  if (lock_fd_ >= 0) close(lock_fd_);  // releases the lock
}

std::string Spool::path_of(uint64_t seq) const {
  char name[32];
  std::snprintf(name, sizeof name, "%020llu", static_cast<unsigned long long>(seq));
  return dir_ + "/" + name + std::string(kSuffix);
}

void Spool::scan() {
  std::vector<Entry> found;
  for (const auto& e : fs::directory_iterator(dir_)) {
    std::string name = e.path().filename().string();
    if (name.ends_with(kTempSuffix)) {  // a write the previous agent did not finish
      fs::remove(e.path());
      ++stats_.corrupt_files;
      continue;
    }
    auto seq = seq_of(name);
    if (!seq) continue;
    std::error_code ec;
    uint64_t size = fs::file_size(e.path(), ec);
    std::string head;
    int fd = open(e.path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      head.resize(kHeaderBytes);
      ssize_t n = read(fd, head.data(), kHeaderBytes);
      head.resize(n > 0 ? size_t(n) : 0);
      close(fd);
    }
    auto h = parse_header(head);
    if (ec || !h || size != kHeaderBytes + h->body_bytes) {  // torn or not ours
      if (h) stats_.corrupt_records += h->records;
      fs::remove(e.path());
      ++stats_.corrupt_files;
      continue;
    }
    found.push_back({*seq, size, h->records});
  }
  std::sort(found.begin(), found.end(),
            [](const Entry& a, const Entry& b) { return a.seq < b.seq; });
  for (const Entry& e : found) {
    index_.push_back(e);
    stats_.bytes += e.bytes;
    stats_.records += e.records;
  }
  stats_.files = index_.size();
  // Damaged files' records count as inherited too, then as corrupt: what
  // an earlier run left is accounted for either way.
  stats_.inherited_records = stats_.records + stats_.corrupt_records;
  if (!index_.empty()) next_seq_ = index_.back().seq + 1;
}

bool Spool::append(uint32_t records, std::string_view body, BodyFormat format) {
  std::lock_guard lock(mu_);
  uint64_t bytes = kHeaderBytes + body.size();
  if (bytes > max_bytes_ || body.size() > UINT32_MAX) {
    stats_.refused_records += records;
    return false;
  }
  const size_t oldest_evictable = front_held_ ? 1 : 0;
  while (index_.size() > oldest_evictable && stats_.bytes + bytes > max_bytes_) {
    stats_.evicted_records += index_[oldest_evictable].records;
    remove(oldest_evictable, false);
  }
  if (stats_.bytes + bytes > max_bytes_) {  // larger than what the held batch leaves
    stats_.refused_records += records;
    return false;
  }
  char header[kHeaderBytes];
  std::memcpy(header, kMagic, 3);
  header[3] = static_cast<char>(format);
  put_u32(header + 4, records);
  put_u32(header + 8, static_cast<uint32_t>(body.size()));
  put_u32(header + 12, crc_of(body));
  uint64_t seq = next_seq_;
  std::string path = path_of(seq);
  std::string temp = path + std::string(kTempSuffix);
  int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  bool ok =
      fd >= 0 && write_all(fd, {header, kHeaderBytes}) && write_all(fd, body) && fdatasync(fd) == 0;
  if (fd >= 0) close(fd);
  ok = ok && rename(temp.c_str(), path.c_str()) == 0;
  if (!ok) {  // disk full, read-only...: the batch is lost, counted
    unlink(temp.c_str());
    stats_.refused_records += records;
    return false;
  }
  ++next_seq_;
  index_.push_back({seq, bytes, records});
  stats_.bytes += bytes;
  stats_.records += records;
  stats_.files = index_.size();
  return true;
}

std::optional<SpooledBatch> Spool::front() {
  std::lock_guard lock(mu_);
  while (!index_.empty()) {
    const Entry& e = index_.front();
    std::string data;
    if (read_file(path_of(e.seq), data, e.bytes)) {
      auto h = parse_header(data);
      if (h && data.size() == kHeaderBytes + h->body_bytes && h->records == e.records) {
        std::string_view body = std::string_view(data).substr(kHeaderBytes);
        if (crc_of(body) == h->crc) {
          front_held_ = true;
          return SpooledBatch{e.seq, e.records, h->format, std::string(body)};
        }
      }
    }
    stats_.corrupt_records += e.records;
    remove(0, true);
  }
  return std::nullopt;
}

void Spool::pop_front() {
  std::lock_guard lock(mu_);
  if (!index_.empty()) remove(0, false);
}

void Spool::release_front() {
  std::lock_guard lock(mu_);
  front_held_ = false;
}

void Spool::drop_front_unreadable() {
  std::lock_guard lock(mu_);
  if (index_.empty()) return;
  stats_.corrupt_records += index_.front().records;
  remove(0, true);
}

bool Spool::empty() const {
  std::lock_guard lock(mu_);
  return index_.empty();
}

SpoolStats Spool::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void Spool::remove(size_t index, bool corrupt) {
  if (index == 0) front_held_ = false;
  const Entry e = index_[index];
  index_.erase(index_.begin() + static_cast<std::ptrdiff_t>(index));
  unlink(path_of(e.seq).c_str());
  stats_.bytes -= e.bytes;
  stats_.records -= e.records;
  stats_.files = index_.size();
  if (corrupt) ++stats_.corrupt_files;
}

}  // namespace loupe
