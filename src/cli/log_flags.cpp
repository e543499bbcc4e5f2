#include "cli/log_flags.h"

#include <filesystem>

namespace loupe::cli {

void add_log_flags(CLI::App& cmd, LogFlags& flags, std::vector<std::string> default_globs,
                   const std::string& default_checkpoint) {
  flags.globs = std::move(default_globs);
  flags.checkpoint = default_checkpoint;
  cmd.add_option("--logs", flags.globs,
                 "Log files to follow (a glob; repeatable; 'none' follows none): their lines are "
                 "stored and searchable, rotation-safe (docs/logs.md)")
      ->capture_default_str();
  cmd.add_option("--logs-checkpoint", flags.checkpoint,
                 "File keeping where each log file was read up to, so a restart resumes exactly")
      ->capture_default_str();
}

std::unique_ptr<logs::LogCollector> start_log_collector(const LogFlags& flags,
                                                        const std::string& node,
                                                        logs::Deliver deliver,
                                                        std::function<void()> idle) {
  std::vector<std::string> globs;
  for (const std::string& g : flags.globs)
    if (g != "none" && !g.empty()) globs.push_back(g);
  if (globs.empty()) return nullptr;
  if (!flags.checkpoint.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(flags.checkpoint).parent_path(), ec);
  }
  logs::CollectorOptions opts;
  opts.tailer.globs = std::move(globs);
  opts.checkpoint_path = flags.checkpoint;
  opts.node = node;
  opts.idle = std::move(idle);
  return std::make_unique<logs::LogCollector>(std::move(opts), std::move(deliver));
}

}  // namespace loupe::cli
