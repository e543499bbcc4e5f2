#include "store/wal_write_buffer.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <new>
#include <vector>

namespace loupe::store {

namespace {

constexpr char kVfsName[] = "loupe-wal-buffer";
// A WAL frame header (https://sqlite.org/fileformat2.html#walformat); its
// bytes 4-7 are the database size after the commit for a commit frame, 0
// for the others.
constexpr int kFrameHeaderBytes = 24;
// Frames held beyond this are written at once, so the buffer stays small
// (it is kept for the next transaction): a paced store round commits
// ~70-80 KB, a saturated one of 8,192 records a little more.
constexpr size_t kMaxHeldBytes = 256 << 10;
// The unix VFS writes at most 128 KiB - 1 a call (more comes out short, as
// SQLITE_FULL): held frames go out in slices of this.
constexpr size_t kMaxWriteBytes = 120 << 10;

// The frames of the transaction being written, not yet in the file.
struct HeldFrames {
  std::vector<char> bytes;
  sqlite3_int64 offset = 0;    // in the file, of bytes[0]
  bool page_expected = false;  // the last write was a frame header
  bool commits = false;        // ... of a commit frame

  sqlite3_int64 end() const { return offset + static_cast<sqlite3_int64>(bytes.size()); }
  bool continues(sqlite3_int64 at) const { return bytes.empty() || at == end(); }
};

// A WAL file: the default VFS's file object follows this one in memory.
struct WalFile {
  sqlite3_file base;
  HeldFrames* held;

