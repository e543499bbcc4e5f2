#include "agent/logs/log_tailer.h"

#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <set>

#include "agent/logs/file_writer.h"

namespace loupe::logs {
namespace {

namespace fs = std::filesystem;

// Rotated names of `base` ("0.log" -> "0.log.20261130-130639",
// "0.log.20261130-120000.gz"; "app.log" -> "app.log.1", "app.log.2.gz"),
// oldest first: numbered suffixes count up with age (logrotate), dated
// ones count up with time (the kubelet). A file both plain and compressed
// (compression under way) is listed once, plain: that is the inode read so far.
std::vector<std::string> rotated_siblings(const std::string& base) {
  fs::path p(base);
  std::string prefix = p.filename().string() + ".";
  struct Named {
    std::string path;
    bool numbered;
    uint64_t number;
    std::string suffix;  // without .gz
    bool compressed;
  };
  std::vector<Named> found;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(p.parent_path(), ec)) {
    std::string name = e.path().filename().string();
    if (!name.starts_with(prefix) || name.ends_with(".tmp")) continue;
    std::string suffix = name.substr(prefix.size());
    bool compressed = suffix.ends_with(".gz");
    if (compressed) suffix.resize(suffix.size() - 3);
    bool numbered =
        !suffix.empty() && suffix.size() < 10 &&
        std::all_of(suffix.begin(), suffix.end(), [](unsigned char c) { return std::isdigit(c); });
    found.push_back({e.path().string(), numbered, numbered ? std::stoull(suffix) : 0,
                     std::move(suffix), compressed});
  }
  std::sort(found.begin(), found.end(), [](const Named& a, const Named& b) {
    if (a.numbered != b.numbered) return a.numbered;  // logrotate's before anything else
    if (a.numbered && a.number != b.number) return a.number > b.number;
    if (a.suffix != b.suffix) return a.suffix < b.suffix;
    return a.compressed < b.compressed;
  });
  std::vector<std::string> out;
  for (size_t i = 0; i < found.size(); ++i) {
    if (i > 0 && found[i].suffix == found[i - 1].suffix) continue;  // its compressed copy
    out.push_back(std::move(found[i].path));
  }
  return out;
}

// glob()'s error callback takes no context: the directories it could not
// read during the current scan are collected here (scan() runs on one thread).
thread_local std::map<std::string, std::string>* glob_errors = nullptr;

int on_glob_error(const char* path, int error) {
  if (glob_errors) glob_errors->emplace(path, std::strerror(error));
  return 0;  // go on with the other directories
}

bool same_head(const std::string& path, const Fingerprint& fp) {
  if (!fp.length) return false;  // nothing was read of it: nothing to resume
  auto head = LogFile::read_head(path, fp.length);
  return head && head->size() == fp.length && fingerprint_hash(*head) == fp.hash;
}

}  // namespace

LogTailer::LogTailer(TailerOptions opts, CheckpointFile checkpoints)
    : opts_(std::move(opts)), checkpoints_(std::move(checkpoints.files)) {}

bool LogTailer::followed(Key key) const {
  for (const Followed& f : files_)
    if (f.file->device() == key.first && f.file->inode() == key.second && !f.file->deleted())
      return true;
  return false;
}

