// Bounds how many distinct values each owner may have: routes per service,
// services per host. Routes come from whatever paths clients send and
// services from whatever peers and Host headers a process sees, so without
// a cap one scanner or one bad route template fills the store with names.
// Values past the cap fold into one overflow value the caller picks
// ("{other}").
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/text_hash.h"

namespace loupe::store {

inline constexpr std::string_view kOtherName = "{other}";

class CardinalityCap {
 public:
  explicit CardinalityCap(size_t max_per_owner = 0) : max_(max_per_owner) {}  // 0: no cap

  // True when `owner` already has `value` or has room for it (then it is
  // remembered); false when the owner is full.
  bool admit(std::string_view owner, std::string_view value);

  // Forgets every value (after retention deleted the rows that used them).
  void clear() { seen_.clear(); }

 private:
  // Lookups by string_view: admit runs for every stored record.
  size_t max_;
  TextMap<TextSet> seen_;
};

}  // namespace loupe::store
