#include "agent/profile/unwind_loader.h"

#include <bpf/bpf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <functional>
#include <set>

#include "agent/profile/map_batch.h"
#include "agent/profile/unwind_table.h"
#include "core/small_file.h"

namespace loupe::profile {
namespace {

// How soon a process asking again is loaded again: one that was just
// loaded and still asks is a process whose entry an exec deleted, or a
// runtime that runs code outside its mappings (JIT): its maps are reread at
// this pace at most.
constexpr auto kReloadNewAfter = std::chrono::seconds(1);
constexpr auto kReloadUnmappedAfter = std::chrono::seconds(5);
constexpr auto kPruneEvery = std::chrono::seconds(10);
constexpr auto kPollBudget = std::chrono::milliseconds(100);
// A process new to the loader is loaded once it has asked this many times
// (samples): one sampled once or twice (a short-lived command: curl or jq
// in a script, one of ctest's test processes) keeps frame pointers, and
// the tables of what it maps (libcrypto ~50k rows, a test binary up to a
// quarter of the row array) are not built for so few samples. On a shared
// 2-core VM where other sessions built and ran tests, an idle `loupe
// agent`'s unwinder spent 8-11 ms of CPU a second (half of the agent's
// whole budget at a paced 10k req/s), 6.7-7.4 with this (docs/benchmarks.md,
// "issue 14, paced2"). Those still under it at a prune start counting
// again, so one needs kMinSamples within kPruneEvery (~0.16 s of CPU in
// 10 s at 19 Hz).
constexpr uint32_t kMinSamples = 3;
// Objects remembered (those without a table cost a map entry each).
constexpr size_t kMaxObjects = 20000;
// No one object takes more than this share of the row array (a compiler's
// cc1plus has 500k rows, node 370k): such a giant is walked by frame
// pointers and leaves room for the many libraries every process maps.
constexpr uint32_t kMaxObjectShare = 4;  // 1/4
// When the row array is full it is compacted (the rows of objects no live
// process maps dropped), at most this often: past that, objects that do not
// fit are walked by frame pointers (and tried again when asked again).
constexpr auto kMinCompactInterval = std::chrono::seconds(5);
// ... and processes not sampled for this long give up their tables then
// (asking again on their next sample), so the busy ones keep theirs.
constexpr uint64_t kIdleNs = 10'000'000'000;

uint64_t monotonic_ns() {  // bpf_ktime_get_ns's clock
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000 + static_cast<uint64_t>(ts.tv_nsec);
}

std::string hex(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%llx", static_cast<unsigned long long>(v));
  return buf;
}

struct Wanted {
  uint32_t pid;
  loupe_unwind_wanted w;
};

// The processes asking for tables, read a batch at a time: on a host that
// starts programs, dozens wait for their third sample, and walking them
// took two syscalls each, five times a second. False when the kernel has
// no batch operations.
bool read_wanted(int fd, std::vector<Wanted>& out) {
  return read_map_batched<uint32_t, loupe_unwind_wanted, 256>(
      fd, BatchRead::kKeep, [&out](uint32_t pid, const loupe_unwind_wanted& w) {
        out.push_back({pid, w});
      });
}

void walk_wanted(int fd, std::vector<Wanted>& out) {
  uint32_t key = 0, next = 0;
  const uint32_t* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    key = next;
    prev = &key;
    loupe_unwind_wanted w{};
    if (bpf_map_lookup_elem(fd, &key, &w) == 0) out.push_back({key, w});
  }
}

}  // namespace