void LogTailer::start_file(const std::string& path, const std::string& name, uint64_t offset,
                           std::string source, bool rotated, uint64_t now_ns) {
  if (files_.size() >= opts_.max_open_files) {
    not_followed(path, {.over_limit = true,
                        .error = std::to_string(opts_.max_open_files) + " files followed already"});
    return;
  }
  std::string error;
  auto file = LogFile::open(path, name, offset, std::move(source), error);
  if (!file) {
    not_followed(path, {.error = error});
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

void LogTailer::not_followed(const std::string& path, NotFollowed why) {
  auto before = not_followed_.find(path);
  if (before == not_followed_.end() || before->second.over_limit != why.over_limit) {
    ++(why.over_limit ? stats_.skipped_file_limit : stats_.open_errors);
    if (!why.over_limit) stats_.last_error = why.error;
  }
  scan_not_followed_[path] = std::move(why);
}

void LogTailer::resume(const std::string& name, uint64_t now_ns) {
  struct Link {
    std::string path;
    struct stat st {};
    const Checkpoint* resumes = nullptr;
  };
  std::vector<Link> chain;
  for (std::string& path : rotated_siblings(name)) chain.push_back({std::move(path)});
  chain.push_back({name});
  std::erase_if(chain,
                [](Link& l) { return stat(l.path.c_str(), &l.st) != 0 || !S_ISREG(l.st.st_mode); });
  std::vector<const Checkpoint*> mine;
  for (const Checkpoint& c : checkpoints_)
    if (c.path == name) mine.push_back(&c);
  // The same inode with the same head first (with no head yet: the same
  // inode); then the same head alone (a compressed file is a new inode, and
  // so is logrotate's copy).
  for (bool by_inode : {true, false}) {
    for (const Checkpoint*& c : mine) {
      for (Link& l : chain) {
        if (!c || l.resumes) continue;
        bool plain = !l.path.ends_with(".gz");
        bool same_inode = plain && l.st.st_dev == c->device && l.st.st_ino == c->inode;
        bool ours =
            by_inode ? same_inode && (!c->fingerprint.length || same_head(l.path, c->fingerprint))
                     : same_head(l.path, c->fingerprint);
        if (!ours) continue;
        l.resumes = c;
        c = nullptr;
      }
    }
  }
  // A checkpointed file found nowhere was rotated away and deleted while
  // the agent was down.
  // (An anchor found nowhere is no loss: it had been read whole.)
  stats_.lost_while_down +=
      static_cast<uint64_t>(std::count_if(mine.begin(), mine.end(), [](const Checkpoint* c) {
        return c && c->fingerprint.length && !c->finished;
      }));
  // Files before the oldest checkpointed one were read by an earlier run;
  // the files after it that no checkpoint names were rotated or created
  // while the agent was down. With no checkpoint under this name, only the
  // live file is read; with checkpoints but none found, every file is (at
  // least once rather than lose any).
  auto first = std::find_if(chain.begin(), chain.end(), [](const Link& l) { return l.resumes; });
  if (mine.empty())
    first = !chain.empty() && chain.back().path == name ? chain.end() - 1 : chain.end();
  else if (first == chain.end())
    first = chain.begin();
  for (auto l = first; l != chain.end(); ++l) {
    bool rotated = l->path != name;
    if (l->resumes && l->resumes->finished) {
      last_closed_[name] = *l->resumes;  // nothing left to read; still the anchor
    } else if (l->resumes) {
      ++stats_.resumed;
      if (rotated) ++stats_.rotated_while_down;
      start_file(l->path, name, l->resumes->offset, l->resumes->source, rotated, now_ns);
    } else {
      start_file(l->path, name, 0, LogFile::new_source(l->st.st_dev, l->st.st_ino, now_ns), rotated,
                 now_ns);
    }
  }
}

void LogTailer::scan(uint64_t now_ns) {
  // Files still under a watched name, by identity.
  std::map<Key, std::string> live;
  std::map<std::string, std::string> unreadable_dirs;
  glob_errors = &unreadable_dirs;
  for (const std::string& pattern : opts_.globs) {
    glob_t g{};
    int rc = glob(pattern.c_str(), GLOB_NOSORT, on_glob_error, &g);
    for (size_t i = 0; rc == 0 && i < g.gl_pathc; ++i) {
      struct stat st {};
      if (stat(g.gl_pathv[i], &st) == 0 && S_ISREG(st.st_mode))
        live[{st.st_dev, st.st_ino}] = g.gl_pathv[i];
    }
    globfree(&g);
  }
  glob_errors = nullptr;
  scan_not_followed_.clear();
  for (const auto& [dir, error] : unreadable_dirs) not_followed(dir, {.error = dir + ": " + error});
  scan_files(live, now_ns);
  not_followed_.swap(scan_not_followed_);
  if (opts_.find_writers) find_writers(now_ns);
}

void LogTailer::find_writers(uint64_t now_ns) {
  std::set<FileId> wanted;
  for (const Followed& f : files_) {
    bool due = !f.writer_looked_ns || now_ns - f.writer_looked_ns >= opts_.writer_retry_ns;
    if (!f.rotated && !f.file->in_pod() && !f.file->has_writer() && due)
      wanted.insert({f.file->device(), f.file->inode()});
  }
  if (wanted.empty()) return;
  auto writers = find_file_writers(wanted, getpid());
  for (Followed& f : files_) {
    Key key{f.file->device(), f.file->inode()};
    if (!wanted.count(key)) continue;
    f.writer_looked_ns = now_ns;
    if (auto it = writers.find(key); it != writers.end()) f.file->set_writer(it->second.workload());
  }
}

void LogTailer::scan_files(const std::map<Key, std::string>& live, uint64_t now_ns) {
  if (first_scan_) {
    // Every live name, and every name the last run followed (its live file
    // may be gone, its rotated ones not).
    first_scan_ = false;
    std::set<std::string> names;
    for (const auto& [key, path] : live) names.insert(path);
    for (const Checkpoint& c : checkpoints_) names.insert(c.path);
    for (const std::string& name : names) resume(name, now_ns);
    checkpoints_.clear();
    return;
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
    catch_up(path, now_ns);
    start_file(path, path, 0, LogFile::new_source(key.first, key.second, now_ns), false, now_ns);
  }
  std::set<std::string> live_names;
  for (const auto& [key, path] : live) live_names.insert(path);
  std::erase_if(last_closed_, [&](const auto& c) {
    return !live_names.count(c.first) &&
           std::none_of(files_.begin(), files_.end(),
                        [&](const Followed& f) { return f.file->name() == c.first; });
  });
}

std::optional<Checkpoint> LogTailer::newest_followed(const std::string& name) const {
  const Followed* newest = nullptr;
  for (const Followed& f : files_)
    if (f.file->name() == name && (!newest || f.order > newest->order)) newest = &f;
  if (newest) return newest->file->checkpoint();
  if (auto it = last_closed_.find(name); it != last_closed_.end()) return it->second;
  return std::nullopt;
}

void LogTailer::catch_up(const std::string& name, uint64_t now_ns) {
  std::optional<Checkpoint> newest = newest_followed(name);
  if (!newest || !newest->fingerprint.length) return;  // nothing to place newer files after
  std::vector<std::string> siblings = rotated_siblings(name);
  auto last = std::find_if(siblings.rbegin(), siblings.rend(), [&](const std::string& path) {
    return same_head(path, newest->fingerprint);
  });
  if (last == siblings.rend()) return;
  // Oldest first, before the new live file: read() takes a name's files in
  // the order they were opened.
  for (auto it = last.base(); it != siblings.end(); ++it) {
    struct stat st {};
    if (stat(it->c_str(), &st) != 0 || !S_ISREG(st.st_mode) || followed({st.st_dev, st.st_ino}))
      continue;
    ++stats_.rotated_between_scans;
    start_file(*it, name, 0, LogFile::new_source(st.st_dev, st.st_ino, now_ns), true, now_ns);
  }
}

size_t LogTailer::read(size_t budget, uint64_t now_ns, std::vector<Entry>& out) {
  // The files of one live name are read oldest first, one at a time: its
  // rotated files in the order they were found, then the live one, so a
  // container's entries leave in the order they were written.
  std::map<std::string_view, const Followed*> oldest;
  for (const Followed& f : files_) {
    if (!f.rotated || f.finished) continue;
    auto [it, added] = oldest.emplace(f.file->name(), &f);
    if (!added && f.order < it->second->order) it->second = &f;
  }
  size_t total = 0;
  // An equal share each, so one busy file cannot starve the others.
  size_t share = std::max<size_t>(budget / std::max<size_t>(files_.size(), 1), 64 * 1024);
  for (Followed& f : files_) {
    if (f.finished || total >= budget) continue;
    auto first = oldest.find(f.file->name());
    if (first != oldest.end() && first->second != &f) continue;
    size_t n = f.file->read(std::min(share, budget - total), now_ns, out);
    total += n;
    if (n > 0) f.quiet_since_ns = now_ns;
    f.file->flush_idle(now_ns, out);
    if (f.rotated && f.file->at_end() && writer_moved_on(f, now_ns)) {
      f.file->finish(now_ns, out);
      f.finished = true;
    }
  }
  return total;
}

bool LogTailer::writer_moved_on(const Followed& f, uint64_t now_ns) const {
  if (f.file->compressed() || now_ns - f.quiet_since_ns >= opts_.rotated_quiet_ns) return true;
  // The writer reopened its log: a newer file under the name holds bytes.
  return std::any_of(files_.begin(), files_.end(), [&f](const Followed& o) {
    return o.order > f.order && o.file->name() == f.file->name() && o.file->size() > 0;
  });
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
  for (const auto& [name, last] : last_closed_)
    if (!recognisable(name)) out.files.push_back(last);  // the name's anchor
  return out;
}

bool LogTailer::recognisable(const std::string& name) const {
  return std::all_of(files_.begin(), files_.end(), [&name](const Followed& f) {
    return f.file->name() != name || f.file->recognisable();
  });
}

void LogTailer::acknowledged() {
  for (auto it = files_.begin(); it != files_.end();) {
    Followed& f = *it;
    if (f.finished) {
      Checkpoint done = f.file->checkpoint();
      done.finished = true;
      last_closed_[done.path] = std::move(done);  // files_ is oldest first: the newest stays
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
                      {"rotated_between_scans", stats_.rotated_between_scans},
                      {"lost_while_down", stats_.lost_while_down},
                      {"lines_cut", files.lines_cut},
                      {"entries_truncated", dec.truncated},
                      {"invalid_utf8", dec.invalid_utf8},
                      {"partial_unfinished", dec.partial_dropped},
                      {"open_errors", stats_.open_errors},
                      {"skipped_file_limit", stats_.skipped_file_limit}};
  if (!stats_.last_error.empty()) j["last_error"] = stats_.last_error;
  // What was lost, by reason (docs/logs.md, "Limits"): parts of lines past
  // kMaxLineBytes, lines past an entry's bound, pieces of a partial line
  // whose end never came, files rotated away and deleted while the agent
  // was down, and the paths it cannot follow now.
  size_t unreadable = 0, over_limit = 0;
  nlohmann::json listed = nlohmann::json::array();
  for (const auto& [path, why] : not_followed_) {
    ++(why.over_limit ? over_limit : unreadable);
    if (listed.size() < kMaxNotFollowedShown)
      listed.push_back({{"path", path},
                        {"reason", why.over_limit ? "file_limit" : "unreadable"},
                        {"error", why.error}});
  }
  j["dropped"] = {{"line_too_long", files.lines_cut},
                  {"entry_too_long", dec.truncated},
                  {"partial_unfinished", dec.partial_dropped},
                  {"lost_while_down", stats_.lost_while_down},
                  {"unreadable_paths", unreadable},
                  {"file_limit_paths", over_limit}};
  if (!listed.empty()) j["not_followed"] = std::move(listed);
  return j;
}

}  // namespace loupe::logs
