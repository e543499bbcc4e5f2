// Names the addresses of sampled stacks: user frames through the process's
// /proc/PID/maps and each module's ELF symbols (its separate debug file's
// when stripped, Go's function table for Go; cached per build id, within
// a byte budget, so a binary shared by many processes is read once), code a
// runtime compiled (Node.js, Java...) through its /tmp/perf-PID.map, kernel
// frames through the kernel's own lookup (kernel_frames.h). C++ and Rust
// names are demangled. Whatever cannot be named is shown as module+offset
// or [unknown], and counted; nothing here throws on bad input (exited
// processes, unreadable or corrupt files).
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "agent/profile/debug_file.h"
#include "agent/profile/elf_symbols.h"
#include "agent/profile/frame_names.h"
#include "agent/profile/kernel_frames.h"
#include "agent/profile/perf_map.h"
#include "agent/profile/proc_maps.h"
#include "agent/profile/proc_stat.h"
#include "core/text_hash.h"

namespace loupe::profile {

struct SymbolizerOptions {
  std::string proc_root = "/proc";
  // ELF symbol tables kept in memory. 16 MiB holds a host's usual set
  // (libc, libstdc++, libcrypto, Loupe's own 11k symbols: 1-2 MiB each);
  // at 64 MiB the agent kept a compiler's and an LLVM's tables too, most of
  // its heap in a DaemonSet meant to stay under 64 MiB (docs/benchmarks.md,
  // "issue 14, agentrss"). Past it the least recently used go, counted.
  size_t cache_bytes = 16 << 20;
  // Kernel frames named by the running kernel (a BPF program, see
  // kernel_name_lookup.h) rather than by proc_root's kallsyms, which is
  // read only when the program does not load.
  bool kernel_lookup = true;
};

struct SymbolizerCounters {
  uint64_t maps_unreadable = 0;     // processes gone (or hidden) before their stacks were named
  uint64_t maps_malformed = 0;      // /proc/PID/maps lines that did not parse
  uint64_t maps_read = 0;           // /proc/PID/maps read (a process new, or its memory changed)
  uint64_t elf_unreadable = 0;      // module files missing, replaced or not valid ELF
  uint64_t elf_loaded = 0;          // symbol tables read (cache misses)
  DebugFileCounters debug_files;    // separate debug files of stripped binaries
  uint64_t cache_evictions = 0;     // symbol tables dropped to stay within the budget
  uint64_t perf_maps_loaded = 0;    // JIT maps (/tmp/perf-PID.map) read
  uint64_t perf_maps_too_big = 0;   // JIT maps skipped: larger than the whole cache budget
  uint64_t perf_map_malformed = 0;  // JIT map lines that did not parse
  uint64_t frames = 0;              // frames named or attempted
  uint64_t frames_unresolved = 0;   // frames shown as module+offset or [unknown]
  uint64_t cache_bytes = 0;         // held now
};

// Frame names, root (outermost caller) first.
using Frames = std::vector<std::string>;

class Symbolizer {
 public:
  explicit Symbolizer(SymbolizerOptions opts = {});

  // Starts a round: call once per drain. Each process sampled is looked at
  // again (its /proc/PID/stat), and its maps read again when its memory
  // may have changed (a new process with its pid, an exec, a mapping added
  // or removed), or a minute after they were read. A process that exits
  // before the next round is still named with this round's.
  void new_round();

  // Process `tgid`'s name (its /proc/PID/stat) this round; empty when it
  // cannot be read (exited).
  std::string process_name(uint32_t tgid);

  // Reads process `tgid`'s maps and its modules' symbols now, so that its
  // frames are named even if it exits before its stacks are collected
  // (`loupe profile --pid` of a short-lived process).
  void remember(uint32_t tgid);

  // Appends the names of user addresses `ips` (leaf first, as sampled) of
  // process `tgid` to `out`, root first. Marks a stack that does not reach
  // a known entry point (main, thread start) with a "[truncated]" frame at
  // its root: frame-pointer unwinding stops at the first function built
  // without them. A process that has exited gets one "[process exited]"
  // frame.
  void add_user_frames(uint32_t tgid, const std::vector<uint64_t>& ips, bool at_max_depth,
                       Frames& out);
  // The kernel addresses of a stack (leaf first) that add_kernel_frames
  // will be given this round: those of all stacks are named together, a
  // batch a system call, on the first call.
  void expect_kernel_frames(const std::vector<uint64_t>& ips) { kernel_frames_.expect(ips); }
  // Appends the names of kernel addresses (leaf first), root first, each
  // suffixed "_[k]" as flame graph tools expect.
  void add_kernel_frames(const std::vector<uint64_t>& ips, Frames& out);

