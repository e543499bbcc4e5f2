// The names user frames are shown with (demangled, cleaned), kept by the
// symbol table and file offset they were found at: the same return
// addresses come back every round, and in every process that maps the same
// file (libc in all of them, a program started again). Naming one afresh
// took a symbol lookup, a copy of the symbol's name and a lookup of its
// shown name by that string (docs/benchmarks.md, "issue 14, profnew").
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/text_hash.h"

namespace loupe::profile {

class FrameNames {
 public:
  struct Name {
    std::string shown;
    // Where a thread's stack starts (main, thread start): a stack that
    // reaches it was unwound completely.
    bool stack_root = false;
  };

  // A frame of a module: its name, and whether a symbol gave it (else it
  // is the module's name and the offset).
  struct Frame {
    const Name* name = nullptr;
    bool symbol = false;
  };

  // The frame at `offset` of `module` (an id that stands for one file's
  // contents under one name, never for another), or a null name.
  Frame find(uint32_t module, uint64_t offset) const;
  // Keeps and returns that frame: `raw` is its symbol as the file spells it
  // (mangled), or, without one, the module and offset.
  const Name& add(uint32_t module, uint64_t offset, std::string_view raw, bool symbol);
  // The name of a frame known by no file offset (a JIT's, module+offset),
  // from its raw name.
  const Name& of(std::string_view raw);

  // Names returned stay valid until this is called (between rounds): past
  // the bound, all are forgotten.
  void trim();

 private:
  struct Key {
    uint64_t offset;
    uint32_t module;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const {
      return std::hash<uint64_t>{}(k.offset * 0x9e3779b97f4a7c15ULL ^ k.module);
    }
  };
  std::deque<Name> names_;  // a deque: references stay valid as it grows
  TextMap<const Name*> by_raw_;
  std::unordered_map<Key, Frame, KeyHash> by_frame_;
};

}  // namespace loupe::profile
