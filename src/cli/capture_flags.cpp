#include "cli/capture_flags.h"

#include <cctype>

#include "protocols/registry.h"

namespace loupe::cli {

uint64_t parse_size(const std::string& text) {
  size_t i = 0;
  uint64_t n = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])) && n < (1ULL << 40))
    n = n * 10 + static_cast<uint64_t>(text[i++] - '0');
  if (i == 0) return 0;
  std::string unit = text.substr(i);
  if (unit.empty() || unit == "B") return n;
  if (unit == "K" || unit == "KiB" || unit == "k") return n << 10;
  if (unit == "M" || unit == "MiB") return n << 20;
  if (unit == "G" || unit == "GiB") return n << 30;
  return 0;
}

uint64_t size_flag(const std::string& name, const std::string& text, bool zero_ok) {
  uint64_t n = parse_size(text);
  if (n == 0 && !(zero_ok && text == "0"))
    throw CLI::ValidationError(name, "expected a size like 256M or 1G, got '" + text + "'");
  return n;
}

void add_capture_flags(CLI::App& cmd, CaptureFlags& flags) {
  cmd.add_option("--pid", flags.pid, "Only this process (thread group id; filtered in the kernel)");
  cmd.add_option("--port", flags.ports,
                 "Only connections with this local or remote port (filtered in the kernel)")
      ->delimiter(',');
  cmd.add_option("--capture-bytes", flags.capture_bytes,
                 "Payload bytes copied per read/write syscall (1-" +
                     std::to_string(LOUPE_MAX_CAPTURE) + ")")
      ->envname("LOUPE_CAPTURE_BYTES")
      ->check(CLI::Range(1u, static_cast<uint32_t>(LOUPE_MAX_CAPTURE)))
      ->capture_default_str();
  cmd.add_option("--ring-buffer-size", flags.ring_buffer_size,
                 "Kernel-to-user ring buffer size, a power of two (e.g. 4M, 16M)")
      ->envname("LOUPE_RING_BUFFER_SIZE")
      ->capture_default_str();
  cmd.add_flag("--no-dns", flags.no_dns, "Do not trace DNS over UDP");
  cmd.add_option("--redact", flags.redact,
                 "What records mask before they leave this host: default (" +
                     redaction_summary(Redaction::Default) +
                     "), off (as captured), strict (default, error texts; " +
                     redaction_summary(Redaction::Strict) + ")")
      ->envname("LOUPE_REDACT")
      ->check(CLI::IsMember({"default", "off", "strict"}))
      ->capture_default_str();
}

AgentOptions agent_options(const CaptureFlags& flags) {
  uint64_t rb = parse_size(flags.ring_buffer_size);
  if (rb < 4096 || rb > (1ULL << 30) || (rb & (rb - 1)) != 0)
    throw CLI::ValidationError(
        "--ring-buffer-size",
        "must be a power of two between 4K and 1G, got '" + flags.ring_buffer_size + "'");
  AgentOptions o;
  o.tracer.filter_tgid = flags.pid;
  o.tracer.filter_ports = flags.ports;
  o.tracer.capture_bytes = flags.capture_bytes;
  o.tracer.ring_buffer_bytes = static_cast<uint32_t>(rb);
  o.tracer.trace_dns = !flags.no_dns;
  o.tracker.redaction = redaction_from_string(flags.redact).value_or(Redaction::Default);
  return o;
}

}  // namespace loupe::cli
