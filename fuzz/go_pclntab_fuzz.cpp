// libFuzzer target for Go's function table (.gopclntab) reader: the section
// comes from whatever binary a process maps, so counts and offsets in it
// are hostile. Every function it gives must have its name inside the input,
// a non-empty range, and come in address order.
#include <cstdlib>
#include <string>
#include <string_view>

#include "agent/profile/go_pclntab.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view section(reinterpret_cast<const char*>(data), size);
  std::string error;
  auto fns = loupe::profile::read_go_pclntab(section, 0x401000, &error);
  if (fns.size() > size) std::abort();
  for (size_t i = 0; i < fns.size(); ++i) {
    const auto& f = fns[i];
    if (f.name.empty() || f.name.data() < section.data() ||
        f.name.data() + f.name.size() > section.data() + section.size())
      std::abort();
    if (f.end <= f.entry) std::abort();
    if (i > 0 && fns[i - 1].entry > f.entry) std::abort();
  }
  if (fns.empty() && error.empty()) std::abort();  // an empty answer says why
  return 0;
}