  sqlite3_file* real() { return reinterpret_cast<sqlite3_file*>(this + 1); }
};

WalFile* wal(sqlite3_file* f) { return reinterpret_cast<WalFile*>(f); }

int write_held(WalFile* f) {
  HeldFrames& h = *f->held;
  h.page_expected = false;
  int rc = SQLITE_OK;
  for (size_t done = 0; done < h.bytes.size() && rc == SQLITE_OK; done += kMaxWriteBytes) {
    size_t n = std::min(kMaxWriteBytes, h.bytes.size() - done);
    rc = f->real()->pMethods->xWrite(f->real(), h.bytes.data() + done, static_cast<int>(n),
                                     h.offset + static_cast<sqlite3_int64>(done));
  }
  h.bytes.clear();
  return rc;
}

void hold(HeldFrames& h, const void* data, int n, sqlite3_int64 at) {
  if (h.bytes.empty()) h.offset = at;
  const char* p = static_cast<const char*>(data);
  h.bytes.insert(h.bytes.end(), p, p + n);
}

uint32_t big_endian_u32(const void* data) {
  const auto* b = static_cast<const unsigned char*>(data);
  return uint32_t{b[0]} << 24 | uint32_t{b[1]} << 16 | uint32_t{b[2]} << 8 | uint32_t{b[3]};
}

int wal_write(sqlite3_file* file, const void* data, int n, sqlite3_int64 at) {
  WalFile* f = wal(file);
  HeldFrames& h = *f->held;
  if (h.page_expected && at == h.end()) {  // the page of the header just held
    hold(h, data, n, at);
    h.page_expected = false;
    if (h.commits || h.bytes.size() >= kMaxHeldBytes) return write_held(f);
    return SQLITE_OK;
  }
  if (n == kFrameHeaderBytes && !h.page_expected && h.continues(at)) {
    hold(h, data, n, at);
    h.page_expected = true;
    h.commits = big_endian_u32(static_cast<const char*>(data) + 4) != 0;
    return SQLITE_OK;
  }
  // Anything else (the WAL header, a write elsewhere): in order, unheld.
  if (int rc = write_held(f); rc != SQLITE_OK) return rc;
  return f->real()->pMethods->xWrite(f->real(), data, n, at);
}

// Every other method sees the file with the held frames in it.
int wal_close(sqlite3_file* file) {
  WalFile* f = wal(file);
  int rc = write_held(f);
  int close_rc = f->real()->pMethods->xClose(f->real());
  delete f->held;
  f->held = nullptr;
  return rc != SQLITE_OK ? rc : close_rc;
}
int wal_read(sqlite3_file* file, void* out, int n, sqlite3_int64 at) {
  if (int rc = write_held(wal(file)); rc != SQLITE_OK) return rc;
  return wal(file)->real()->pMethods->xRead(wal(file)->real(), out, n, at);
}
int wal_truncate(sqlite3_file* file, sqlite3_int64 size) {
  if (int rc = write_held(wal(file)); rc != SQLITE_OK) return rc;
  return wal(file)->real()->pMethods->xTruncate(wal(file)->real(), size);
}
int wal_sync(sqlite3_file* file, int flags) {
  if (int rc = write_held(wal(file)); rc != SQLITE_OK) return rc;
  return wal(file)->real()->pMethods->xSync(wal(file)->real(), flags);
}
int wal_file_size(sqlite3_file* file, sqlite3_int64* size) {
  if (int rc = write_held(wal(file)); rc != SQLITE_OK) return rc;
  return wal(file)->real()->pMethods->xFileSize(wal(file)->real(), size);
}
int wal_file_control(sqlite3_file* file, int op, void* arg) {
  if (int rc = write_held(wal(file)); rc != SQLITE_OK) return rc;
  return wal(file)->real()->pMethods->xFileControl(wal(file)->real(), op, arg);
}
int wal_fetch(sqlite3_file* file, sqlite3_int64 at, int n, void** out) {
  if (int rc = write_held(wal(file)); rc != SQLITE_OK) return rc;
  return wal(file)->real()->pMethods->xFetch(wal(file)->real(), at, n, out);
}
// Locks, shared memory and the device's properties are not the file's
// content: passed through.
int wal_lock(sqlite3_file* f, int lock) {
  return wal(f)->real()->pMethods->xLock(wal(f)->real(), lock);
}
int wal_unlock(sqlite3_file* f, int lock) {
  return wal(f)->real()->pMethods->xUnlock(wal(f)->real(), lock);
}
int wal_check_reserved_lock(sqlite3_file* f, int* out) {
  return wal(f)->real()->pMethods->xCheckReservedLock(wal(f)->real(), out);
}
int wal_sector_size(sqlite3_file* f) {
  return wal(f)->real()->pMethods->xSectorSize(wal(f)->real());
}
int wal_device_characteristics(sqlite3_file* f) {
  return wal(f)->real()->pMethods->xDeviceCharacteristics(wal(f)->real());
}
int wal_shm_map(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
  return wal(f)->real()->pMethods->xShmMap(wal(f)->real(), region, size, extend, out);
}
int wal_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  return wal(f)->real()->pMethods->xShmLock(wal(f)->real(), offset, n, flags);
}
void wal_shm_barrier(sqlite3_file* f) { wal(f)->real()->pMethods->xShmBarrier(wal(f)->real()); }
int wal_shm_unmap(sqlite3_file* f, int delete_flag) {
  return wal(f)->real()->pMethods->xShmUnmap(wal(f)->real(), delete_flag);
}
int wal_unfetch(sqlite3_file* f, sqlite3_int64 at, void* p) {
  return wal(f)->real()->pMethods->xUnfetch(wal(f)->real(), at, p);
}

const sqlite3_io_methods kWalMethods = {
    3,  // the unix VFS's version: shared memory and memory-mapped reads
    wal_close,
    wal_read,
    wal_write,
    wal_truncate,
    wal_sync,
    wal_file_size,
    wal_lock,
    wal_unlock,
    wal_check_reserved_lock,
    wal_file_control,
    wal_sector_size,
    wal_device_characteristics,
    wal_shm_map,
    wal_shm_lock,
    wal_shm_barrier,
    wal_shm_unmap,
    wal_fetch,
    wal_unfetch,
};

int open_file(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* file, int flags,
              int* out_flags) {
  auto* real_vfs = static_cast<sqlite3_vfs*>(vfs->pAppData);
  // Other files are the default VFS's own objects, in the room SQLite gave.
  if (!(flags & SQLITE_OPEN_WAL)) return real_vfs->xOpen(real_vfs, name, file, flags, out_flags);
  WalFile* f = wal(file);
  f->base.pMethods = nullptr;
  f->held = nullptr;
  int rc = real_vfs->xOpen(real_vfs, name, f->real(), flags, out_flags);
  if (rc != SQLITE_OK) return rc;
  if (f->real()->pMethods->iVersion < kWalMethods.iVersion) {  // not the unix VFS's files
    f->real()->pMethods->xClose(f->real());
    return SQLITE_CANTOPEN;
  }
  f->held = new (std::nothrow) HeldFrames;
  if (!f->held) {
    f->real()->pMethods->xClose(f->real());
    return SQLITE_NOMEM;
  }
  f->base.pMethods = &kWalMethods;
  return SQLITE_OK;
}

}  // namespace

const char* wal_write_buffer_vfs() {
  static std::once_flag once;
  static sqlite3_vfs vfs;
  std::call_once(once, [] {
    sqlite3_initialize();
    sqlite3_vfs* real = sqlite3_vfs_find(nullptr);
    // The default VFS's methods but xOpen: the unix VFS reads nothing of
    // its sqlite3_vfs argument but mxPathname, which the copy keeps.
    vfs = *real;
    vfs.pNext = nullptr;
    vfs.zName = kVfsName;
    vfs.pAppData = real;
    vfs.szOsFile = static_cast<int>(sizeof(WalFile)) + real->szOsFile;
    vfs.xOpen = open_file;
    sqlite3_vfs_register(&vfs, /*makeDflt=*/0);
  });
  return kVfsName;
}

}  // namespace loupe::store
