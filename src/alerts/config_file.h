// Reads an alerts file (YAML, docs/alerts.md) into a Config with the
// built-in rules merged in: a file rule named like a built-in one re-tunes it
// (only the fields given change; `enabled: false` turns it off).
//
//   auto r = loupe::alerts::load_config_file("alerts.yaml");
//   for (auto& e : r.errors) std::cerr << e.text() << "\n";  // "alerts.yaml:12: rules[0].op: ..."
#pragma once

#include <string>
#include <vector>

#include "alerts/rule.h"

namespace loupe::alerts {

struct ConfigError {
  std::string file;
  int line = 0;       // 1-based; 0 when unknown
  std::string field;  // "rules[2].window"
  std::string message;
  std::string text() const;  // "FILE:LINE: FIELD: MESSAGE"
};

struct LoadResult {
  Config config;
  std::vector<ConfigError> errors;  // empty: config is valid
};

// The built-in rules alone (no file).
Config default_config();
LoadResult parse_config(const std::string& yaml_text, const std::string& file_name);
LoadResult load_config_file(const std::string& path);  // a missing file is an error

}  // namespace loupe::alerts
