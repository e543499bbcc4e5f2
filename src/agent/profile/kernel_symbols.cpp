#include "agent/profile/kernel_symbols.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <memory>

namespace loupe::profile {

KernelSymbols KernelSymbols::parse(std::string_view text) {
  KernelSymbols out;
  while (!text.empty()) {
    size_t nl = std::min(text.find('\n'), text.size());
    out.add_line(text.substr(0, nl));
    text.remove_prefix(std::min(nl + 1, text.size()));
  }
  out.finish();
  return out;
}

KernelSymbols KernelSymbols::read(const std::string& path) {
  KernelSymbols out;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  constexpr size_t kChunk = 64 * 1024;
  auto buf = std::make_unique<char[]>(kChunk);
  std::string partial;  // a line cut by the end of a read
  for (;;) {
    ssize_t n = ::read(fd, buf.get(), kChunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    std::string_view text(buf.get(), static_cast<size_t>(n));
    if (!partial.empty()) {
      size_t nl = text.find('\n');
      partial.append(text.substr(0, nl));
      if (nl == std::string_view::npos) continue;
      out.add_line(partial);
      partial.clear();
      text.remove_prefix(nl + 1);
    }
    for (size_t nl; (nl = text.find('\n')) != std::string_view::npos;) {
      out.add_line(text.substr(0, nl));
      text.remove_prefix(nl + 1);
    }
    partial.assign(text);
  }
  close(fd);
  if (!partial.empty()) out.add_line(partial);
  out.finish();
  return out;
}

void KernelSymbols::add_line(std::string_view line) {
  if (line.empty()) return;
  // "ffffffff81000000 T _stext" or "ffffffffc0a01000 t fn\t[module]"
  uint64_t addr = 0;
  auto [p, ec] = std::from_chars(line.data(), line.data() + line.size(), addr, 16);
  size_t pos = static_cast<size_t>(p - line.data());
  if (ec != std::errc() || pos + 3 > line.size() || line[pos] != ' ' || line[pos + 2] != ' ') {
    ++malformed_;
    return;
  }
  char type = line[pos + 1];
  std::string_view name = line.substr(pos + 3);
  if (name.empty()) {
    ++malformed_;
    return;
  }
  if (type != 't' && type != 'T' && type != 'w' && type != 'W') return;  // not code
  if (addr == 0) return;                                                 // hidden by kptr_restrict
  size_t tab = name.find('\t');
  std::string_view module = tab == std::string_view::npos ? "" : name.substr(tab + 1);
  name = name.substr(0, tab);
  // The padding before each function that kernels built with call
  // padding or kCFI (6.2+) name as a symbol of its own: never executed, so
  // never sampled, and half of all text symbols (57,821 of 122,028 here).
  if (name.starts_with("__pfx_") || name.starts_with("__cfi_")) return;
  uint32_t at = 0;
  if (!add_name(name, module, &at)) return;
  auto size = static_cast<uint32_t>(name.size() + (module.empty() ? 0 : 1 + module.size()));
  symbols_.push_back({addr, at, size});
}

bool KernelSymbols::add_name(std::string_view name, std::string_view module, uint32_t* at) {
  size_t size = name.size() + (module.empty() ? 0 : 1 + module.size());
  if (size > kBlockBytes) return false;
  if (blocks_.empty() || blocks_.back().size() + size > kBlockBytes) {
    if (blocks_.size() >= (size_t{1} << (32 - kBlockBits))) return false;
    blocks_.emplace_back().reserve(kBlockBytes);
  }
  std::string& block = blocks_.back();
  *at = static_cast<uint32_t>((blocks_.size() - 1) << kBlockBits | block.size());
  block.append(name);
  if (!module.empty()) block.append(" ").append(module);
  return true;
}

void KernelSymbols::finish() {
  auto by_addr = [](const Symbol& a, const Symbol& b) { return a.addr < b.addr; };
  // kallsyms comes sorted: then no merge buffer (half the table) is needed.
  if (!std::is_sorted(symbols_.begin(), symbols_.end(), by_addr))
    std::stable_sort(symbols_.begin(), symbols_.end(), by_addr);
  // Of the names of one address (memcpy, __memcpy and __pi_memcpy; a
  // syscall's __do_sys_, __ia32_sys_ and __x64_sys_), the first: the
  // kernel's own lookup (its stack traces, KernelNameLookup) picks it, as
  // kallsyms lists the preferred name first.
  auto same_addr = [](const Symbol& a, const Symbol& b) { return a.addr == b.addr; };
  symbols_.erase(std::unique(symbols_.begin(), symbols_.end(), same_addr), symbols_.end());
  symbols_.shrink_to_fit();
  if (!blocks_.empty()) blocks_.back().shrink_to_fit();
}

size_t KernelSymbols::bytes() const {
  size_t n = symbols_.capacity() * sizeof(Symbol) + blocks_.capacity() * sizeof(std::string);
  for (const std::string& b : blocks_) n += b.capacity();
  return n;
}

std::string_view KernelSymbols::lookup(uint64_t addr) const {
  auto it = std::upper_bound(symbols_.begin(), symbols_.end(), addr,
                             [](uint64_t a, const Symbol& s) { return a < s.addr; });
  if (it == symbols_.begin()) return {};
  --it;
  const std::string& block = blocks_[it->name_at >> kBlockBits];
  return std::string_view(block).substr(it->name_at & (kBlockBytes - 1), it->name_size);
}

}  // namespace loupe::profile
