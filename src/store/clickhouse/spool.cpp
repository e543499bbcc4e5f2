#include "store/clickhouse/spool.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "store/store.h"

namespace loupe::store::clickhouse {
namespace fs = std::filesystem;
namespace {

[[noreturn]] void io_error(const std::string& what, const std::string& path) {
  throw StoreError("ClickHouse spool: " + what + " " + path + ": " + std::strerror(errno));
}

void write_all(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) io_error("cannot write", path);
    data.remove_prefix(static_cast<size_t>(n));
  }
}

void fsync_path(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) io_error("cannot open", path);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) io_error("cannot fsync", path);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) throw StoreError("ClickHouse spool: cannot read " + path);
  return text.str();
}

}  // namespace

Spool::Spool(std::string dir, uint64_t max_bytes) : dir_(std::move(dir)), max_bytes_(max_bytes) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) throw StoreError("ClickHouse spool: cannot create " + dir_ + ": " + ec.message());
  std::vector<uint64_t> seqs;
  for (const auto& file : fs::directory_iterator(dir_, ec)) {
    const fs::path& p = file.path();
    if (p.extension() == ".tmp") {
      fs::remove(p, ec);  // killed while spooling: never acknowledged
    } else if (p.extension() == ".write") {
      char* end = nullptr;
      std::string stem = p.stem().string();
      uint64_t seq = std::strtoull(stem.c_str(), &end, 10);
      if (end && *end == '\0' && seq > 0) seqs.push_back(seq);
    }
  }
  if (ec) throw StoreError("ClickHouse spool: cannot read " + dir_ + ": " + ec.message());
  std::sort(seqs.begin(), seqs.end());
  for (uint64_t seq : seqs) {
    std::string path = path_of(seq, ".write");
    std::optional<PreparedWrite> w = parse_write(read_file(path));
    next_seq_ = seq + 1;
    if (!w) {
      ++unreadable_;
      std::cerr << "loupe: ClickHouse spool: " << path << " is not a whole write; kept as .bad\n";
      fs::rename(path, path_of(seq, ".bad"), ec);
      continue;
    }
    add({{seq, fs::file_size(path, ec), w->records, w->rows, true}, w->batch_ids});
  }
}

std::string Spool::path_of(uint64_t seq, const char* suffix) const {
  char name[32];
  std::snprintf(name, sizeof name, "%016llu", static_cast<unsigned long long>(seq));
  return dir_ + "/" + name + suffix;
}

void Spool::add(Entry entry) {
  bytes_ += entry.bytes;
  records_ += entry.records;
  for (const std::string& id : entry.batch_ids) batch_ids_.insert(id);
  entries_.push_back(std::move(entry));
}

bool Spool::append(const PreparedWrite& write) {
  std::string data = serialize(write);
  if (!entries_.empty() && bytes_ + data.size() > max_bytes_) return false;
  uint64_t seq = next_seq_++;
  std::string tmp = path_of(seq, ".tmp"), path = path_of(seq, ".write");
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) io_error("cannot create", tmp);
  try {
    write_all(fd, data, tmp);
    if (::fsync(fd) != 0) io_error("cannot fsync", tmp);
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) io_error("cannot rename", tmp);
  fsync_path(dir_, O_RDONLY | O_DIRECTORY);  // the new name survives a crash
  add({{seq, data.size(), write.records, write.rows, false}, write.batch_ids});
  return true;
}

Spool::Waiting Spool::waiting(size_t i) const { return entries_.at(i); }

PreparedWrite Spool::read(uint64_t seq) const {
  std::string path = path_of(seq, ".write");
  std::optional<PreparedWrite> w = parse_write(read_file(path));
  if (!w) throw StoreError("ClickHouse spool: " + path + " is not a whole write");
  return std::move(*w);
}

void Spool::pop_front() {
  Entry& e = entries_.front();
  // Not fsynced: a removal lost in a crash sends the write again, and the
  // resume finds every part stored.
  ::unlink(path_of(e.seq, ".write").c_str());
  bytes_ -= e.bytes;
  records_ -= e.records;
  for (const std::string& id : e.batch_ids) batch_ids_.erase(batch_ids_.find(id));
  entries_.pop_front();
}

}  // namespace loupe::store::clickhouse
