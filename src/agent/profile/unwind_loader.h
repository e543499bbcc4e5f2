// Hands .eh_frame unwind tables (unwind_table.h) to the BPF sampler's
// unwinder (bpf/profile.h): for each process the program asks for (the
// unwind_wanted map), the rows of each object it maps, once per object, and
// its list of mappings naming them. Row space is one fixed array; when it
// runs out it is compacted to the objects live processes still map.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "agent/profile/proc_maps.h"
#include "agent/profile/unwind_rows.h"
#include "profile.h"

namespace loupe::profile {

struct UnwindMaps {
  int procs_fd = -1;   // unwind_procs
  int wanted_fd = -1;  // unwind_wanted
  int rows_fd = -1;    // unwind_rows (written through the syscall: unwind_rows.h)
  uint32_t max_rows = 0;
};

struct UnwindCounters {
  uint64_t processes_loaded = 0;       // process entries written (again when their maps change)
  uint64_t processes_failed = 0;       // maps unreadable (exited) or the process map full
  uint64_t processes_few_samples = 0;  // asked too few times in a prune period: frame pointers
  uint64_t objects_loaded = 0;         // objects whose table was built
  uint64_t objects_without = 0;        // objects with no usable table (none, not x86-64, more
                                       // than a quarter of the rows): walked by frame pointer
  uint64_t objects_no_room = 0;        // tables that found the row array full: frame pointers
  uint64_t rows_write_failed =
      0;                          // tables the kernel refused to take (bpf syscall): frame pointers
  uint64_t mappings_dropped = 0;  // beyond LOUPE_UNWIND_MAX_MAPPINGS in one process
  uint64_t rows_used = 0;         // of the row array
  uint64_t row_capacity = 0;
  uint64_t processes_evicted = 0;  // idle ones whose tables made room for others
  uint64_t compactions = 0;        // the row array was full: compacted to what live processes map
};

class UnwindLoader {
 public:
  explicit UnwindLoader(UnwindMaps maps, std::string proc_root = "/proc")
      : maps_(maps), rows_(maps.rows_fd, maps.max_rows), proc_root_(std::move(proc_root)) {}

  // Loads the processes the program asked for since the last call, and
  // every few seconds forgets those that exited. False when none was ready
  // to load (none asked, or each too few times yet): the caller may wait
  // longer before the next call.
  bool poll();
  // Loads `pid`'s tables and mappings now. False when its maps are
  // unreadable (it exited) or there is no room for it.
  bool load_process(uint32_t pid);

  UnwindCounters counters() const;

 private:
  using Clock = std::chrono::steady_clock;
  // A file's identity: the same bytes for as long as these match.
  using ObjectKey = std::tuple<dev_t, ino_t, off_t, int64_t>;
  struct Object {
    uint32_t first_row = 0, rows = 0;  // rows 0: no table
    uint32_t no_room_for = 0;          // rows its table needs and found no room for
    uint64_t base = 0;
    std::vector<std::pair<uint64_t, uint64_t>> segments;  // executable (file offset, vaddr)
  };
  using ObjectEntry = std::pair<const ObjectKey, Object>;
  struct Process {
    Clock::time_point loaded;
    uint64_t loaded_ns = 0;  // the same on the BPF program's clock
    size_t maps_hash = 0;
    std::vector<ObjectKey> objects;  // what its mappings name
    bool incomplete = false;         // some table found no room: loaded again later
  };

  // The cached table of the file `m` maps, built on first use; nullptr
  // when the file cannot be opened or its table found no room.
  const ObjectEntry* object_for(uint32_t pid, const Mapping& m);
  // Frees row space (see the file comment). False when it was done too
  // recently, or is under way.
  bool compact();
  void forget_exited();
  void forget_idle();

  UnwindMaps maps_;
  UnwindRows rows_;
  std::string proc_root_;
  std::string maps_text_;  // the last /proc/PID/maps read (read_small_file's buffer)
  std::map<ObjectKey, Object> objects_;
  std::map<uint32_t, Process> processes_;
  uint32_t next_row_ = 0;
  uint64_t compactions_ = 0;  // this thread's copy of counters_.compactions
  bool compacting_ = false;
  bool short_of_rows_ = false;  // a table of the process being loaded found no room
  Clock::time_point last_prune_ = Clock::now();
  Clock::time_point last_compaction_{};
  mutable std::mutex counters_mu_;
  UnwindCounters counters_;
};

}  // namespace loupe::profile
