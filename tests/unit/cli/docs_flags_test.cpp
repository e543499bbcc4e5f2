// The docs cannot drift from the binary: every flag of every `loupe` command
// is documented in docs/cli.md, in its command's section, and every flag the
// docs name exists, on the command they name it for. The flags come from the
// CLI11 objects `loupe` itself is built from (cli/app.cpp).
#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "cli/app.h"

namespace loupe::cli {
namespace {

const std::filesystem::path kRepo = std::filesystem::path(LOUPE_TEST_DATA) / "../..";

// Flags the docs name that belong to other programs (scripts, helm, podman,
// the UI's mock server...). A loupe flag never goes here.
const std::set<std::string> kOtherProgramsFlags = {"--ab",
                                                   "--add-architecture",
                                                   "--agent-objects",
                                                   "--batch",
                                                   "--branch-sim",
                                                   "--budget",
                                                   "--burn-ns",
                                                   "--cache-sim",
                                                   "--call-graph",
                                                   "--connections",
                                                   "--cpu",
                                                   "--create-namespace",
                                                   "--data-binary",
                                                   "--dense-only",
                                                   "--dump",
                                                   "--endpoints",
                                                   "--fast",
                                                   "--from-file",
                                                   "--from-literal",
                                                   "--hours",
                                                   "--http2",
                                                   "--install",
                                                   "--late",
                                                   "--mock",
                                                   "--no-map",
                                                   "--now",
                                                   "--only",
                                                   "--out",
                                                   "--per-thread",
                                                   "--perf-basic-prof",
                                                   "--privileged",
                                                   "--profile-parts",
                                                   "--raw",
                                                   "--records",
                                                   "--refresh",
                                                   "--requests",
                                                   "--rounds",
                                                   "--runtime",
                                                   "--sched",
                                                   "--security-opt",
                                                   "--set",
                                                   "--set-json",
                                                   "--spread",
                                                   "--store-dump",
                                                   "--tag",
                                                   "--test",
                                                   "--ulimit",
                                                   "--url",
                                                   "--write",
                                                   "--write-bytes"};

std::string read(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// "--port" for every long name of `app`'s own options.
std::set<std::string> own_flags(const CLI::App& app) {
  std::set<std::string> out;
  for (const CLI::Option* o : app.get_options())
    for (const std::string& name : o->get_lnames()) out.insert("--" + name);
  return out;
}

// The same, and recursively its subcommands' ("query" holds "--since" of
// "query services").
std::set<std::string> flags_of(CLI::App& app) {
  std::set<std::string> out = own_flags(app);
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; }))
    out.merge(flags_of(*sub));
  return out;
}

struct Mention {
  std::string flag;  // "--port", or "--otlp-*" for every flag starting "--otlp-"
  size_t line;       // 1-based
};

// Every `--flag` in `text` (not inside a word, nor a `---` table rule).
std::vector<Mention> mentions(const std::string& text) {
  static const std::regex flag(R"((^|[^A-Za-z0-9_-])(--[a-z]([a-z0-9-]*[a-z0-9])?(-\*)?))");
  std::vector<Mention> out;
  std::istringstream in(text);
  std::string line;
  for (size_t n = 1; std::getline(in, line); ++n)
    for (std::sregex_iterator it(line.begin(), line.end(), flag), end; it != end; ++it)
      out.push_back({(*it)[2].str(), n});
  return out;
}

bool names(const std::vector<Mention>& docs, const std::string& flag) {
  for (const Mention& m : docs) {
    if (m.flag == flag) return true;
    if (m.flag.ends_with("-*") && flag.starts_with(m.flag.substr(0, m.flag.size() - 1)))
      return true;
  }
  return false;
}

bool exists(const std::set<std::string>& flags, const std::string& mention) {
  if (!mention.ends_with("-*")) return flags.count(mention) > 0;
  std::string prefix = mention.substr(0, mention.size() - 1);
  auto it = flags.lower_bound(prefix);
  return it != flags.end() && it->starts_with(prefix);
}

// The subcommand `words` name from `app` ("alerts check FILE" -> alerts
// check), and how many words that took.
std::pair<CLI::App*, size_t> resolve(CLI::App& app, const std::vector<std::string>& words) {
  CLI::App* at = &app;
  size_t used = 0;
  for (const std::string& w : words) {
    CLI::App* sub = nullptr;
    for (CLI::App* s : at->get_subcommands([](CLI::App*) { return true; }))
      if (s->get_name() == w) sub = s;
    if (!sub) break;
    at = sub;
    ++used;
  }
  return {at, used};
}

