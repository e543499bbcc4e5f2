#include "store/clickhouse/features.h"

namespace loupe::store::clickhouse {

Features features_of(const Version& v) {
  Features f;
  f.low_cardinality = v >= Version{19, 3, 0};
  f.codecs = v >= Version{19, 10, 0};
  f.skip_indexes = v >= Version{20, 1, 0};
  f.insert_deduplication_token = v >= Version{22, 2, 0};
  return f;
}

std::string to_string(const Features& f) {
  std::string s;
  auto add = [&](bool on, const char* name) {
    if (!on) return;
    if (!s.empty()) s += ", ";
    s += name;
  };
  add(f.low_cardinality, "LowCardinality");
  add(f.codecs, "codecs");
  add(f.skip_indexes, "skip indexes");
  add(f.insert_deduplication_token, "insert_deduplication_token");
  return s.empty() ? "none" : s;
}

}  // namespace loupe::store::clickhouse
