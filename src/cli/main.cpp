// `loupe`: one binary, one subcommand per role (trace, run, server, agent,
// cluster, query, alerts). Each subcommand lives in its own file under src/cli/.
#include <CLI/CLI.hpp>
#include <iostream>
#include <string>

#include "agent/socket_tracer.h"
#include "cli/commands.h"
#include "server/api_server.h"
#include "store/store.h"

int main(int argc, char** argv) {
  CLI::App app{"Loupe: see every request on a host or cluster from the kernel", "loupe"};
  app.set_version_flag("--version", std::string("loupe ") + LOUPE_VERSION);
  app.require_subcommand(1);
  app.failure_message(CLI::FailureMessage::help);
  int exit_code = loupe::cli::kOk;
  // Subcommands, one line each:
  loupe::cli::register_trace(app, exit_code);
  loupe::cli::register_run(app, exit_code);
  loupe::cli::register_agent(app, exit_code);
  loupe::cli::register_server(app, exit_code);
  loupe::cli::register_query(app, exit_code);
  loupe::cli::register_cluster(app, exit_code);
  loupe::cli::register_alerts(app, exit_code);
  // A missing prerequisite surfaces as one of these, whose message already
  // says what to do; the command's name goes in front.
  auto prereq = [&](const std::exception& e) {
    auto subs = app.get_subcommands();
    std::cerr << "loupe" << (subs.empty() ? "" : " " + subs.front()->get_name()) << ": " << e.what()
              << "\n";
    return loupe::cli::kMissingPrereq;
  };
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? loupe::cli::kOk : loupe::cli::kUsage;
  } catch (const loupe::AgentError& e) {
    return prereq(e);
  } catch (const loupe::store::StoreError& e) {
    return prereq(e);
  } catch (const loupe::server::ApiError& e) {
    return prereq(e);
  }
  return exit_code;
}
