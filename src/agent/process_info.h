// What the agent learns about processes from /proc: names, and which ports
// they listen on (to tell the role of connections that predate the agent).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

namespace loupe {

class ProcessInfo {
 public:
  explicit ProcessInfo(std::string proc_root = "/proc") : proc_(std::move(proc_root)) {}

  // The process name (/proc/PID/comm), cached; `fallback` when unreadable.
  const std::string& comm(uint32_t pid, const std::string& fallback);

  // Whether `port` is a TCP listening port in the network namespace of
  // `pid`; nullopt when the process is gone and its namespace unreadable
  // (short-lived forked servers often are by the time their events arrive).
  // Reads /proc/PID/net/tcp{,6} at most once a second per namespace.
  std::optional<bool> is_listening(uint32_t pid, uint16_t port, uint64_t now_ns);

  void forget(uint32_t pid) { comms_.erase(pid); }

  // Parses the text of /proc/net/tcp or tcp6 and adds LISTEN ports to `out`.
  static void parse_listening(const std::string& text, std::unordered_set<uint16_t>& out);

 private:
  struct NetnsPorts {
    uint64_t read_at_ns = 0;
    std::unordered_set<uint16_t> ports;
  };
  std::string proc_;
  std::unordered_map<uint32_t, std::string> comms_;
  std::unordered_map<std::string, NetnsPorts> listening_;  // by netns link text
};

}  // namespace loupe
