#include "agent/socket_tracer.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "socket_trace.skel.h"

namespace loupe {
namespace {

bool is_power_of_two(uint32_t v) { return v && (v & (v - 1)) == 0; }

std::string load_failure_message(int err) {
  std::string msg =
      "loading the socket tracer's BPF programs failed: " + std::string(strerror(err));
  if (geteuid() != 0)
    msg += ". Loupe needs root (or CAP_BPF + CAP_PERFMON + CAP_SYS_RESOURCE): run it with sudo";
  else if (!std::filesystem::exists("/sys/kernel/btf/vmlinux"))
    msg +=
        ". This kernel has no BTF (/sys/kernel/btf/vmlinux); Loupe needs CONFIG_DEBUG_INFO_BTF=y";
  else if (err == ENOMEM || err == EPERM)
    msg +=
        ". The kernel refused the memory for the BPF maps: lower --ring-buffer-size, or raise "
        "the memory limit of this cgroup (or RLIMIT_MEMLOCK on kernels before 5.11)";
  return msg;
}

}  // namespace

SocketTracer::SocketTracer(SocketTracerOptions opts) : opts_(opts) {}

SocketTracer::~SocketTracer() { socket_trace_bpf__destroy(skel_); }

void SocketTracer::start(EventHandler handler) {
  if (opts_.capture_bytes == 0 || opts_.capture_bytes > LOUPE_MAX_CAPTURE)
    throw AgentError("capture size must be 1.." + std::to_string(LOUPE_MAX_CAPTURE) + " bytes");
  if (!is_power_of_two(opts_.ring_buffer_bytes) ||
      opts_.ring_buffer_bytes < static_cast<uint32_t>(getpagesize()))
    throw AgentError("ring buffer size must be a power of two of at least one page");
  handler_ = std::move(handler);

  skel_ = socket_trace_bpf__open();
  if (!skel_) throw AgentError(load_failure_message(errno));
  skel_->rodata->self_tgid = static_cast<uint32_t>(getpid());
  skel_->rodata->filter_tgid = opts_.filter_tgid;
  if (opts_.filter_ports.size() > LOUPE_MAX_FILTER_PORTS)
    throw AgentError("at most " + std::to_string(LOUPE_MAX_FILTER_PORTS) +
                     " ports can be filtered");
  skel_->rodata->filter_ports = opts_.filter_ports.empty() ? 0 : 1;
  skel_->rodata->capture_bytes = opts_.capture_bytes;
  // Wake user space when a quarter of the ring is unread; otherwise it
  // drains on its poll timer. Never a wakeup per event.
  skel_->rodata->wakeup_bytes = opts_.ring_buffer_bytes / 4;
  skel_->rodata->trace_dns = opts_.trace_dns ? 1 : 0;
  bpf_map__set_max_entries(skel_->maps.events, opts_.ring_buffer_bytes);
  // The SSL and Go TLS uprobes are attached per file by tls::TlsTracer,
  // and its exec events while it runs.
  for (bpf_program* p : {skel_->progs.loupe_ssl_read_enter, skel_->progs.loupe_ssl_read_ex_enter,
                         skel_->progs.loupe_ssl_write_enter, skel_->progs.loupe_ssl_write_ex_enter,
                         skel_->progs.loupe_ssl_handshake_enter, skel_->progs.loupe_ssl_return,
                         skel_->progs.loupe_go_tls_write, skel_->progs.loupe_go_tls_read_enter,
                         skel_->progs.loupe_go_tls_read_return, skel_->progs.loupe_process_exec})
    bpf_program__set_autoattach(p, false);

  if (int err = socket_trace_bpf__load(skel_)) throw AgentError(load_failure_message(-err));
  for (uint16_t port : opts_.filter_ports) {
    uint8_t one = 1;
    bpf_map__update_elem(skel_->maps.port_filter, &port, sizeof(port), &one, sizeof(one), BPF_ANY);
  }
  if (int err = socket_trace_bpf__attach(skel_))
    throw AgentError("attaching the tracepoints sys_exit and sched_process_exit failed: " +
                     std::string(strerror(-err)) +
                     ". Loupe needs BTF tracepoints (Linux 5.5+) and raw tracepoints");
  if (!ring_.open(bpf_map__fd(skel_->maps.events), bpf_map__max_entries(skel_->maps.events)))
    throw AgentError("opening the BPF ring buffer failed: " + std::string(strerror(errno)));
}

uint64_t SocketTracer::unread_bytes() const { return ring_.unread_bytes(); }

void SocketTracer::wait(int timeout_ms) { ring_.wait(timeout_ms); }

size_t SocketTracer::drain(size_t max_events) {
  return ring_.consume(max_events, [this](std::span<const uint8_t> event) { handler_(event); });
}

void SocketTracer::forget_connection(uint32_t tgid, int32_t fd) {
  uint64_t key = (static_cast<uint64_t>(tgid) << 32) | static_cast<uint32_t>(fd);
  bpf_map__delete_elem(skel_->maps.conns, &key, sizeof(key), 0);
}

tls::TlsPrograms SocketTracer::tls_programs() {
  tls::TlsPrograms p;
  p.read_enter = skel_->progs.loupe_ssl_read_enter;
  p.read_ex_enter = skel_->progs.loupe_ssl_read_ex_enter;
  p.write_enter = skel_->progs.loupe_ssl_write_enter;
  p.write_ex_enter = skel_->progs.loupe_ssl_write_ex_enter;
  p.handshake_enter = skel_->progs.loupe_ssl_handshake_enter;
  p.on_return = skel_->progs.loupe_ssl_return;
  // .bss is mmapped: the running sys_exit program sees the flag at once.
  p.set_enabled = [bss = skel_->bss](bool on) { bss->tls_probes_attached = on ? 1 : 0; };
  p.go_write = skel_->progs.loupe_go_tls_write;
  p.go_read_enter = skel_->progs.loupe_go_tls_read_enter;
  p.go_read_return = skel_->progs.loupe_go_tls_read_return;
  p.set_go_layout = [map = skel_->maps.go_tls_layouts](uint32_t index, uint64_t tcp_conn_itab,
                                                       const gotls::GoTlsLayout& l) {
    loupe_go_tls_layout v{
        .tcp_conn_itab = tcp_conn_itab, .conn = l.conn, .fd = l.fd, .pfd = l.pfd, .sysfd = l.sysfd};
    return bpf_map__update_elem(map, &index, sizeof(index), &v, sizeof(v), BPF_ANY) == 0;
  };
  p.execs = {skel_->progs.loupe_process_exec, skel_->maps.exec_events,
             [bss = skel_->bss] { return static_cast<uint64_t>(bss->exec_events_lost); }};
  return p;
}

TracerCounters SocketTracer::counters() const {
  TracerCounters out;
  if (!skel_) return out;
  int ncpu = libbpf_num_possible_cpus();
  if (ncpu <= 0) return out;
  std::vector<uint64_t> per_cpu(static_cast<size_t>(ncpu));
  for (uint32_t i = 0; i < LOUPE_STAT_MAX; ++i) {
    if (bpf_map__lookup_elem(skel_->maps.stats, &i, sizeof(i), per_cpu.data(),
                             per_cpu.size() * sizeof(uint64_t), 0) == 0)
      for (uint64_t v : per_cpu) out.v[i] += v;
  }
  bpf_program* prog = nullptr;
  bpf_object__for_each_program(prog, skel_->obj) {
    bpf_prog_info info{};
    uint32_t len = sizeof(info);
    if (bpf_program__fd(prog) >= 0 &&
        bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len) == 0)
      out.missed_runs += info.recursion_misses;
  }
  return out;
}

std::vector<ProbeInfo> SocketTracer::probes() const {
  std::vector<ProbeInfo> out;
  if (!skel_) return out;
  struct Entry {
    const char* name;
    bpf_program* prog;
    bpf_link* link;
  };
  for (const Entry& e :
       {Entry{"tp_btf/sys_exit", skel_->progs.loupe_sys_exit, skel_->links.loupe_sys_exit},
        Entry{"raw_tracepoint/sched_process_exit", skel_->progs.loupe_process_exit,
              skel_->links.loupe_process_exit}}) {
    ProbeInfo p{e.name, e.link != nullptr};
    bpf_prog_info info{};
    uint32_t len = sizeof(info);
    if (bpf_obj_get_info_by_fd(bpf_program__fd(e.prog), &info, &len) == 0) {
      p.run_cnt = info.run_cnt;
      p.run_time_ns = info.run_time_ns;
    }
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace loupe
