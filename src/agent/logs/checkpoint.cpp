#include "agent/logs/checkpoint.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace loupe::logs {
namespace {

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

uint64_t fingerprint_hash(std::string_view bytes) {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a
  for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ULL;
  return h;
}

Fingerprint fingerprint_of(std::string_view head) {
  size_t nl = head.find('\n');
  if (nl == std::string_view::npos || nl + 1 > kFingerprintBytes) {
    if (head.size() < kFingerprintBytes) return {};
    nl = kFingerprintBytes - 1;
  }
  std::string_view bytes = head.substr(0, nl + 1);
  return {static_cast<uint32_t>(bytes.size()), fingerprint_hash(bytes)};
}

std::optional<CheckpointFile> load_checkpoints(const std::string& path, std::string& error) {
  std::ifstream in(path);
  if (!in) {
    if (errno == ENOENT) return CheckpointFile{};
    error = path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  std::stringstream text;
  text << in.rdbuf();
  CheckpointFile out;
  try {
    auto j = nlohmann::json::parse(text.str());
    for (const auto& f : j.at("files")) {
      Checkpoint c;
      c.path = f.at("path").get<std::string>();
      c.device = f.at("device").get<uint64_t>();
      c.inode = f.at("inode").get<uint64_t>();
      c.fingerprint = {f.at("fingerprint_length").get<uint32_t>(),
                       f.at("fingerprint").get<uint64_t>()};
      c.offset = f.at("offset").get<uint64_t>();
      c.source = f.at("source").get<std::string>();
      c.finished = f.value("finished", false);  // absent in files of older agents
      out.files.push_back(std::move(c));
    }
  } catch (const nlohmann::json::exception& e) {
    error = path + ": not a checkpoint file (" + e.what() + ")";
    return std::nullopt;
  }
  return out;
}

bool save_checkpoints(const std::string& path, const CheckpointFile& checkpoints,
                      std::string& error) {
  nlohmann::json files = nlohmann::json::array();
  for (const Checkpoint& c : checkpoints.files) {
    files.push_back({{"path", c.path},
                     {"device", c.device},
                     {"inode", c.inode},
                     {"fingerprint_length", c.fingerprint.length},
                     {"fingerprint", c.fingerprint.hash},
                     {"offset", c.offset},
                     {"source", c.source},
                     {"finished", c.finished}});
  }
  std::string body = nlohmann::json{{"version", 1}, {"files", files}}.dump() + "\n";
  std::string temp = path + ".tmp";
  int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  bool ok = fd >= 0 && write_all(fd, body) && fdatasync(fd) == 0;
  int saved_errno = errno;
  if (fd >= 0) close(fd);
  ok = ok && rename(temp.c_str(), path.c_str()) == 0;
  if (!ok) {
    error = path + ": " + std::strerror(saved_errno ? saved_errno : errno);
    unlink(temp.c_str());
  }
  return ok;
}

}  // namespace loupe::logs
