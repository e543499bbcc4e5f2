// libFuzzer target for the profiler's unwind table builder: any file a
// process maps is read for its .eh_frame (cfi_program interprets each
// FDE's CFI; unwind_table lists the FDEs and decodes their pointers). A
// corrupt or hostile file must give an error or fewer rows, never a crash
// or a table whose rows are out of order.
#include <cstdlib>
#include <string_view>

#include "agent/profile/eh_pointer.h"
#include "agent/profile/unwind_table.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string error;
  if (auto t = loupe::profile::build_unwind_table(
          std::string_view(reinterpret_cast<const char*>(data), size), &error)) {
    for (size_t i = 1; i < t->rows.size(); ++i)
      if (t->rows[i].pc <= t->rows[i - 1].pc) std::abort();
    if (t->rows.back().cfa_rule != LOUPE_UNWIND_CFA_NONE) std::abort();
  }
  // The pointer decoder on its own, every encoding over the same bytes.
  for (unsigned enc = 0; enc < 256 && size > 0; enc += 3) {
    auto v =
        loupe::profile::decode_eh_pointer(data + 1, data + size, static_cast<uint8_t>(enc), 0x1000);
    if (v && (v->next <= data + 1 || v->next > data + size)) std::abort();
  }
  return 0;
}
