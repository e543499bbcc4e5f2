// `loupe doctor`: checks, in order, what Loupe needs on this host (and, for
// an agent, its server; for the collector, the Kubernetes API), says how to
// fix each thing missing, then proves capture works end to end with a
// canary request. Exit code 0 only when every check that applies passes.
#include <iostream>

#include "cli/commands.h"
#include "cli/doctor/canary.h"
#include "cli/doctor/check.h"
#include "cli/doctor/report.h"
#include "cli/record_text.h"
#include "cli/serve_flags.h"

namespace loupe::cli {
namespace {

using doctor::CheckResult;
using doctor::Status;

struct DoctorFlags {
  doctor::Options checks;
  std::string token_file;
  bool no_canary = false;
  std::string output = "text";
};

const char* status_name(Status s) {
  switch (s) {
    case Status::Pass:
      return "ok";
    case Status::Fail:
      return "FAIL";
    case Status::Skip:
      return "skip";
  }
  return "?";
}

void print_text(const std::vector<CheckResult>& results, const std::optional<Record>& record) {
  size_t width = 0;
  for (const auto& r : results) width = std::max(width, r.name.size());
  size_t failed = 0;
  for (const auto& r : results) {
    std::cout << "  " << status_name(r.status)
              << std::string(6 - std::string(status_name(r.status)).size(), ' ') << r.name
              << std::string(width + 2 - r.name.size(), ' ') << r.detail << "\n";
    if (r.status == Status::Fail) {
      ++failed;
      std::cout << "        fix: " << r.fix << "\n";
    }
  }
  if (record) std::cout << "        captured: " << format_record_text(*record) << "\n";
  if (failed)
    std::cout << "loupe doctor: " << failed << " of " << results.size() << " checks failed\n";
  else
    std::cout << "loupe doctor: everything Loupe needs is here\n";
}

int run_doctor(DoctorFlags f) {
  f.checks.token = read_token(f.token_file);
  std::vector<CheckResult> results = doctor::capture_checks(f.checks);
  std::optional<Record> record;
  if (!f.no_canary) {
    doctor::CanaryResult canary = doctor::run_canary();
    results.push_back(canary.check);
    record = std::move(canary.record);
  }
  bool ok = doctor::all_passed(results);
  if (f.output == "json")
    std::cout << doctor::report_json(results, record).dump() << "\n";
  else
    print_text(results, record);
  return ok ? kOk : kFailure;
}

}  // namespace

void register_doctor(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<DoctorFlags>();
  CLI::App* cmd = app.add_subcommand(
      "doctor",
      "Check what Loupe needs here (kernel, BTF, tracefs, BPF, capabilities, cgroups, libssl, "
      "data directory, server, Kubernetes API), say how to fix what is missing, and capture a "
      "canary request");
  cmd->add_option("--server", flags->checks.server,
                  "Loupe server an agent here sends to: check it answers and takes the token");
  add_token_flag(*cmd, flags->token_file, "to send to --server");
  add_ca_file_flag(*cmd, flags->checks.ca_file);
  cmd->add_option("--kubeconfig", flags->checks.kubeconfig,
                  "Check the Kubernetes API the collector watches (default: in-cluster, then "
                  "$KUBECONFIG; skipped outside a cluster)");
  cmd->add_option("--data-dir", flags->checks.data_dir, "Data directory that must be writable")
      ->capture_default_str();
  cmd->add_option("--btf", flags->checks.btf_path, "Kernel BTF file to look for")
      ->capture_default_str();
  cmd->add_flag("--no-canary", flags->no_canary, "Skip the canary capture");
  cmd->add_option("-o,--output", flags->output, "text or json (one object)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  cmd->callback([flags, &exit_code] { exit_code = run_doctor(*flags); });
}

}  // namespace loupe::cli
