// The DW_EH_PE pointer encodings of .eh_frame (LSB, "Exception Frame"):
// how an FDE's initial location and range are stored. libdw interprets the
// CFI itself but does not export this decoder, which the unwind table
// builder needs to list every FDE's address range.
#pragma once

#include <cstdint>
#include <optional>

namespace loupe::profile {

struct EhPointer {
  uint64_t value = 0;
  const uint8_t* next = nullptr;  // the byte after the encoded value
};

// Decodes the value at `p` (no further than `end`) in `encoding`. `address`
// is where `p` is in the object's address space (for DW_EH_PE_pcrel).
// Applications other than absolute and pc-relative (datarel, textrel,
// funcrel, indirect) and unknown formats give nullopt, as does a value
// that does not fit before `end`. With `apply_relative` false the value is
// read as stored (an FDE's address range uses the format only).
std::optional<EhPointer> decode_eh_pointer(const uint8_t* p, const uint8_t* end, uint8_t encoding,
                                           uint64_t address, bool apply_relative = true);

// DW_EH_PE_omit: no value.
inline constexpr uint8_t kEhPointerOmit = 0xff;

}  // namespace loupe::profile
