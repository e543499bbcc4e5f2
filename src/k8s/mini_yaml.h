// A reader for the block-YAML subset kubeconfig files use, so the collector
// needs no YAML library: mappings, sequences (indented or not), "- key: v"
// items, plain/single/double-quoted scalars, comments, "{}" and "[]".
// Anchors, tags, multi-document streams and block scalars are not supported
// and produce an error rather than a wrong answer.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace loupe::k8s {

// Scalars become JSON strings ("true" stays a string; callers interpret).
// On error returns null and sets *error to "line N: what".
nlohmann::json parse_mini_yaml(std::string_view text, std::string* error);

}  // namespace loupe::k8s
