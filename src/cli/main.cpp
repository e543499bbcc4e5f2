#include <CLI/CLI.hpp>
#include <iostream>

int main(int argc, char** argv) {
  CLI::App app{"Loupe: see every request on a host or cluster from the kernel", "loupe"};
  app.set_version_flag("--version", std::string("loupe ") + LOUPE_VERSION);
  app.require_subcommand(1);
  CLI11_PARSE(app, argc, argv);
  return 0;
}
