// Heap bytes an object owns beyond its own size, for the byte budgets that
// bound what Loupe keeps in memory (exporter queue, connection table,
// parsers' buffers). Constant time, so budgets can be kept per event.
#pragma once

#include <cstddef>
#include <string>

namespace loupe {

// A short string lives inside the object (its capacity is then the inline
// one); a longer one owns a buffer of capacity() + 1 bytes.
inline size_t heap_bytes(const std::string& s) {
  return s.capacity() > std::string().capacity() ? s.capacity() + 1 : 0;
}

}  // namespace loupe
