// Column types that depend on what the server supports (features.h), shared
// by every migration's DDL so one name has one type in every table.
#pragma once

#include <string>
#include <string_view>

#include "store/clickhouse/features.h"

namespace loupe::store::clickhouse {

// A repeated name (service, route, pod...): LowCardinality where the server
// has it, a plain String on 18.16.
inline std::string name_type(const Features& f) {
  return f.low_cardinality ? "LowCardinality(String)" : "String";
}
// " CODEC(c)" where the server has codecs, nothing otherwise.
inline std::string codec(const Features& f, std::string_view c) {
  return f.codecs ? " CODEC(" + std::string(c) + ")" : "";
}

}  // namespace loupe::store::clickhouse
