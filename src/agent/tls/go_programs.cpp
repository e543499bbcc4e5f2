// The Go half of TlsTracer: Go programs found among the traced processes'
// executables get uprobes on crypto/tls.(*Conn).Write and Read (entry) and
// on each RET of Read (bpf/go_tls.bpf.h). One attachment per file, as for
// OpenSSL; stripped programs and those that cannot be probed are listed
// with the reason, and their connections stay opaque TLS.
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>

#include "agent/tls/tls_tracer.h"
#include "socket_trace.h"  // LOUPE_GO_TLS_MAX_PROGRAMS

namespace loupe::tls {
namespace {

bpf_link* attach_at(bpf_program* prog, const std::string& path, uint64_t file_offset,
                    uint32_t cookie, std::string& error) {
  LIBBPF_OPTS(bpf_uprobe_opts, opts, .bpf_cookie = cookie);
  // pid -1: every process that runs this file, including future ones.
  bpf_link* link = bpf_program__attach_uprobe_opts(prog, -1, path.c_str(), file_offset, &opts);
  if (!link)
    error = "uprobe at file offset " + std::to_string(file_offset) + ": " + strerror(errno);
  return link;
}

std::string version_text(const gotls::GoVersion& v) {
  return std::to_string(v.major) + "." + std::to_string(v.minor);
}

// Why a Go program cannot be probed, or "" when it can.
std::string unprobeable(const gotls::GoBinary& go, const std::optional<gotls::GoVersion>& version) {
  if (!go.has_symbols)
    return "stripped Go program: no symbol table to find crypto/tls in; its TLS stays opaque";
  if (!go.read || !go.write)
    return "crypto/tls.(*Conn).Read/Write not found as functions in its symbol table";
  auto abi = gotls::register_abi_since(go.machine);
  if (!abi) return "Go crypto/tls is probed on x86-64 and arm64 only";
  if (!version) return "its Go version cannot be read from .go.buildinfo";
  if (*version < *abi)
    return "Go " + version_text(*version) + " passes arguments on the stack (register ABI since " +
           version_text(*abi) + "): not probed";
  if (go.read->returns.empty())
    return "no return instruction found in crypto/tls.(*Conn).Read" +
           (go.read->returns_error.empty() ? "" : ": " + go.read->returns_error);
  return {};
}

}  // namespace

bool TlsTracer::consider_go(const SslCandidate& c) {
  std::string error;
  std::optional<gotls::GoBinary> go = gotls::inspect_go_binary(c.open_path, &error);
  // Not Go, or a Go program without crypto/tls (it has symbols, and not
  // those): nothing to probe, nothing to report.
  if (!go || (go->has_symbols && !go->read && !go->write)) return false;
  Attachment a;
  a.status.kind = TlsFileKind::Go;
  a.status.go_version = go->version;
  a.status.stripped = !go->has_symbols;
  std::optional<gotls::GoVersion> version = gotls::parse_go_version(go->version);
  a.status.error = unprobeable(*go, version);
  if (a.status.error.empty()) {
    // The program's own DWARF when it has some, else its version's layout.
    std::optional<gotls::GoTlsLayout> layout =
        go->dwarf_layout ? go->dwarf_layout : gotls::known_go_tls_layout(*version);
    if (layout) {
      a = attach_go(c, *go, *layout);
    } else {
      a.status.error = "no known crypto/tls.Conn layout for " + go->version;
    }
  }
  record(c, std::move(a));
  return true;
}

TlsTracer::Attachment TlsTracer::attach_go(const SslCandidate& c, const gotls::GoBinary& go,
                                           const gotls::GoTlsLayout& layout) {
  Attachment a;
  a.status.kind = TlsFileKind::Go;
  a.status.go_version = go.version;
  a.status.go_layout = layout.source;
  uint32_t index = 0;
  {
    std::lock_guard lock(mu_);
    index = go_layouts_used_;
    if (index < LOUPE_GO_TLS_MAX_PROGRAMS) ++go_layouts_used_;
  }
  if (index >= LOUPE_GO_TLS_MAX_PROGRAMS) {
    a.status.error =
        "too many Go programs probed (at most " + std::to_string(LOUPE_GO_TLS_MAX_PROGRAMS) + ")";
    return a;
  }
  // A position independent program's itab moves at load: not checked.
  if (!progs_.set_go_layout ||
      !progs_.set_go_layout(index, go.position_independent ? 0 : go.tcp_conn_itab, layout)) {
    a.status.error = "cannot store the program's layout for the BPF programs";
    return a;
  }
  std::string error;
  // Return probes before entry probes, as for OpenSSL: a Read that entered
  // with its entry probe live finds its return probes live too.
  for (uint64_t ret : go.read->returns) {
    if (!error.empty()) break;
    if (bpf_link* l2 = attach_at(progs_.go_read_return, c.open_path, ret, index, error))
      a.return_links.push_back(l2);
  }
  for (auto [prog, fn] :
       {std::pair{progs_.go_read_enter, &*go.read}, std::pair{progs_.go_write, &*go.write}}) {
    if (!error.empty()) break;
    if (bpf_link* l2 = attach_at(prog, c.open_path, fn->file_offset, index, error))
      a.entry_links.push_back(l2);
  }
  a.settle(error);
  return a;
}

}  // namespace loupe::tls
