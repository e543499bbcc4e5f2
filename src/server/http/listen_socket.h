// The listening socket of the HTTP server, bound by us rather than by the
// HTTP library so a failure says why ("in use", "needs root") and no
// SO_REUSEPORT lets a second Loupe silently share the port.
#pragma once

#include <string>

namespace loupe::server::http {

struct ListenSocket {
  int fd = -1;
  int port = 0;  // the bound port (the one picked when asked for 0)
  bool ipv6 = false;
};

// Binds and listens on host:port. Throws StartError with a message that
// ends in "; pass --listen" when the address cannot be used.
ListenSocket open_listen_socket(const std::string& host, int port);

}  // namespace loupe::server::http
