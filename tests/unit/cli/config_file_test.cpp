// The config file and the LOUPE_* variables: precedence flags > environment
// > file > defaults, and errors that name the file and line.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "cli/app.h"
#include "cli/option_env.h"

namespace loupe::cli {
namespace {

class ConfigFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() / ("loupe-config-test-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    for (const auto& name : env_) unsetenv(name.c_str());
    std::filesystem::remove_all(dir_);
  }
  std::string write(const std::string& text) {
    std::string path = (dir_ / "loupe.yaml").string();
    std::ofstream(path) << text;
    return path;
  }
  void set_env(const std::string& name, const std::string& value) {
    setenv(name.c_str(), value.c_str(), 1);
    env_.push_back(name);
  }
  // Parses `loupe ARGS...` up to the point where the command would run.
  void parse(std::vector<std::string> args) {
    app_ = std::make_unique<ParseOnlyApp>();
    build_app(*app_, exit_code_);
    std::reverse(args.begin(), args.end());  // CLI11 takes them in reverse
    try {
      app_->parse(args);
      FAIL() << "the command would have run";
    } catch (const ParseOnlyApp::Parsed&) {
    }
  }
  std::string value(const std::string& command, const std::string& flag) {
    return app_->get_subcommand(command)->get_option(flag)->as<std::string>();
  }

  std::filesystem::path dir_;
  std::vector<std::string> env_;
  std::unique_ptr<ParseOnlyApp> app_;
  int exit_code_ = 0;
};

TEST_F(ConfigFileTest, FileSetsOptionsOfTheCommandThatRuns) {
  std::string path = write(
      "server:\n  retention: 7d\n  listen: 127.0.0.1:9000\n  insecure: true\n"
      "agent:\n  server: http://elsewhere:8080\n  port: [80, 5432]\n");
  parse({"--config", path, "server"});
  EXPECT_EQ(value("server", "--retention"), "7d");
  EXPECT_EQ(value("server", "--listen"), "127.0.0.1:9000");
  EXPECT_TRUE(app_->get_subcommand("server")->get_option("--insecure")->as<bool>());
  // Another command's section is checked, not applied.
  EXPECT_EQ(app_->get_subcommand("agent")->get_option("--server")->count(), 0u);

  parse({"agent", "--config", path});  // --config after the command works too
  EXPECT_EQ(value("agent", "--server"), "http://elsewhere:8080");
  EXPECT_EQ(app_->get_subcommand("agent")->get_option("--port")->as<std::vector<uint16_t>>(),
            (std::vector<uint16_t>{80, 5432}));
}

TEST_F(ConfigFileTest, FlagsBeatEnvironmentWhichBeatsTheFile) {
  std::string path = write("run:\n  retention: 7d\n  listen: 127.0.0.1:9000\n  data-dir: /f\n");
  set_env("LOUPE_RETENTION", "2d");
  set_env("LOUPE_LISTEN", "127.0.0.1:9001");
  parse({"--config", path, "run", "--listen", "127.0.0.1:9002"});
  EXPECT_EQ(value("run", "--listen"), "127.0.0.1:9002");  // flag
  EXPECT_EQ(value("run", "--retention"), "2d");           // environment over file
  EXPECT_EQ(value("run", "--data-dir"), "/f");            // file over default
  EXPECT_EQ(value("run", "--alerts-eval-interval"), "15s");
}

TEST_F(ConfigFileTest, OlderVariablesAlsoBeatTheFile) {
  // LOUPE_TOKEN holds the token itself: a token-file from the file must not
  // hide it.
  std::string path = write("agent:\n  server: http://s:8080\n  token-file: /etc/loupe/token\n");
  set_env("LOUPE_TOKEN", "from-the-environment");
  parse({"--config", path, "agent"});
  EXPECT_EQ(app_->get_subcommand("agent")->get_option("--token-file")->count(), 0u);
  EXPECT_EQ(value("agent", "--server"), "http://s:8080");
}

TEST_F(ConfigFileTest, EveryLongOptionHasOneVariableAndIsAKey) {
  ParseOnlyApp app;
  int unused = 0;
  build_app(app, unused);
  std::string all;
  for (const std::string& command : kConfigurableCommands)
    for (const CLI::Option* opt : app.get_subcommand(command)->get_options()) {
      if (opt->get_lnames().empty() || opt->get_lnames().front() == "help") continue;
      EXPECT_FALSE(opt->get_envname().empty()) << command << " --" << opt->get_lnames().front();
      EXPECT_TRUE(opt->get_configurable()) << command << " --" << opt->get_lnames().front();
    }
  EXPECT_EQ(env_name_for("max-connections-per-client"), "LOUPE_MAX_CONNECTIONS_PER_CLIENT");
  EXPECT_EQ(app.get_subcommand("agent")->get_option("--spool-max")->get_envname(),
            "LOUPE_SPOOL_MAX");
}

TEST_F(ConfigFileTest, UnknownKeysAndWrongShapesNameFileAndLine) {
  std::string path = write(
      "run:\n"
      "  lisen: 1.2.3.4:80\n"    // line 2
      "  retention: [1d, 2d]\n"  // line 3
      "  port: {a: 1}\n"         // line 4
      "agnt:\n"                  // line 5
      "  server: x\n");
  try {
    parse({"--config", path, "run"});
    FAIL() << "accepted";
  } catch (const CLI::ConfigError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find(path + ":2: run: unknown option 'lisen'"), std::string::npos) << msg;
    EXPECT_NE(msg.find(path + ":3: run.retention: takes one value, not a list"), std::string::npos)
        << msg;
    EXPECT_NE(msg.find(path + ":4: run.port: expected a plain value"), std::string::npos) << msg;
    EXPECT_NE(msg.find(path + ":5: unknown section 'agnt'"), std::string::npos) << msg;
  }
}

TEST_F(ConfigFileTest, BrokenYamlNamesTheLine) {
  std::string path = write("server:\n  listen: 127.0.0.1:1\n  retention: [7d\n");
  try {
    parse({"--config", path, "server"});
    FAIL() << "accepted";
  } catch (const CLI::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(path + ":"), std::string::npos) << e.what();
  }
}

TEST_F(ConfigFileTest, AFileNamedOnTheCommandLineMustExist) {
  EXPECT_THROW(parse({"--config", (dir_ / "missing.yaml").string(), "server"}), CLI::FileError);
}

TEST_F(ConfigFileTest, AnEmptyFileChangesNothing) {
  parse({"--config", write(""), "server"});
  EXPECT_EQ(value("server", "--retention"), "24h");
}

}  // namespace
}  // namespace loupe::cli
