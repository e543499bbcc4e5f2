#include "cli/app.h"

#include "cli/build_info.h"
#include "cli/commands.h"
#include "cli/option_env.h"

namespace loupe::cli {

std::shared_ptr<YamlConfig> build_app(CLI::App& app, int& exit_code) {
  app.set_version_flag("--version", version_line());
  app.require_subcommand(1);
  app.failure_message(CLI::FailureMessage::help);
  // `loupe run --config x.yaml` as well as `loupe --config x.yaml run`.
  app.fallthrough();
  // Subcommands, one line each:
  register_trace(app, exit_code);
  register_profile(app, exit_code);
  register_run(app, exit_code);
  register_agent(app, exit_code);
  register_server(app, exit_code);
  register_query(app, exit_code);
  register_cluster(app, exit_code);
  register_alerts(app, exit_code);
  register_config(app, exit_code);
  register_doctor(app, exit_code);
  register_completion(app, exit_code);  // after the others: it lists them
  // Every flag registered above gets its variable and its config file key.
  name_environment_variables(app);
  return add_config_option(app);
}

}  // namespace loupe::cli
