#include "agent/profile/symbolizer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "core/small_file.h"

namespace loupe::profile {
namespace {

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

// What tells one file's contents from another's: device, inode, size and
// modification time.
std::string file_identity(const struct stat& st) {
  return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" +
         std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
         std::to_string(st.st_mtim.tv_nsec);
}

std::string_view basename(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

}  // namespace

Symbolizer::Symbolizer(SymbolizerOptions opts)
    : opts_(std::move(opts)), kernel_frames_(opts_.proc_root + "/kallsyms", opts_.kernel_lookup) {}

void Symbolizer::new_round() {
  // Those not sampled in the round that ends are forgotten: a process that
  // exited is named with the round before its exit at most.
  for (auto it = processes_.begin(); it != processes_.end();)
    it = it->second.seen_round < round_ ? processes_.erase(it) : std::next(it);
  ++round_;
  frame_names_.trim();
  if (perf_maps_.size() > 1024) {  // mostly processes gone by now
    perf_maps_.clear();
    perf_map_bytes_ = 0;
  }
}

void Symbolizer::remember(uint32_t tgid) {
  if (ProcessModules* p = modules_of(tgid))
    for (const Mapping& m : p->maps) symbols_for(tgid, *p, m);
}

std::string Symbolizer::process_name(uint32_t tgid) {
  const Process& p = look_at(tgid);
  return p.now ? p.now->comm : std::string();
}

Symbolizer::Process& Symbolizer::look_at(uint32_t tgid) {
  auto [it, fresh] = processes_.try_emplace(tgid);
  Process& p = it->second;
  if (!fresh && p.seen_round == round_) return p;
  // Entries not sampled in the previous round were forgotten (new_round).
  p.was_seen = !fresh;
  p.seen_round = round_;
  p.maps_checked = false;
  p.now.reset();
  if (read_small_file(opts_.proc_root + "/" + std::to_string(tgid) + "/stat", proc_text_))
    p.now = parse_proc_stat(proc_text_);
  return p;
}

Symbolizer::ProcessModules* Symbolizer::modules_of(uint32_t tgid) {
  // Maps older than this are read again whatever /proc/PID/stat says (a
  // library replaced by another of the same size at the same place).
  constexpr uint64_t kMapsRereadRounds = 12;
  Process& p = look_at(tgid);
  if (p.maps_checked) return p.modules ? &*p.modules : nullptr;
  p.maps_checked = true;
  // Its maps name its frames for as long as its memory is the same: a
  // read of /proc/PID/stat instead of its maps, and no file opened again
  // for its mappings (each round read every sampled process's maps and
  // opened the file of each mapping named, ~3 syscalls, each also through
  // the capture's sys_exit program).
  if (p.now && p.was_seen && p.modules && p.stat.same_memory(*p.now) &&
      round_ - p.maps_round < kMapsRereadRounds)
    return &*p.modules;
  if (read_small_file(opts_.proc_root + "/" + std::to_string(tgid) + "/maps", proc_text_) &&
      !proc_text_.empty()) {
    ++counters_.maps_read;
    p.modules = ProcessModules{parse_proc_maps(proc_text_, &counters_.maps_malformed), {}};
    p.stat = p.now ? *p.now : ProcStat{};  // without it, read again next round
    p.maps_round = round_;
    return &*p.modules;
  }
  // Exited (or hidden): the previous round's maps, when it had any.
  if (!p.was_seen) p.modules.reset();
  if (!p.modules) ++counters_.maps_unreadable;
  return p.modules ? &*p.modules : nullptr;
}

const Symbolizer::CachedElf* Symbolizer::symbols_for(uint32_t tgid, ProcessModules& p,
                                                     const Mapping& m) {
  if (m.path.empty() || m.path.front() != '/') return nullptr;  // anonymous, [vdso], JIT
  // A mapping already named this round (or, for a process that exited
  // since, the last): its file is not opened again for every frame. Each
  // frame paid an open, fstat and close (~3 syscalls, each one also
  // through the capture's sys_exit program), most of a round's CPU.
  if (auto known = p.modules.find(m.start); known != p.modules.end())
    if (auto hit = elves_.find(known->second.key); hit != elves_.end()) {
      lru_.splice(lru_.begin(), lru_, hit->second.lru);
      known->second.round = round_;
      return hit->second.symbols ? &hit->second : nullptr;
    }
  // Through the process's own root (containers) or, for a file deleted or
  // replaced since it was mapped, through the mapping itself.
  std::string base = opts_.proc_root + "/" + std::to_string(tgid);
  std::string path =
      m.deleted ? base + "/map_files/" + hex(m.start).substr(2) + "-" + hex(m.end).substr(2)
                : base + "/root" + m.path;
  // The mapping's module is `key`: its cached entry, if any.
  auto cached_as = [&](const std::string& key) -> std::optional<const CachedElf*> {
    auto hit = elves_.find(key);
    if (hit == elves_.end()) return std::nullopt;
    p.modules[m.start] = ModuleRef{key, module_id(key, basename(m.path)), round_};
    lru_.splice(lru_.begin(), lru_, hit->second.lru);
    return hit->second.symbols ? &hit->second : nullptr;
  };
  // A file whose contents are cached (another process of the same program,
  // libc) is known by its stat alone: only a file new to the cache is
  // opened, for its build id and its symbols.
  struct stat st {};
  if (stat(path.c_str(), &st) == 0)
    if (auto key = keys_.find(file_identity(st)); key != keys_.end())
      if (auto found = cached_as(key->second)) return *found;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    ++counters_.elf_unreadable;
    return nullptr;
  }
  // The file opened, which may have been replaced since its stat.
  std::string identity = fstat(fd, &st) == 0 ? file_identity(st) : path;
  auto key_it = keys_.find(identity);
  if (key_it == keys_.end()) {
    std::string id = ElfSymbols::build_id(fd);
    key_it = keys_.emplace(identity, id.empty() ? "file:" + identity : "build-id:" + id).first;
  }
  if (auto found = cached_as(key_it->second)) {
    close(fd);
    return *found;
  }
  ModuleRef& ref = p.modules[m.start];
  ref = ModuleRef{key_it->second, module_id(key_it->second, basename(m.path)), round_};
  const std::string& key = ref.key;
  std::string error;
  std::optional<ElfSymbols> loaded = ElfSymbols::load(fd, &error);
  close(fd);
  std::shared_ptr<const ElfSymbols> symbols;
  if (loaded) {
    ++counters_.elf_loaded;
    // A stripped binary: its debug file, looked for in the process's root.
    if (loaded->wants_debug_file())
      if (auto debug = load_debug_file(base + "/root", m.path, *loaded, &counters_.debug_files))
        loaded->add_symbols_of(*debug);
    symbols = std::make_shared<const ElfSymbols>(std::move(*loaded));
    counters_.cache_bytes += symbols->bytes();
  } else {
    ++counters_.elf_unreadable;  // remembered as unreadable until evicted
  }
  lru_.push_front(key);
  elves_.emplace(key, CachedElf{symbols, lru_.begin()});
  evict_to_budget();
  auto now = elves_.find(key);
  return now == elves_.end() || !now->second.symbols ? nullptr : &now->second;
}

uint32_t Symbolizer::module_id(const std::string& key, std::string_view file_name) {
  // A bound for a host that keeps starting new binaries: the ids already
  // given stay right (never given again), their frames are named afresh.
  constexpr size_t kMaxModuleIds = 16384;
  if (module_ids_.size() >= kMaxModuleIds) module_ids_.clear();
  std::string pair = key;
  pair += '\0';
  pair += file_name;
  auto [it, fresh] = module_ids_.try_emplace(std::move(pair), 0);
  if (fresh) it->second = ++module_ids_given_;
  return it->second;
}

void Symbolizer::mark_used(ModuleRef& module) {
  if (module.round == round_) return;
  module.round = round_;
  if (auto hit = elves_.find(module.key); hit != elves_.end())
    lru_.splice(lru_.begin(), lru_, hit->second.lru);
}

void Symbolizer::evict_to_budget() {
  // The newest entry stays even when it alone is over the budget: this
  // round's frames need it.
  while (counters_.cache_bytes > opts_.cache_bytes && lru_.size() > 1) {
    auto it = elves_.find(lru_.back());
    if (it->second.symbols) counters_.cache_bytes -= it->second.symbols->bytes();
    elves_.erase(it);
    lru_.pop_back();
    ++counters_.cache_evictions;
    keys_.clear();  // may name the evicted entry; rebuilt from build ids
  }
  if (keys_.size() > 4 * elves_.size() + 1024) keys_.clear();
}

const PerfMap* Symbolizer::perf_map_of(uint32_t tgid) {
  CachedPerfMap& c = perf_maps_[tgid];
  if (c.round == round_) return c.map.get();
  c.round = round_;
  // The runtime names the file with its own pid, which differs from ours
  // in a container: the last NSpid of its status is that pid.
  std::string base = opts_.proc_root + "/" + std::to_string(tgid);
  std::string pid = std::to_string(tgid);
  if (read_small_file(base + "/status", proc_text_)) {
    if (size_t at = proc_text_.find("\nNSpid:"); at != std::string::npos) {
      std::string_view line(proc_text_);
      line = line.substr(at + 7, line.find('\n', at + 1) - at - 7);
      size_t last = line.find_last_of(" \t");
      if (last != std::string_view::npos && last + 1 < line.size()) pid = line.substr(last + 1);
    }
  }
  std::string path = base + "/root/tmp/perf-" + pid + ".map";
  struct stat st {};
  std::string identity;
  if (stat(path.c_str(), &st) == 0)
    identity = std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
               std::to_string(st.st_mtim.tv_nsec);
  if (identity == c.identity) return c.map.get();
  c.identity = identity;
  if (c.map) perf_map_bytes_ -= std::min(perf_map_bytes_, c.map->bytes());
  c.map.reset();
  if (identity.empty()) return nullptr;
  if (static_cast<size_t>(st.st_size) > opts_.cache_bytes) {
    ++counters_.perf_maps_too_big;
    return nullptr;
  }
  // JIT maps share the budget with ELF symbols: past half of it, they are
  // all dropped and read again as needed.
  if (perf_map_bytes_ > opts_.cache_bytes / 2) {
    for (auto& [other_pid, other] : perf_maps_) {
      other.map.reset();
      other.identity.clear();
    }
    perf_map_bytes_ = 0;
  }
  if (!read_small_file(path, proc_text_)) return nullptr;
  c.map =
      std::make_shared<const PerfMap>(PerfMap::parse(proc_text_, &counters_.perf_map_malformed));
  perf_map_bytes_ += c.map->bytes();
  ++counters_.perf_maps_loaded;
  return c.map.get();
}

const FrameNames::Name& Symbolizer::name_user_frame(uint32_t tgid, uint64_t ip) {
  ProcessModules* modules = modules_of(tgid);
  const Mapping* m = modules ? find_mapping(modules->maps, ip) : nullptr;
  if (!m || m->path.empty() || m->path.front() != '/') {
    // Not in a file: code a runtime compiled, named by its JIT map if any.
    if (const PerfMap* jit = perf_map_of(tgid))
      if (std::string_view name = jit->lookup(ip); !name.empty()) return frame_names_.of(name);
  }
  if (!m || m->path.empty()) {
    ++counters_.frames_unresolved;
    return frame_names_.of("[unknown]");
  }
  uint64_t offset = m->file_offset(ip);
  // A mapping whose module is known: its frames named before are named
  // without its symbols (its entry in `elves_` marked used once a round).
  if (auto known = modules->modules.find(m->start); known != modules->modules.end())
    if (FrameNames::Frame frame = frame_names_.find(known->second.id, offset); frame.name) {
      mark_used(known->second);
      if (!frame.symbol) ++counters_.frames_unresolved;
      return *frame.name;
    }
  const CachedElf* elf = symbols_for(tgid, *modules, *m);
  std::string_view symbol = elf ? elf->symbols->lookup(offset) : std::string_view();
  if (symbol.empty()) ++counters_.frames_unresolved;
  std::string unnamed = symbol.empty() ? std::string(basename(m->path)) + "+" + hex(offset) : "";
  // A file that could not be opened has no module to keep its frames by.
  auto known = modules->modules.find(m->start);
  if (known == modules->modules.end()) return frame_names_.of(unnamed);
  return symbol.empty() ? frame_names_.add(known->second.id, offset, unnamed, false)
                        : frame_names_.add(known->second.id, offset, symbol, true);
}

void Symbolizer::add_user_frames(uint32_t tgid, const std::vector<uint64_t>& ips, bool at_max_depth,
                                 Frames& out) {
  if (ips.empty()) return;
  counters_.frames += ips.size();
  if (!modules_of(tgid)) {  // exited unseen: nothing left to name its frames with
    counters_.frames_unresolved += ips.size();
    out.emplace_back("[process exited]");
    return;
  }
  leaf_first_.clear();
  bool complete = false;
  for (size_t i = 0; i < ips.size(); ++i) {
    // Frames past the leaf are return addresses, one past their call: the
    // call itself may be a function's last instruction.
    uint64_t ip = i == 0 ? ips[i] : ips[i] - 1;
    const FrameNames::Name& name = name_user_frame(tgid, ip);
    complete = complete || name.stack_root;
    leaf_first_.push_back(&name);
  }
  if (at_max_depth || !complete) out.emplace_back("[truncated]");
  for (auto it = leaf_first_.rbegin(); it != leaf_first_.rend(); ++it) out.push_back((*it)->shown);
}

void Symbolizer::add_kernel_frames(const std::vector<uint64_t>& ips, Frames& out) {
  counters_.frames += ips.size();
  counters_.frames_unresolved += kernel_frames_.add(ips, out);
}

}  // namespace loupe::profile