bool UnwindLoader::poll() {
  std::vector<Wanted> wanted;
  if (!read_wanted(maps_.wanted_fd, wanted)) {
    wanted.clear();
    walk_wanted(maps_.wanted_fd, wanted);
  }
  // The busiest first: while row space is short, they get it.
  std::sort(wanted.begin(), wanted.end(),
            [](const Wanted& a, const Wanted& b) { return a.w.samples > b.w.samples; });
  auto start = Clock::now();
  const bool prune = Clock::now() - last_prune_ >= kPruneEvery;
  bool ready = false;
  for (const Wanted& one : wanted) {
    // Bounded work per poll: a busy process asking now is not kept waiting
    // behind a crowd of others (those left stay asked for).
    if (Clock::now() - start > kPollBudget) {
      ready = true;  // the rest are loaded next time
      break;
    }
    uint32_t pid = one.pid, why = one.w.why;
    auto it = processes_.find(pid);
    ready = ready || it != processes_.end() || one.w.samples >= kMinSamples;
    if (it == processes_.end() && one.w.samples < kMinSamples) {
      // Left asking (the program counts its samples on), but not forever:
      // the map holds LOUPE_UNWIND_MAX_WANTED processes.
      if (prune && bpf_map_delete_elem(maps_.wanted_fd, &pid) == 0) {
        std::lock_guard lock(counters_mu_);
        ++counters_.processes_few_samples;
      }
      continue;
    }
    bpf_map_delete_elem(maps_.wanted_fd, &pid);
    if (it != processes_.end()) {
      auto since = Clock::now() - it->second.loaded;
      if (why == LOUPE_UNWIND_WANT_NEW ? since < kReloadNewAfter : since < kReloadUnmappedAfter)
        continue;
      if (why == LOUPE_UNWIND_WANT_UNMAPPED) {
        // Code outside every mapping that is still there is a JIT's: the
        // entry stays as it is unless the maps changed.
        if (read_small_file(proc_root_ + "/" + std::to_string(pid) + "/maps", maps_text_) &&
            std::hash<std::string>{}(maps_text_) == it->second.maps_hash) {
          it->second.loaded = Clock::now();
          continue;
        }
      }
    }
    load_process(pid);
  }
  // Processes loaded while row space was short: again once it may have
  // been made (a compaction drops idle processes' tables).
  // Only those sampled since: a process that rarely runs is not worth it.
  std::vector<uint32_t> retry;
  auto entry = std::make_unique<loupe_unwind_proc>();
  for (const auto& [pid, p] : processes_)
    if (p.incomplete && Clock::now() - p.loaded >= kMinCompactInterval &&
        bpf_map_lookup_elem(maps_.procs_fd, &pid, entry.get()) == 0 &&
        entry->last_sample_ns > p.loaded_ns)
      retry.push_back(pid);
  for (uint32_t pid : retry) load_process(pid);
  if (prune) forget_exited();
  return ready || !retry.empty();
}

bool UnwindLoader::load_process(uint32_t pid) {
  if (!read_small_file(proc_root_ + "/" + std::to_string(pid) + "/maps", maps_text_)) {
    std::lock_guard lock(counters_mu_);
    ++counters_.processes_failed;
    return false;
  }
  std::vector<Mapping> maps = parse_proc_maps(maps_text_);
  size_t maps_hash = std::hash<std::string>{}(maps_text_);
  auto entry = std::make_unique<loupe_unwind_proc>();
  uint64_t dropped = 0;
  std::vector<ObjectKey> used;
  short_of_rows_ = false;
  // Twice at most: a compaction while this process's objects were being
  // loaded moves the rows named by the entries made before it.
  for (int attempt = 0; attempt < 2; ++attempt) {
    uint64_t compactions = compactions_;
    *entry = loupe_unwind_proc{};
    dropped = 0;
    used.clear();
    for (const Mapping& m : maps) {
      if (entry->mappings == LOUPE_UNWIND_MAX_MAPPINGS) {
        ++dropped;
        continue;
      }
      loupe_unwind_mapping& e = entry->mapping[entry->mappings++];
      e.start = m.start;
      e.end = m.end;
      // Anonymous memory (JIT code) and [vdso]: frame pointers.
      if (m.path.empty() || m.path.front() == '[') continue;
      const ObjectEntry* found = object_for(pid, m);
      if (!found) continue;
      used.push_back(found->first);
      const Object* o = &found->second;
      if (o->rows == 0) continue;
      for (auto [offset, vaddr] : o->segments) {
        if (offset < m.offset || offset - m.offset >= m.end - m.start) continue;
        e.bias = m.start - m.offset + offset - vaddr + o->base;
        e.first_row = o->first_row;
        e.rows = o->rows;
        break;
      }
    }
    if (compactions == compactions_) break;
  }
  bool ok = bpf_map_update_elem(maps_.procs_fd, &pid, entry.get(), BPF_ANY) == 0;
  processes_[pid] =
      Process{Clock::now(), monotonic_ns(), maps_hash, std::move(used), short_of_rows_};
  std::lock_guard lock(counters_mu_);
  counters_.mappings_dropped += dropped;
  ++(ok ? counters_.processes_loaded : counters_.processes_failed);
  return ok;
}

