#include "cli/doctor/report.h"

#include <algorithm>

#include "core/record_json.h"

namespace loupe::cli::doctor {

std::vector<CheckResult> capture_checks(const Options& o) {
  return {check_kernel_version(), check_btf(o),      check_tracefs(o), check_capabilities(),
          check_bpf_programs(),   check_memlock(),   check_cgroups(o), check_libssl(),
          check_disassembler(),   check_data_dir(o), check_server(o),  check_kubernetes(o)};
}

std::vector<CheckResult> server_checks(const Options& o) { return {check_data_dir(o)}; }

bool all_passed(const std::vector<CheckResult>& results) {
  return std::none_of(results.begin(), results.end(),
                      [](const CheckResult& r) { return r.status == Status::Fail; });
}

nlohmann::json report_json(const std::vector<CheckResult>& results,
                           const std::optional<Record>& canary_record) {
  nlohmann::json checks = nlohmann::json::array();
  for (const auto& r : results)
    checks.push_back({{"name", r.name},
                      {"status", r.status == Status::Pass   ? "pass"
                                 : r.status == Status::Fail ? "fail"
                                                            : "skip"},
                      {"detail", r.detail},
                      {"fix", r.fix}});
  return {{"ok", all_passed(results)},
          {"checks", checks},
          {"canary_record", canary_record ? record_to_json(*canary_record) : nullptr}};
}

}  // namespace loupe::cli::doctor
