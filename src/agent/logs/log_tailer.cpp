#include "agent/logs/log_tailer.h"

#include <glob.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

namespace loupe::logs {
namespace {

namespace fs = std::filesystem;

// Rotated names of `base` ("0.log" -> "0.log.20261130-130639",
// "0.log.20261130-120000.gz"; "app.log" -> "app.log.1", "app.log.2.gz"),
// oldest first: numbered suffixes count up with age (logrotate), dated
// ones count up with time (the kubelet).
std::vector<std::string> rotated_siblings(const std::string& path) {
  fs::path p(path);
  std::string prefix = p.filename().string() + ".";
  struct Named {
    std::string path;
    bool numbered;
    uint64_t number;
    std::string suffix;
  };
  std::vector<Named> found;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(p.parent_path(), ec)) {
    std::string name = e.path().filename().string();
    if (!name.starts_with(prefix) || name.ends_with(".tmp")) continue;
    std::string suffix = name.substr(prefix.size());
    std::string bare = suffix.ends_with(".gz") ? suffix.substr(0, suffix.size() - 3) : suffix;
    bool numbered =
        !bare.empty() && bare.size() < 10 &&
        std::all_of(bare.begin(), bare.end(), [](unsigned char c) { return std::isdigit(c); });
    found.push_back({e.path().string(), numbered, numbered ? std::stoull(bare) : 0, bare});
  }
  std::sort(found.begin(), found.end(), [](const Named& a, const Named& b) {
    if (a.numbered != b.numbered) return a.numbered;  // logrotate's before anything else
    if (a.numbered) return a.number > b.number;
    return a.suffix < b.suffix;
  });
  std::vector<std::string> out;
  for (auto& n : found) out.push_back(std::move(n.path));
  return out;
}

bool same_head(const std::string& path, const Fingerprint& fp) {
  auto head = LogFile::read_head(path, fp.length);
  return head && head->size() == fp.length && fingerprint_hash(*head) == fp.hash;
}

}  // namespace

LogTailer::LogTailer(TailerOptions opts, CheckpointFile checkpoints)
    : opts_(std::move(opts)), unclaimed_(std::move(checkpoints.files)) {}

const Checkpoint* LogTailer::matching_checkpoint(const std::string& path, uint64_t device,
                                                 uint64_t inode) const {
  for (const Checkpoint& c : unclaimed_) {
    if (c.device == device && c.inode == inode && same_head(path, c.fingerprint)) return &c;
  }
  return nullptr;
}

bool LogTailer::followed(Key key) const {
  for (const Followed& f : files_)
    if (f.file->device() == key.first && f.file->inode() == key.second && !f.file->deleted())
      return true;
  return false;
}

void LogTailer::start_file(const std::string& path, uint64_t offset, std::string source,
                           bool rotated, uint64_t now_ns) {
  if (files_.size() >= opts_.max_open_files) {
    ++stats_.skipped_file_limit;
    return;
  }
  std::string error;
  auto file = LogFile::open(path, offset, std::move(source), error);
  if (!file) {
    ++stats_.open_errors;
    stats_.last_error = error;
    return;
  }
  Key key{file->device(), file->inode()};
  if (followed(key)) return;
  ++stats_.files_opened;
  Followed f;
  f.rotated = rotated;
  f.quiet_since_ns = now_ns;
  f.order = opened_++;
  f.acked = file->checkpoint();
  f.file = std::move(file);
  files_.push_back(std::move(f));
}

void LogTailer::resume_rotated(const Checkpoint& c, uint64_t now_ns) {
  std::vector<std::string> siblings = rotated_siblings(c.path);
  auto found = siblings.end();
  for (auto it = siblings.begin(); it != siblings.end() && found == siblings.end(); ++it) {
    struct stat st {};
    bool compressed = it->ends_with(".gz");
    // A compressed file is a new inode: only its head can say it is ours.
    bool ours = compressed ? stat(it->c_str(), &st) == 0 && same_head(*it, c.fingerprint)
                           : stat(it->c_str(), &st) == 0 && st.st_dev == c.device &&
                                 st.st_ino == c.inode && same_head(*it, c.fingerprint);
    if (ours) found = it;
  }
  if (found == siblings.end()) {
    ++stats_.lost_while_down;
    return;
  }
  ++stats_.resumed;
  ++stats_.rotated_while_down;
  start_file(*found, c.offset, c.source, /*rotated=*/true, now_ns);
  // Files rotated after it were written after the last run stopped: read
  // whole (unless another checkpoint claims one).
  for (auto it = found + 1; it != siblings.end(); ++it) {
    struct stat st {};
    if (stat(it->c_str(), &st) != 0) continue;
    if (followed({st.st_dev, st.st_ino})) continue;
    bool claimed = std::any_of(unclaimed_.begin(), unclaimed_.end(), [&](const Checkpoint& o) {
      // Another checkpoint's file (by its head: an inode number may have been reused).
      return o.source != c.source && same_head(*it, o.fingerprint);
    });
    if (!claimed)
      start_file(*it, 0, LogFile::new_source(st.st_dev, st.st_ino, now_ns), /*rotated=*/true,
                 now_ns);
  }
}

