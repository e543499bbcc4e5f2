#include "cli/doctor/canary.h"

#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <cstring>
#include <mutex>

#include "agent/agent.h"

namespace loupe::cli::doctor {
namespace {

// The capture ignores its own process, so the canary's server runs in a
// child: it answers one request on `listener` and exits. Plain syscalls
// only (it is forked from a process that may have threads).
pid_t serve_one_request(int listener) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  int conn = accept(listener, nullptr, nullptr);
  if (conn >= 0) {
    char buf[4096];
    size_t got = 0;
    while (got < sizeof buf) {
      ssize_t n = read(conn, buf + got, sizeof buf - got);
      if (n <= 0) break;
      got += static_cast<size_t>(n);
      if (memmem(buf, got, "\r\n\r\n", 4)) break;
    }
    static const char kReply[] =
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 20\r\n"
        "Connection: close\r\n\r\nloupe doctor canary\n";
    ssize_t unused = write(conn, kReply, sizeof kReply - 1);
    (void)unused;
    close(conn);
  }
  _exit(0);
}

int listen_on_loopback(uint16_t& port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(fd, 1) != 0 || getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (fd >= 0) close(fd);
    return -1;
  }
  port = ntohs(addr.sin_port);
  return fd;
}

}  // namespace

CanaryResult run_canary(std::chrono::milliseconds timeout) {
  const std::string name = "canary request captured";
  const std::string path = "/loupe-doctor/canary-" + std::to_string(getpid());
  uint16_t port = 0;
  int listener = listen_on_loopback(port);
  if (listener < 0)
    return {{name, Status::Fail, "cannot listen on 127.0.0.1", "check the loopback interface"}, {}};
  std::mutex mu;
  std::condition_variable seen;
  std::optional<Record> captured;
  AgentOptions opts;
  opts.tracer.filter_ports = {port};
  opts.tracer.trace_dns = false;
  opts.tls = false;
  CanaryResult result{{name, Status::Fail, "", ""}, {}};
  pid_t server = -1;
  try {
    Agent agent(opts, [&](std::vector<Record>&& batch, size_t) {
      std::lock_guard lock(mu);
      for (Record& r : batch)
        if (r.path == path && !captured) captured = std::move(r);
      seen.notify_all();
    });
    agent.start();
    server = serve_one_request(listener);
    httplib::Client client("127.0.0.1", port);
    client.set_read_timeout(std::chrono::seconds(2));
    auto res = client.Get(path);
    {
      std::unique_lock lock(mu);
      seen.wait_for(lock, timeout, [&] { return captured.has_value(); });
    }
    agent.stop();
    std::lock_guard lock(mu);
    if (!res) {
      result.check.detail = "the canary request itself failed";
      result.check.fix = "check the loopback interface";
    } else if (!captured) {
      result.check.detail = "GET " + path + " on port " + std::to_string(port) +
                            " answered but was not captured within " +
                            std::to_string(timeout.count()) + " ms";
      result.check.fix = "see the failed checks above; else report it with `loupe doctor -o json`";
    } else {
      result.check.status = Status::Pass;
      result.check.detail = "GET " + path + " -> " + std::to_string(captured->status);
      result.record = std::move(captured);
    }
  } catch (const AgentError& e) {
    result.check.detail = std::string("capture did not start: ") + e.what();
    result.check.fix = "fix the failed checks above";
  }
  close(listener);
  if (server > 0) {
    kill(server, SIGKILL);
    waitpid(server, nullptr, 0);
  }
  return result;
}

}  // namespace loupe::cli::doctor