const UnwindLoader::ObjectEntry* UnwindLoader::object_for(uint32_t pid, const Mapping& m) {
  // Through map_files: the very file mapped, even when it was replaced or
  // deleted since, or lives in a container's root.
  std::string base = proc_root_ + "/" + std::to_string(pid);
  int fd =
      open((base + "/map_files/" + hex(m.start) + "-" + hex(m.end)).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fd = open((base + "/root" + m.path).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return nullptr;
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    close(fd);
    return nullptr;
  }
  ObjectKey key{st.st_dev, st.st_ino, st.st_size,
                static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
  if (auto it = objects_.find(key); it != objects_.end()) {
    // A table that found no room is built again only once it would fit.
    if (!it->second.no_room_for || next_row_ + it->second.no_room_for > maps_.max_rows) {
      close(fd);
      if (it->second.no_room_for) short_of_rows_ = true;
      return &*it;
    }
    objects_.erase(it);
  }
  if (objects_.size() >= kMaxObjects && !compact()) {
    close(fd);
    return nullptr;
  }
  std::string error;
  // Built only up to the share it may take: a larger table is never held.
  std::optional<UnwindTable> table =
      build_unwind_table(fd, &error, maps_.max_rows / kMaxObjectShare);
  close(fd);
  Object o;
  if (table) {
    uint32_t n = static_cast<uint32_t>(table->rows.size());
    if (next_row_ + n > maps_.max_rows && (!compact() || next_row_ + n > maps_.max_rows)) {
      std::lock_guard lock(counters_mu_);
      ++counters_.objects_no_room;
      short_of_rows_ = true;
      o.no_room_for = n;  // remembered without rows: built again once it fits
      return &*objects_.emplace(key, std::move(o)).first;
    }
    if (rows_.write(next_row_, table->rows)) {
      o.first_row = next_row_;
      o.rows = n;
      o.base = table->base;
      for (const UnwindTable::Segment& s : table->segments)
        o.segments.emplace_back(s.offset, s.vaddr);
      next_row_ += n;
    } else {
      std::lock_guard lock(counters_mu_);
      ++counters_.rows_write_failed;
    }
  }
  std::lock_guard lock(counters_mu_);
  ++(o.rows ? counters_.objects_loaded : counters_.objects_without);
  counters_.rows_used = next_row_;
  return &*objects_.emplace(key, std::move(o)).first;
}

bool UnwindLoader::compact() {
  if (compacting_ || Clock::now() - last_compaction_ < kMinCompactInterval) return false;
  forget_exited();
  forget_idle();
  std::set<ObjectKey> live;
  for (const auto& [pid, p] : processes_) live.insert(p.objects.begin(), p.objects.end());
  // Entries first: no process may name rows while they move. A sample
  // already walking one may read a moved row for one frame: a wrong caller
  // in that sample, never a bad memory access.
  for (const auto& [pid, p] : processes_) bpf_map_delete_elem(maps_.procs_fd, &pid);
  std::vector<Object*> kept;
  for (auto it = objects_.begin(); it != objects_.end();) {
    // Objects without rows cost no row space: kept, so a giant is not read
    // again each time a process maps it.
    if (!live.count(it->first) && it->second.rows) {
      it = objects_.erase(it);
      continue;
    }
    if (it->second.rows) kept.push_back(&it->second);
    ++it;
  }
  // Down in place, in address order: a move never overwrites rows not yet moved.
  std::sort(kept.begin(), kept.end(),
            [](const Object* a, const Object* b) { return a->first_row < b->first_row; });
  uint32_t next = 0;
  for (Object* o : kept) {
    if (!rows_.move_down(next, o->first_row, o->rows)) {
      // Its rows are partly moved: remembered without rows, built again
      // once it fits (as a table that found no room).
      o->no_room_for = o->rows;
      o->rows = 0;
      std::lock_guard lock(counters_mu_);
      ++counters_.rows_write_failed;
      continue;
    }
    o->first_row = next;
    next += o->rows;
  }
  next_row_ = next;
  ++compactions_;
  last_compaction_ = Clock::now();
  {
    std::lock_guard lock(counters_mu_);
    ++counters_.compactions;
    counters_.rows_used = next_row_;
  }
  // The live processes again, naming the rows where they now are.
  compacting_ = true;
  std::vector<uint32_t> pids;
  for (const auto& [pid, p] : processes_) pids.push_back(pid);
  for (uint32_t pid : pids) load_process(pid);
  compacting_ = false;
  return true;
}

void UnwindLoader::forget_exited() {
  last_prune_ = Clock::now();
  for (auto it = processes_.begin(); it != processes_.end();) {
    if (access((proc_root_ + "/" + std::to_string(it->first)).c_str(), F_OK) != 0) {
      bpf_map_delete_elem(maps_.procs_fd, &it->first);
      it = processes_.erase(it);
    } else {
      ++it;
    }
  }
}

void UnwindLoader::forget_idle() {
  uint64_t now = monotonic_ns();
  auto entry = std::make_unique<loupe_unwind_proc>();
  for (auto it = processes_.begin(); it != processes_.end();) {
    bool idle = bpf_map_lookup_elem(maps_.procs_fd, &it->first, entry.get()) != 0 ||
                now - std::max<uint64_t>(entry->last_sample_ns, it->second.loaded_ns) > kIdleNs;
    if (idle) {
      bpf_map_delete_elem(maps_.procs_fd, &it->first);
      it = processes_.erase(it);
      std::lock_guard lock(counters_mu_);
      ++counters_.processes_evicted;
    } else {
      ++it;
    }
  }
}

UnwindCounters UnwindLoader::counters() const {
  std::lock_guard lock(counters_mu_);
  UnwindCounters c = counters_;
  c.row_capacity = maps_.max_rows;
  return c;
}

}  // namespace loupe::profile
