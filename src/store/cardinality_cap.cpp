#include "store/cardinality_cap.h"

namespace loupe::store {

bool CardinalityCap::admit(std::string_view owner, std::string_view value) {
  if (max_ == 0) return true;
  auto it = seen_.find(owner);
  if (it == seen_.end()) it = seen_.emplace(owner, TextSet{}).first;
  TextSet& values = it->second;
  if (values.find(value) != values.end()) return true;
  if (values.size() >= max_) return false;
  values.emplace(value);
  return true;
}

}  // namespace loupe::store
