// Follows every file matching a set of globs, across rotations, and hands
// out their entries with the checkpoints that go with them.
//
// Rotations (docs/logs.md, "Rotation"):
//  - rename and reopen (the kubelet, logrotate `create`): the renamed file
//    is still open, is read to its end, and closed once its writer has
//    moved on (a newer file under its name holds bytes, it was compressed,
//    or it has been quiet for a second);
//  - copytruncate: the file shrinks under its read position and is read
//    again from its start (log_file.h);
//  - delete and recreate: a new inode at the path is a new file.
// A file keeps the live name it was found under (its checkpoint's path)
// after it is rotated. At start, each live name's files, its rotated ones
// (<name>.<suffix>, .gz too) oldest first and then itself, are matched to
// the checkpoints under that name (device, inode and fingerprint; a
// compressed or copied file by fingerprint alone): each checkpointed file is
// resumed at its offset, and every file after the oldest of them that no
// checkpoint names was rotated or created while the agent was down and is
// read whole.
//
// Not thread-safe: one thread (the collector's) calls everything.
#pragma once

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "agent/logs/checkpoint.h"
#include "agent/logs/log_file.h"
#include "logs/log_entry.h"

namespace loupe::logs {

struct TailerOptions {
  std::vector<std::string> globs;
  size_t max_open_files = 1024;
  // A rotated file at its end is closed after it has been quiet this long
  // (sooner once a newer file under its name holds bytes).
  uint64_t rotated_quiet_ns = 1'000'000'000;
  // Files outside the kubelet's layout are attributed to the process (or
  // systemd unit) writing them (file_writer.h): looked up when they are
  // opened, and again this often while no writer is found.
  bool find_writers = true;
  uint64_t writer_retry_ns = 30'000'000'000;
};

struct TailerStats {
  uint64_t files_opened = 0;
  uint64_t rotations = 0;           // files renamed or deleted while followed
  uint64_t resumed = 0;             // files resumed from a checkpoint at start
  uint64_t rotated_while_down = 0;  // of those, found under a rotated name
  uint64_t lost_while_down = 0;     // checkpointed files found nowhere (rotated away and deleted)
  uint64_t rotated_between_scans = 0;  // files first found under a rotated name while running
  // Paths counted once each time they turn unreadable or over the limit
  // (a scan meeting them again does not count them again).
  uint64_t open_errors = 0;         // files or directories that could not be read
  uint64_t skipped_file_limit = 0;  // files not followed: max_open_files reached
  std::string last_error;
};

// A path matching the globs that is not followed, and why (shown in the
// status until it can be followed or is gone).
struct NotFollowed {
  bool over_limit = false;  // else unreadable
  std::string error;        // "Permission denied", "1024 files followed already"
};

// At most this many not-followed paths are listed in the status.
inline constexpr size_t kMaxNotFollowedShown = 16;

class LogTailer {
 public:
  // `checkpoints`: what the last run acknowledged (load_checkpoints).
  LogTailer(TailerOptions opts, CheckpointFile checkpoints);

  // Finds new files and rotations; call about every 250 ms.
  void scan(uint64_t now_ns);
  // Reads at most `budget` bytes across the files and appends the entries
  // they complete. Returns the bytes read.
  size_t read(size_t budget, uint64_t now_ns, std::vector<Entry>& out);

  // Where every file stands as of the last acknowledgement (a file started
  // or truncated since: at its start). Saved after each acknowledgement,
  // and before entries under a source not on disk yet leave, so a restart
  // goes on under the same source names.
  CheckpointFile checkpoints() const;
  // The entries handed out so far are acknowledged: checkpoints move to
  // them and finished rotated files are closed (the newest of a name stays
  // as its anchor while a newer file of the name is not recognisable).
  void acknowledged();

  size_t files() const { return files_.size(); }
  nlohmann::json status() const;

 private:
  struct Followed {
    std::unique_ptr<LogFile> file;  // its name(): the live name it is followed under
    bool rotated = false;
    bool finished = false;  // rotated, read to its end, pending entries handed out
    uint64_t quiet_since_ns = 0;
    uint64_t order = 0;             // when it was opened, among all files
    Checkpoint acked;               // as of the last acknowledgement
    uint64_t writer_looked_ns = 0;  // when its writer was last looked for (0: never)
  };
  using Key = std::pair<uint64_t, uint64_t>;  // device, inode

  void start_file(const std::string& path, const std::string& name, uint64_t offset,
                  std::string source, bool rotated, uint64_t now_ns);
  // After the globs: follows the new files and notes the rotated ones.
  void scan_files(const std::map<Key, std::string>& live, uint64_t now_ns);
  // The first scan: the files of live name `name` and the checkpoints under it.
  void resume(const std::string& name, uint64_t now_ns);
  // A new live file under `name`: first the files rotated away since the
  // newest one followed under it, which no scan saw live (a writer that
  // rotates faster than the scans, or a scan held up).
  void catch_up(const std::string& name, uint64_t now_ns);
  // The newest file followed under `name`, open or closed; null: none.
  std::optional<Checkpoint> newest_followed(const std::string& name) const;
  bool followed(Key key) const;  // a file with this identity, not deleted, is followed
  // A rotated file at its end will not grow: compressed, quiet for
  // rotated_quiet_ns, or its writer has reopened its log (a newer file under
  // its name holds bytes).
  bool writer_moved_on(const Followed& f, uint64_t now_ns) const;
  // Every followed file of live name `name` has a fingerprint.
  bool recognisable(const std::string& name) const;

  // Looks for the writers of the files that have none yet (file_writer.h).
  void find_writers(uint64_t now_ns);
  // Records `path` as not followed in this scan.
  void not_followed(const std::string& path, NotFollowed why);

  TailerOptions opts_;
  std::vector<Checkpoint> checkpoints_;  // from the last run, until the first scan
  bool first_scan_ = true;

  std::list<Followed> files_;  // oldest first
  // Per live name, the newest file read to its end and closed (or found
  // so in the checkpoints at start); forgotten once the name has neither a
  // live nor a followed file. catch_up places newer files after it, and
  // it is the name's anchor in the checkpoints (`finished`) while a newer
  // file of the name has no fingerprint: a file still empty when the
  // checkpoints were saved, then rotated and compressed while the agent
  // was down, is found by nothing else, and without the anchor a restart
  // would read every file of the name again.
  std::map<std::string, Checkpoint> last_closed_;
  uint64_t opened_ = 0;
  TailerStats stats_;
  // Not followed as of the last scan, and in the scan under way.
  std::map<std::string, NotFollowed> not_followed_, scan_not_followed_;
  DecoderStats closed_decoder_;  // of files no longer followed
  LogFileStats closed_files_;
};

}  // namespace loupe::logs