  const SymbolizerCounters& counters() const { return counters_; }

 private:
  struct CachedElf {
    std::shared_ptr<const ElfSymbols> symbols;  // null: the file could not be read
    std::list<std::string>::iterator lru;
  };
  // The module a mapping's file was found to be.
  struct ModuleRef {
    std::string key;     // in `elves_`
    uint32_t id = 0;     // its frames' key in `frame_names_` (module_id)
    uint64_t round = 0;  // the last round its entry in `elves_` was marked used
  };
  // What names a process's frames: its executable mappings and, for each
  // mapping whose module was read, that module.
  struct ProcessModules {
    std::vector<Mapping> maps;
    std::unordered_map<uint64_t, ModuleRef> modules;  // by Mapping::start
  };
  // What is known of a process sampled this round or the one before.
  struct Process {
    std::optional<ProcStat> now;            // this round's /proc/PID/stat (none: unreadable)
    ProcStat stat;                          // when its maps were read
    std::optional<ProcessModules> modules;  // none: unreadable
    uint64_t seen_round = 0;                // the last round it was looked at in
    uint64_t maps_round = 0;                // the round its maps were read in
    bool was_seen = false;                  // in the round before seen_round
    bool maps_checked = false;              // modules_of ran in seen_round
  };
  // Process `tgid` as of this round: its /proc/PID/stat, read once a round.
  Process& look_at(uint32_t tgid);
  // Its modules: the maps kept, or read again when its memory may have
  // changed (see new_round); null when none.
  ProcessModules* modules_of(uint32_t tgid);
  // The symbols of the file behind `m` in process `tgid`, or null. The file
  // is opened (and its cache key found) once per mapping and round; its
  // other frames, and those of a process that exited since, get the
  // symbols its key was found under, while still cached.
  const CachedElf* symbols_for(uint32_t tgid, ProcessModules& p, const Mapping& m);
  // The JIT map of process `tgid` (read again when the file changed, looked
  // at once per round), or null.
  const PerfMap* perf_map_of(uint32_t tgid);
  const FrameNames::Name& name_user_frame(uint32_t tgid, uint64_t ip);
  // Keeps `module`'s symbols from eviction as used this round (its frames
  // named from `frame_names_` do not look at them).
  void mark_used(ModuleRef& module);
  void evict_to_budget();

  SymbolizerOptions opts_;
  SymbolizerCounters counters_;
  std::unordered_map<uint32_t, Process> processes_;  // sampled this round or the one before
  // Module file identity (device, inode, size, mtime) -> cache key (its
  // build id, or the identity when it has none). Bounded by the entries of
  // `elves_`: cleared whenever that is trimmed.
  std::unordered_map<std::string, std::string> keys_;
  std::unordered_map<std::string, CachedElf> elves_;
  // Ids of (cache key, file name) pairs: what names a frame by its offset
  // (the symbols, or the file's name when none covers it). A key stands
  // for one file's contents, so an id never needs to be taken back.
  TextMap<uint32_t> module_ids_;
  uint32_t module_ids_given_ = 0;
  uint32_t module_id(const std::string& key, std::string_view file_name);
  std::list<std::string> lru_;  // most recently used first
  KernelFrames kernel_frames_;
  struct CachedPerfMap {
    uint64_t round = 0;    // when the file was last looked at
    std::string identity;  // its size and mtime then ("" when missing)
    std::shared_ptr<const PerfMap> map;
  };
  std::unordered_map<uint32_t, CachedPerfMap> perf_maps_;
  size_t perf_map_bytes_ = 0;
  uint64_t round_ = 1;
  std::string proc_text_;  // the last /proc file read (read_small_file's buffer)
  FrameNames frame_names_;
  std::vector<const FrameNames::Name*> leaf_first_;  // add_user_frames' own, reused
};

}  // namespace loupe::profile
