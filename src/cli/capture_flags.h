// The capture flags shared by `loupe trace`, `loupe run` and `loupe agent`.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "agent/agent.h"

namespace loupe::cli {

struct CaptureFlags {
  uint32_t pid = 0;             // 0: every process
  std::vector<uint16_t> ports;  // empty: every port
  uint32_t capture_bytes = 4096;
  std::string ring_buffer_size = "8M";
  bool no_dns = false;
  std::string redact = "default";  // protocols/redaction.h
};

void add_capture_flags(CLI::App& cmd, CaptureFlags& flags);

// Validates and converts the flags; throws CLI::ValidationError on bad values.
AgentOptions agent_options(const CaptureFlags& flags);

// "8M" / "16MiB" / "4096" -> bytes; 0 on malformed input.
uint64_t parse_size(const std::string& text);
// parse_size for flag `name`; throws CLI::ValidationError on malformed
// input, and on 0 unless zero_ok.
uint64_t size_flag(const std::string& name, const std::string& text, bool zero_ok);

}  // namespace loupe::cli
