// What the codec fuzz targets check after a round trip: the same records,
// field for field (their JSON, and `detail`, which the JSON form may cut).
#pragma once

#include <string>
#include <vector>

#include "core/record.h"
#include "core/record_json.h"

namespace loupe {

inline bool same_records(const std::vector<Record>& a, const std::vector<Record>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    std::string x, y;
    append_record_json(x, a[i]);
    append_record_json(y, b[i]);
    if (x != y || a[i].detail != b[i].detail) return false;
  }
  return true;
}

}  // namespace loupe
