#include "agent/process_info.h"

#include <unistd.h>

#include <sstream>

#include "core/small_file.h"
#include "core/utf8.h"

namespace loupe {
namespace {

std::string read_link(const std::string& path) {
  char buf[256];
  ssize_t n = readlink(path.c_str(), buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

constexpr uint64_t kListenRefreshNs = 1'000'000'000ULL;
constexpr size_t kMaxCachedComms = 65536;

}  // namespace

const std::string& ProcessInfo::comm(uint32_t pid, const std::string& fallback) {
  if (auto it = comms_.find(pid); it != comms_.end()) return it->second;
  if (comms_.size() >= kMaxCachedComms) comms_.clear();
  std::string name = read_small_file(proc_ + "/" + std::to_string(pid) + "/comm").value_or("");
  while (!name.empty() && (name.back() == '\n' || name.back() == '\0')) name.pop_back();
  if (name.empty()) name = fallback;
  // Any bytes can name a process (prctl PR_SET_NAME), and the kernel cuts
  // names at 15 bytes, inside a character if need be.
  utf8::make_valid(name);
  return comms_.emplace(pid, std::move(name)).first->second;
}

void ProcessInfo::parse_listening(const std::string& text, std::unordered_set<uint16_t>& out) {
  // "  sl  local_address rem_address   st ..."
  // "   0: 0100007F:1F90 00000000:0000 0A ..."   (0A = TCP_LISTEN)
  std::istringstream lines(text);
  std::string line;
  std::getline(lines, line);  // header
  while (std::getline(lines, line)) {
    std::istringstream f(line);
    std::string sl, local, remote, state;
    if (!(f >> sl >> local >> remote >> state) || state != "0A") continue;
    auto colon = local.rfind(':');
    if (colon == std::string::npos) continue;
    try {
      out.insert(static_cast<uint16_t>(std::stoul(local.substr(colon + 1), nullptr, 16)));
    } catch (const std::exception&) {
    }
  }
}

std::optional<bool> ProcessInfo::is_listening(uint32_t pid, uint16_t port, uint64_t now_ns) {
  std::string base = proc_ + "/" + std::to_string(pid);
  std::string netns = read_link(base + "/ns/net");
  if (netns.empty()) return std::nullopt;
  auto& entry = listening_[netns];
  if (now_ns - entry.read_at_ns > kListenRefreshNs || entry.read_at_ns == 0) {
    entry.ports.clear();
    parse_listening(read_small_file(base + "/net/tcp").value_or(""), entry.ports);
    parse_listening(read_small_file(base + "/net/tcp6").value_or(""), entry.ports);
    entry.read_at_ns = now_ns;
  }
  return entry.ports.count(port) > 0;
}

}  // namespace loupe
