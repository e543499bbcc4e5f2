// `loupe alerts check FILE`: validates an alerts file the way `promtool
// check rules` does: every error with its file, line and field, exit 1 when
// there is any.
#include <iostream>
#include <nlohmann/json.hpp>

#include "alerts/config_file.h"
#include "cli/commands.h"

namespace loupe::cli {
namespace {

struct CheckFlags {
  std::string file;
  bool json = false;
};

int check(const CheckFlags& f) {
  auto result = alerts::load_config_file(f.file);
  size_t builtin = 0, disabled = 0;
  for (const auto& r : result.config.rules) {
    builtin += r.builtin;
    disabled += !r.enabled;
  }
  if (f.json) {
    nlohmann::json errors = nlohmann::json::array();
    for (const auto& e : result.errors)
      errors.push_back(
          {{"file", e.file}, {"line", e.line}, {"field", e.field}, {"message", e.message}});
    std::cout << nlohmann::json{{"file", f.file},
                                {"valid", result.errors.empty()},
                                {"errors", errors},
                                {"rules", result.config.rules.size()},
                                {"builtin_rules", builtin},
                                {"disabled_rules", disabled},
                                {"receivers", result.config.receivers.size()}}
                     .dump(2)
              << "\n";
  } else if (result.errors.empty()) {
    std::cout << f.file << ": OK: " << result.config.rules.size() << " rules (" << builtin
              << " built-in, " << disabled << " disabled), " << result.config.receivers.size()
              << " receivers\n";
  } else {
    for (const auto& e : result.errors) std::cerr << e.text() << "\n";
    std::cerr << f.file << ": " << result.errors.size() << " error(s)\n";
  }
  return result.errors.empty() ? kOk : kFailure;
}

}  // namespace

void register_alerts(CLI::App& app, int& exit_code) {
  CLI::App* cmd = app.add_subcommand("alerts", "Work with alert rules (docs/alerts.md)");
  cmd->require_subcommand(1);
  auto f = std::make_shared<CheckFlags>();
  CLI::App* sub = cmd->add_subcommand(
      "check", "Validate an alerts file; exit 1 and list each error with its line if invalid");
  sub->add_option("FILE", f->file, "The alerts file (YAML)")->required();
  sub->add_flag("--json", f->json, "Print the result as JSON");
  sub->callback([f, &exit_code] { exit_code = check(*f); });
}

}  // namespace loupe::cli
