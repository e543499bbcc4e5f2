// Where the agent is in each log file it follows, kept on disk so that a
// restart (or a crash) resumes exactly where the server's last
// acknowledgement left it: no entry lost, none sent twice as a new entry.
//
// A file is known by its device and inode (stable across renames) and a
// fingerprint of its first bytes (a reused inode or a truncated file holds
// other bytes there). `source` names the file's entries at the server
// ((node, source, offset) is an entry's key there), so a resumed file goes
// on under the same name and entries sent again are recognised.
//
// The file is rewritten whole, atomically (temporary file, fdatasync,
// rename): a crash leaves the old or the new version, never a mix.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace loupe::logs {

// The first bytes of a file up to and including its first newline, at most
// kFingerprintBytes: complete as soon as the first line is.
inline constexpr size_t kFingerprintBytes = 128;

struct Fingerprint {
  uint32_t length = 0;  // bytes hashed; 0: the file has no complete first line yet
  uint64_t hash = 0;
  bool operator==(const Fingerprint&) const = default;
};

// The fingerprint of a file's head (its first bytes, as many as are there).
Fingerprint fingerprint_of(std::string_view head);
// The hash of exactly `length` bytes (to compare with a stored fingerprint).
uint64_t fingerprint_hash(std::string_view bytes);

struct Checkpoint {
  std::string path;  // the live name it is followed under (its rotated names are beside it)
  uint64_t device = 0;
  uint64_t inode = 0;
  Fingerprint fingerprint;
  uint64_t offset = 0;  // every entry starting before it is acknowledged
  std::string source;
  // Read to its end after it was rotated: kept only to mark where its name's
  // chain stands while a newer file of the name is not recognisable yet (no
  // fingerprint: nothing read of it), so a restart reads the files after it
  // and none before.
  bool finished = false;
  bool operator==(const Checkpoint&) const = default;
};

struct CheckpointFile {
  std::vector<Checkpoint> files;
  bool operator==(const CheckpointFile&) const = default;
};

// nullopt and `error` set when the file exists but cannot be read or parsed;
// an empty set when it does not exist.
std::optional<CheckpointFile> load_checkpoints(const std::string& path, std::string& error);
bool save_checkpoints(const std::string& path, const CheckpointFile& checkpoints,
                      std::string& error);

}  // namespace loupe::logs
