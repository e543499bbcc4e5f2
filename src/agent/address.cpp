#include "agent/address.h"

#include <arpa/inet.h>

#include <cstring>

namespace loupe {

std::string format_address(const loupe_addr& a) {
  char ip[INET6_ADDRSTRLEN] = {};
  static constexpr unsigned char kV4Mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (a.family == AF_INET) {
    inet_ntop(AF_INET, a.addr, ip, sizeof ip);
    return std::string(ip) + ":" + std::to_string(a.port);
  }
  if (a.family == AF_INET6) {
    if (std::memcmp(a.addr, kV4Mapped, sizeof kV4Mapped) == 0) {
      inet_ntop(AF_INET, a.addr + 12, ip, sizeof ip);
      return std::string(ip) + ":" + std::to_string(a.port);
    }
    inet_ntop(AF_INET6, a.addr, ip, sizeof ip);
    return "[" + std::string(ip) + "]:" + std::to_string(a.port);
  }
  return {};
}

}  // namespace loupe
