#include "server/http/listen_socket.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "server/http/server.h"

namespace loupe::server::http {

ListenSocket open_listen_socket(const std::string& host, int port) {
  std::string addr = host + ":" + std::to_string(port);
  addrinfo hints{}, *res = nullptr;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res) != 0 || !res)
    throw StartError("cannot listen on " + addr + ": unknown host; pass --listen ADDR:PORT");
  ListenSocket out;
  out.ipv6 = res->ai_family == AF_INET6;
  out.fd =
      socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, res->ai_protocol);
  int err = errno;
  if (out.fd >= 0) {
    // SO_REUSEADDR keeps fast restarts working (TIME_WAIT); "in use" stays an error.
    int yes = 1;
    setsockopt(out.fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    if (bind(out.fd, res->ai_addr, res->ai_addrlen) != 0 || listen(out.fd, 1024) != 0) {
      err = errno;
      close(out.fd);
      out.fd = -1;
    }
  }
  freeaddrinfo(res);
  if (out.fd < 0) {
    if (err == EADDRINUSE) throw StartError(addr + " is in use; pass --listen");
    if (err == EACCES)
      throw StartError("cannot listen on " + addr + ": ports below 1024 need root; pass --listen");
    if (err == EADDRNOTAVAIL)
      throw StartError("cannot listen on " + addr +
                       ": no such address on this host; pass --listen");
    throw StartError("cannot listen on " + addr + ": " + std::strerror(err) + "; pass --listen");
  }
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  getsockname(out.fd, reinterpret_cast<sockaddr*>(&bound), &len);
  out.port = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                               : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  return out;
}

}  // namespace loupe::server::http
