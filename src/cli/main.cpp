// `loupe`: one binary, one subcommand per role (trace, run, server, agent,
// cluster, query, alerts, config, doctor, completion). Each subcommand lives in its
// own file under src/cli/; cli/app.cpp puts them together.
#include <CLI/CLI.hpp>
#include <iostream>
#include <string>

#include "agent/socket_tracer.h"
#include "cli/app.h"
#include "cli/commands.h"
#include "core/sched_slice.h"
#include "server/api_server.h"
#include "store/store.h"

int main(int argc, char** argv) {
  // Before any thread starts: every thread inherits it (the pump sets its
  // own). Loupe's work waits for the host's programs, not the other way.
  loupe::set_thread_slice(loupe::kBackgroundSlice);
  CLI::App app{"Loupe: see every request on a host or cluster from the kernel", "loupe"};
  int exit_code = loupe::cli::kOk;
  loupe::cli::build_app(app, exit_code);
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
  } catch (const CLI::ConfigError& e) {  // names the file and line already
    std::cerr << "loupe: " << e.what() << "\n";
    return loupe::cli::kUsage;
  } catch (const CLI::FileError& e) {  // --config names a missing file
    std::cerr << "loupe: --config: " << e.what() << "\n";
    return loupe::cli::kUsage;
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
