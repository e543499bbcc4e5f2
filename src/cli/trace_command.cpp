// `loupe trace`: prints every request/response exchange on this host as it
// completes, one line (or one JSON object) each.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <optional>

#include "cli/capture_flags.h"
#include "cli/commands.h"
#include "cli/signals.h"
#include "cli/trace_output.h"
#include "protocols/registry.h"

namespace loupe::cli {
namespace {

struct TraceFlags {
  CaptureFlags capture;
  std::string format = "text";
  std::vector<std::string> comms;
  std::vector<std::string> protocols;
  double duration_s = 0;
};

std::string format_losses(const LossCounts& n) {
  return std::to_string(n.undetected) + " undetected, " + std::to_string(n.parse_error) +
         " parse_error, " + std::to_string(n.resync) + " resync";
}

// Where connections lost records, so "Loupe saw nothing" always has a number.
void print_losses(const LossStats& lost) {
  for (const auto& [port, n] : lost.by_port)
    if (n.total() > 0)
      std::cerr << "loupe trace:   port " << port << ": " << format_losses(n) << "\n";
  for (const auto& [name, n] : lost.by_process)
    if (n.total() > 0)
      std::cerr << "loupe trace:   process " << name << ": " << format_losses(n) << "\n";
}

int run_trace(const TraceFlags& f) {
  TraceOutput output(stdout,
                     f.format == "json" ? TraceOutput::Format::Json : TraceOutput::Format::Text,
                     {f.comms, f.protocols});
  // Each batch goes back to the pump once printed, so the next is built
  // in memory already faulted in, not in a vector allocated (and its pages
  // faulted in) per drain.
  auto pool = std::make_shared<RecordBatchPool>(2);
  auto print = [&output, pool](std::vector<Record>&& batch, size_t) {
    output.print(batch);
    pool->give(std::move(batch));
  };
  AgentOptions agent_opts = agent_options(f.capture);
  // Printed after every drain (every few milliseconds), not in the 50 ms
  // batches that spare the store's writer: someone is watching.
  agent_opts.hand_over_interval_ms = 0;
  // A drain at saturation hands over ~650 records (5 ms of nginx under
  // wrk). Batches of at most 1,024, not 4,096: the pool's vectors are a
  // quarter of the size (the pool reads which of their pages are resident
  // on every give, a mincore over each, ~1.5% of the process's CPU), and
  // so is the text of a batch written at once, which stays in cache.
  agent_opts.batch_records = 1024;
  agent_opts.batch_pool = pool;
  Agent agent(agent_opts, print);
  install_stop_signals();
  agent.start();
  std::cerr << "loupe trace: tracing"
            << (f.capture.pid ? " pid " + std::to_string(f.capture.pid) : " all processes")
            << "; Ctrl-C to stop\n";
  wait_for_stop(std::chrono::milliseconds(static_cast<int64_t>(f.duration_s * 1000)));
  agent.stop();
  AgentCounters c = agent.counters();
  std::cerr << "loupe trace: " << c.events << " events, " << c.records << " exchanges ("
            << output.printed() << " printed), " << c.kernel_drops << " events dropped, "
            << c.truncated << " payloads truncated, " << c.lost.undetected
            << " connections with an unknown protocol, " << c.lost.parse_error
            << " with parse errors, " << c.lost.resync << " resynchronised\n";
  print_losses(agent.losses());
  return kOk;
}

}  // namespace

void register_trace(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<TraceFlags>();
  CLI::App* cmd = app.add_subcommand(
      "trace", "Print every request/response exchange on this host as it completes (needs root)");
  cmd->add_option("--format,-o", flags->format, "Output format")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  cmd->add_option("--comm", flags->comms, "Only processes with this name")->delimiter(',');
  std::vector<std::string> protocols;  // the registry's, listed by the check in --help
  for (const auto& m : protocol_modules()) protocols.emplace_back(to_string(m.protocol));
  cmd->add_option("--protocol", flags->protocols, "Only these protocols")
      ->delimiter(',')
      ->check(CLI::IsMember(protocols));
  cmd->add_option("--duration", flags->duration_s, "Stop after this many seconds (0: until Ctrl-C)")
      ->check(CLI::NonNegativeNumber);
  add_capture_flags(*cmd, flags->capture);
  cmd->callback([flags, &exit_code] { exit_code = run_trace(*flags); });
}

}  // namespace loupe::cli
