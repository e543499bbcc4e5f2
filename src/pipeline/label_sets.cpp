#include "pipeline/label_sets.h"

#include <bit>

namespace loupe::pipeline {

uint32_t LabelSets::id(const store::ResolvedRecord& row, const Record& r) {
  uint64_t scalars =
      uint64_t{static_cast<uint8_t>(r.protocol)} | uint64_t{static_cast<uint8_t>(r.role)} << 8 |
      static_cast<uint64_t>(static_cast<uint32_t>(r.status / 100)) << 16 | uint64_t{r.error} << 48;
  uint64_t names = std::bit_cast<uintptr_t>(row.service) ^
                   std::rotl(uint64_t{std::bit_cast<uintptr_t>(row.caller)}, 17);
  uint64_t hash = mix_word(text_tail(row.route) ^ text_tail(r.method) * 0x9e3779b97f4a7c15ULL ^
                           mix_word(names ^ scalars));
  for (size_t i = hash & (kSlots - 1);; i = (i + 1) & (kSlots - 1)) {
    Slot& slot = slots_[i];
    if (slot.stamp != stamp_) {
      if (sets_.size() == kMaxSets) return 0;
      slot = {static_cast<uint32_t>(sets_.size()), stamp_};
      sets_.push_back({row.service, row.caller, row.route, &r, hash});
      return count();
    }
    const Set& s = sets_[slot.set];
    if (s.hash == hash && s.service == row.service && s.caller == row.caller &&
        s.record->protocol == r.protocol && s.record->role == r.role &&
        same_text(s.route, row.route) && same_record_labels(*s.record, r))
      return slot.set + 1;
  }
}

}  // namespace loupe::pipeline