std::vector<std::string> words_of(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// docs/cli.md cut at its "## " headings; a heading "## `loupe a b ...`"
// names the command the section documents.
struct Section {
  CLI::App* command = nullptr;  // null: not about one command
  std::string text;
  size_t first_line = 1;
};

std::vector<Section> sections(CLI::App& app, const std::string& doc) {
  std::vector<Section> out(1);
  std::istringstream in(doc);
  std::string line;
  for (size_t n = 1; std::getline(in, line); ++n) {
    if (line.starts_with("## ")) {
      Section s;
      s.first_line = n;
      static const std::regex heading(R"(^## `loupe ([^`]*)`)");
      std::smatch m;
      if (std::regex_search(line, m, heading)) {
        auto [command, used] = resolve(app, words_of(m[1].str()));
        if (used > 0) s.command = command;
      }
      out.push_back(s);
    }
    out.back().text += line + "\n";
  }
  return out;
}

std::string path_of(const CLI::App* app) {
  std::string path;
  for (; app && app->get_parent(); app = app->get_parent())
    path = app->get_name() + (path.empty() ? "" : " " + path);
  return "loupe" + (path.empty() ? "" : " " + path);
}

class DocsFlags : public ::testing::Test {
 protected:
  void SetUp() override {
    build_app(app_, exit_code_);
    cli_md_ = read(kRepo / "docs/cli.md");
    ASSERT_FALSE(cli_md_.empty());
    all_flags_ = flags_of(app_);
  }
  // Every command, the root included.
  std::vector<CLI::App*> commands() {
    std::vector<CLI::App*> out{&app_};
    for (size_t i = 0; i < out.size(); ++i)
      for (CLI::App* s : out[i]->get_subcommands([](CLI::App*) { return true; })) out.push_back(s);
    return out;
  }

  CLI::App app_;
  int exit_code_ = 0;
  std::string cli_md_;
  std::set<std::string> all_flags_;
};

TEST_F(DocsFlags, EveryFlagIsDocumentedInItsCommandsSection) {
  std::vector<Section> secs = sections(app_, cli_md_);
  for (CLI::App* command : commands()) {
    // The section of the command, else of the nearest command above it
    // (`loupe query` documents `loupe query logs`), else all of cli.md.
    const Section* home = nullptr;
    for (CLI::App* c = command; c && !home; c = c->get_parent())
      for (const Section& s : secs)
        if (s.command == c) home = &s;
    std::vector<Mention> documented = mentions(home ? home->text : cli_md_);
    for (const CLI::Option* o : command->get_options()) {
      if (o->get_lnames().empty() || o->get_lnames().front() == "help") continue;
      std::string flag = "--" + o->get_lnames().front();
      EXPECT_TRUE(names(documented, flag))
          << path_of(command) << " " << flag << " is not named in docs/cli.md"
          << (home ? " in the section of `" + path_of(home->command) + "`" : "");
    }
  }
}

TEST_F(DocsFlags, EveryFlagInCliMdExistsOnItsCommand) {
  for (const Section& s : sections(app_, cli_md_)) {
    std::set<std::string> allowed = s.command ? flags_of(*s.command) : all_flags_;
    allowed.merge(own_flags(app_));  // --config, --version
    for (const Mention& m : mentions(s.text))
      EXPECT_TRUE(exists(allowed, m.flag))
          << "docs/cli.md:" << s.first_line + m.line - 1 << ": " << m.flag << " is not a flag of "
          << (s.command ? "`" + path_of(s.command) + "`" : "any loupe command");
  }
}

// In every doc, flags are loupe's (or another program's, listed above), and
// on a command line (`loupe trace --port 80`, `\`-continued lines included)
// they are flags of the command named.
TEST_F(DocsFlags, EveryFlagInTheDocsExists) {
  std::vector<std::filesystem::path> docs{kRepo / "README.md"};
  for (const auto& e : std::filesystem::recursive_directory_iterator(kRepo / "docs"))
    if (e.path().extension() == ".md") docs.push_back(e.path());
  ASSERT_GT(docs.size(), 5u);
  static const std::regex command_line(R"((^|[\s/`(])loupe((\s+[a-z][a-z-]*)*))");
  for (const auto& doc : docs) {
    std::string text = read(doc);
    std::string name = std::filesystem::relative(doc, kRepo).string();
    for (const Mention& m : mentions(text))
      EXPECT_TRUE(exists(all_flags_, m.flag) || kOtherProgramsFlags.count(m.flag))
          << name << ":" << m.line << ": " << m.flag
          << " is not a flag of any loupe command (a "
             "flag of another program goes into kOtherProgramsFlags above)";

    std::istringstream in(text);
    std::string line;
    CLI::App* continued = nullptr;  // the command of a line ending in `\`
    for (size_t n = 1; std::getline(in, line); ++n) {
      CLI::App* command = continued;
      std::string rest = line;
      std::smatch m;
      if (!command && std::regex_search(line, m, command_line)) {
        auto [named, used] = resolve(app_, words_of(m[2].str()));
        if (used > 0) command = named;
        rest = m.suffix().str();
      }
      continued = nullptr;
      if (!command) continue;
      // The command ends at a pipe, a list operator, a comment or the code span.
      std::string args = rest.substr(0, rest.find_first_of("|;&#`)"));
      if (args.size() == rest.size() && !rest.empty() && rest.back() == '\\') continued = command;
      std::set<std::string> allowed = flags_of(*command);
      allowed.merge(own_flags(app_));  // --config, --version
      for (const Mention& f : mentions(args))
        EXPECT_TRUE(exists(allowed, f.flag)) << name << ":" << n << ": " << f.flag
                                             << " is not a flag of `" << path_of(command) << "`";
    }
  }
}

}  // namespace
}  // namespace loupe::cli