void LogTailer::scan(uint64_t now_ns) {
  // Files still under a watched name, by identity.
  std::map<Key, std::string> live;
  for (const std::string& pattern : opts_.globs) {
    glob_t g{};
    int rc = glob(pattern.c_str(), GLOB_NOSORT, nullptr, &g);
    if (rc == GLOB_ABORTED) {
      ++stats_.open_errors;
      stats_.last_error = pattern + ": cannot read a directory";
    }
    for (size_t i = 0; rc == 0 && i < g.gl_pathc; ++i) {
      struct stat st {};
      if (stat(g.gl_pathv[i], &st) == 0 && S_ISREG(st.st_mode))
        live[{st.st_dev, st.st_ino}] = g.gl_pathv[i];
    }
    globfree(&g);
  }
  for (Followed& f : files_) {
    // Renamed away, or deleted (its inode number may already name a new file).
    if (!f.rotated && (!live.count({f.file->device(), f.file->inode()}) || f.file->deleted())) {
      f.rotated = true;
      f.quiet_since_ns = now_ns;
      ++stats_.rotations;
    }
  }
  for (const auto& [key, path] : live) {
    if (followed(key)) continue;
    if (const Checkpoint* c =
            first_scan_ ? matching_checkpoint(path, key.first, key.second) : nullptr) {
      ++stats_.resumed;
      Checkpoint resume = *c;
      unclaimed_.erase(unclaimed_.begin() + (c - unclaimed_.data()));
      start_file(path, resume.offset, resume.source, false, now_ns);
    } else {
      start_file(path, 0, LogFile::new_source(key.first, key.second, now_ns), false, now_ns);
    }
  }
  if (first_scan_) {
    first_scan_ = false;
    // Checkpointed files no longer under their name: rotated while the
    // agent was down.
    std::vector<Checkpoint> left = std::move(unclaimed_);
    unclaimed_ = left;
    for (const Checkpoint& c : left) resume_rotated(c, now_ns);
    unclaimed_.clear();
  }
}

size_t LogTailer::read(size_t budget, uint64_t now_ns, std::vector<Entry>& out) {
  // A directory's files are read oldest first, one at a time: its rotated
  // files in the order they were found, then the live one, so a
  // container's entries leave in the order they were written.
  std::map<std::string, const Followed*> oldest;
  for (const Followed& f : files_) {
    if (!f.rotated || f.finished) continue;
    std::string dir = fs::path(f.file->path()).parent_path().string();
    auto [it, added] = oldest.emplace(dir, &f);
    if (!added && f.order < it->second->order) it->second = &f;
  }
  size_t total = 0;
  // An equal share each, so one busy file cannot starve the others.
  size_t share = std::max<size_t>(budget / std::max<size_t>(files_.size(), 1), 64 * 1024);
  for (Followed& f : files_) {
    if (f.finished || total >= budget) continue;
    auto first = oldest.find(fs::path(f.file->path()).parent_path().string());
    if (first != oldest.end() && first->second != &f) continue;
    size_t n = f.file->read(std::min(share, budget - total), now_ns, out);
    total += n;
    if (n > 0) f.quiet_since_ns = now_ns;
    f.file->flush_idle(now_ns, out);
    if (f.rotated && f.file->at_end() && now_ns - f.quiet_since_ns >= opts_.rotated_quiet_ns) {
      f.file->finish(now_ns, out);
      f.finished = true;
    }
  }
  return total;
}

CheckpointFile LogTailer::checkpoints() const {
  CheckpointFile out;
  for (const Followed& f : files_) {
    Checkpoint c = f.acked;
    Checkpoint now = f.file->checkpoint();
    if (c.source != now.source) {
      c = now;  // truncated since: the new content from its start
      c.offset = 0;
    }
    c.fingerprint = now.fingerprint;  // learnt with the first line
    out.files.push_back(std::move(c));
  }
  return out;
}

void LogTailer::acknowledged() {
  for (auto it = files_.begin(); it != files_.end();) {
    Followed& f = *it;
    if (f.finished) {
      closed_files_ += f.file->stats();
      closed_decoder_ += f.file->decoder_stats();
      it = files_.erase(it);
      continue;
    }
    f.acked = f.file->checkpoint();
    ++it;
  }
}

nlohmann::json LogTailer::status() const {
  LogFileStats files = closed_files_;
  DecoderStats dec = closed_decoder_;
  for (const Followed& f : files_) {
    files += f.file->stats();
    dec += f.file->decoder_stats();
  }
  nlohmann::json j = {{"files_followed", files_.size()},
                      {"files_opened", stats_.files_opened},
                      {"bytes_read", files.bytes},
                      {"lines", dec.lines},
                      {"entries", dec.entries},
                      {"rotations", stats_.rotations},
                      {"truncations", files.truncations},
                      {"resumed", stats_.resumed},
                      {"rotated_while_down", stats_.rotated_while_down},
                      {"lost_while_down", stats_.lost_while_down},
                      {"lines_cut", files.lines_cut},
                      {"entries_truncated", dec.truncated},
                      {"invalid_utf8", dec.invalid_utf8},
                      {"partial_unfinished", dec.partial_dropped},
                      {"open_errors", stats_.open_errors},
                      {"skipped_file_limit", stats_.skipped_file_limit}};
  if (!stats_.last_error.empty()) j["last_error"] = stats_.last_error;
  return j;
}

}  // namespace loupe::logs
