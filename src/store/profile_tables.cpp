#include "store/profile_tables.h"

#include <cstring>
#include <functional>
#include <unordered_set>

namespace loupe::store {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS profile_frames(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS profile_stacks(id INTEGER PRIMARY KEY, frames BLOB NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS profile_entities(
  id INTEGER PRIMARY KEY, node TEXT NOT NULL, pid INTEGER NOT NULL, process TEXT NOT NULL,
  namespace TEXT NOT NULL, pod TEXT NOT NULL, container TEXT NOT NULL, workload TEXT NOT NULL,
  UNIQUE(node, pid, process, namespace, pod, container, workload));
CREATE TABLE IF NOT EXISTS profile_samples(
  minute INTEGER NOT NULL, entity INTEGER NOT NULL, stack INTEGER NOT NULL,
  samples INTEGER NOT NULL,
  PRIMARY KEY(minute, entity, stack)) WITHOUT ROWID;
)sql";

// Ids remembered by the writer before the maps are cleared (a few MiB).
constexpr size_t kMaxCachedIds = 100'000;
// Distinct (process, chain) rows one query reads at most: a bound on the
// answer's memory whatever the window.
constexpr int64_t kMaxQueryRows = 500'000;

void append_id(std::string& blob, int64_t id) {
  auto v = static_cast<uint32_t>(id);
  char bytes[4];
  std::memcpy(bytes, &v, 4);
  blob.append(bytes, 4);
}

std::vector<uint32_t> ids_of(std::string_view blob) {
  std::vector<uint32_t> ids(blob.size() / 4);
  if (!ids.empty()) std::memcpy(ids.data(), blob.data(), ids.size() * 4);
  return ids;
}

std::string entity_key(const ProfileEntity& e) {
  std::string key;
  for (const std::string* s :
       {&e.node, &e.process, &e.namespace_, &e.pod, &e.container, &e.workload}) {
    key += *s;
    key += '\0';
  }
  key += std::to_string(e.pid);
  return key;
}

// "namespace/pod" or a bare pod name.
std::pair<std::string, std::string> split_pod(const std::string& pod) {
  auto slash = pod.find('/');
  if (slash == std::string::npos) return {"", pod};
  return {pod.substr(0, slash), pod.substr(slash + 1)};
}

}  // namespace

ProfileTables::ProfileTables(Db& wdb) : db_(&wdb) {
  wdb.exec(kSchema);
  select_frame_ = Stmt(wdb, "SELECT id FROM profile_frames WHERE name = ?");
  insert_frame_ = Stmt(wdb, "INSERT INTO profile_frames(name) VALUES(?)");
  select_stack_ = Stmt(wdb, "SELECT id FROM profile_stacks WHERE frames = ?");
  insert_stack_ = Stmt(wdb, "INSERT INTO profile_stacks(frames) VALUES(?)");
  select_entity_ = Stmt(wdb,
                        "SELECT id FROM profile_entities WHERE node = ? AND pid = ? AND "
                        "process = ? AND namespace = ? AND pod = ? AND container = ? AND "
                        "workload = ?");
  insert_entity_ = Stmt(wdb,
                        "INSERT INTO profile_entities(node, pid, process, namespace, pod, "
                        "container, workload) VALUES(?,?,?,?,?,?,?)");
  upsert_samples_ = Stmt(wdb,
                         "INSERT INTO profile_samples(minute, entity, stack, samples) "
                         "VALUES(?,?,?,?) ON CONFLICT(minute, entity, stack) DO UPDATE SET "
                         "samples = samples + excluded.samples");
}

void ProfileTables::forget_ids() {
  frame_ids_.clear();
  stack_ids_.clear();
  entity_ids_.clear();
}

namespace {

// The id of the row `select` finds, else of the row `insert` adds; `bind`
// binds the same values to either.
template <typename Bind>
int64_t find_or_insert(Db& db, Stmt& select, Stmt& insert, Bind bind) {
  bind(select);
  bool found = select.step();
  int64_t id = found ? select.i64(0) : 0;
  select.reset();
  if (found) return id;
  bind(insert);
  insert.run();
  return sqlite3_last_insert_rowid(db.get());
}

// Remembers an id, forgetting all first when the map is at its bound.
template <typename Ids>
void remember(Ids& ids, std::string key, int64_t id) {
  if (ids.size() >= kMaxCachedIds) ids.clear();
  ids.emplace(std::move(key), id);
}

}  // namespace

int64_t ProfileTables::frame_id(std::string_view name) {
  if (auto it = frame_ids_.find(name); it != frame_ids_.end()) return it->second;
  int64_t id =
      find_or_insert(*db_, select_frame_, insert_frame_, [name](Stmt& s) { s.bind(1, name); });
  remember(frame_ids_, std::string(name), id);
  return id;
}

int64_t ProfileTables::stack_id(const std::string& blob) {
  if (auto it = stack_ids_.find(blob); it != stack_ids_.end()) return it->second;
  int64_t id = find_or_insert(*db_, select_stack_, insert_stack_,
                              [&blob](Stmt& s) { s.bind_blob(1, blob); });
  remember(stack_ids_, blob, id);
  return id;
}

int64_t ProfileTables::entity_id(const ProfileEntity& e) {
  std::string key = entity_key(e);
  if (auto it = entity_ids_.find(key); it != entity_ids_.end()) return it->second;
  int64_t id = find_or_insert(*db_, select_entity_, insert_entity_, [&e](Stmt& s) {
    s.bind(1, std::string_view(e.node));
    s.bind(2, static_cast<int64_t>(e.pid));
    s.bind(3, std::string_view(e.process));
    s.bind(4, std::string_view(e.namespace_));
    s.bind(5, std::string_view(e.pod));
    s.bind(6, std::string_view(e.container));
    s.bind(7, std::string_view(e.workload));
  });
  remember(entity_ids_, std::move(key), id);
  return id;
}

uint64_t ProfileTables::write(const std::vector<ProfileMinute>& minutes) {
  uint64_t stored = 0;
  std::string blob;
  for (const ProfileMinute& m : minutes) {
    if (m.stacks.empty()) continue;
    int64_t entity = entity_id(m.entity);
    for (const auto& [chain, samples] : m.stacks.stacks()) {
      blob.clear();
      std::string_view rest = chain;
      while (true) {
        size_t semi = rest.find(';');
        append_id(blob, frame_id(rest.substr(0, semi)));
        if (semi == std::string_view::npos) break;
        rest.remove_prefix(semi + 1);
      }
      upsert_samples_.bind(1, static_cast<int64_t>(m.minute_s / 60 * 60));
      upsert_samples_.bind(2, entity);
      upsert_samples_.bind(3, stack_id(blob));
      upsert_samples_.bind(4, static_cast<int64_t>(samples));
      upsert_samples_.run();
      stored += samples;
    }
  }
  return stored;
}

void ProfileTables::delete_before(int64_t cutoff_s) {
  Stmt del(*db_, "DELETE FROM profile_samples WHERE minute + 60 <= ?");
  del.bind(1, cutoff_s);
  del.run();
}

void ProfileTables::sweep_unused() {
  db_->exec(
      "DELETE FROM profile_stacks WHERE id NOT IN (SELECT DISTINCT stack FROM profile_samples);"
      "DELETE FROM profile_entities WHERE id NOT IN "
      "(SELECT DISTINCT entity FROM profile_samples);");
  // Frames are named inside the chains' blobs: collect the ids in use.
  std::unordered_set<uint32_t> used;
  Stmt stacks(*db_, "SELECT frames FROM profile_stacks");
  while (stacks.step())
    for (uint32_t id : ids_of(stacks.blob(0))) used.insert(id);
  Stmt frames(*db_, "SELECT id FROM profile_frames");
  std::vector<int64_t> unused;
  while (frames.step())
    if (!used.count(static_cast<uint32_t>(frames.i64(0)))) unused.push_back(frames.i64(0));
  Stmt del(*db_, "DELETE FROM profile_frames WHERE id = ?");
  for (int64_t id : unused) {
    del.bind(1, id);
    del.run();
  }
  forget_ids();
}

ProfileStacks ProfileTables::query(Db& db, const ProfileQuery& q) {
  std::string sql =
      "SELECT e.process, s.frames, sum(p.samples) FROM profile_samples p "
      "JOIN profile_entities e ON e.id = p.entity JOIN profile_stacks s ON s.id = p.stack "
      "WHERE p.minute >= ? AND p.minute < ?";
  std::vector<std::function<void(Stmt&, int)>> binds;
  auto text = [&](const char* clause, std::string value) {
    sql += std::string(" AND ") + clause;
    binds.push_back([v = std::move(value)](Stmt& s, int i) { s.bind_copy(i, v); });
  };
  if (q.node) text("e.node = ?", *q.node);
  if (q.workload) text("e.workload = ?", *q.workload);
  if (q.pod) {
    auto [ns, pod] = split_pod(*q.pod);
    if (!ns.empty()) text("e.namespace = ?", ns);
    text("e.pod = ?", pod);
  }
  if (q.process) text("e.process = ?", *q.process);
  if (q.pid) {
    sql += " AND e.pid = ?";
    binds.push_back([pid = *q.pid](Stmt& s, int i) { s.bind(i, static_cast<int64_t>(pid)); });
  }
  sql += " GROUP BY e.process, p.stack LIMIT " + std::to_string(kMaxQueryRows);
  Stmt st(db, sql);
  // Minutes whose start lies in the range, as the other minute rollups.
  auto ceil_minute = [](uint64_t ns) {
    uint64_t s = (ns + 999'999'999ULL) / 1'000'000'000ULL;
    return static_cast<int64_t>((s + 59) / 60 * 60);
  };
  st.bind(1, ceil_minute(q.range.from_ns));
  st.bind(2, ceil_minute(q.range.to_ns));
  for (size_t i = 0; i < binds.size(); ++i) binds[i](st, static_cast<int>(i) + 3);

  Stmt name(db, "SELECT name FROM profile_frames WHERE id = ?");
  std::unordered_map<uint32_t, std::string> names;
  auto name_of = [&](uint32_t id) -> const std::string& {
    auto it = names.find(id);
    if (it != names.end()) return it->second;
    name.bind(1, static_cast<int64_t>(id));
    std::string n = name.step() ? name.text(0) : "[unknown]";
    name.reset();
    return names.emplace(id, std::move(n)).first->second;
  };
  ProfileStacks out;
  std::vector<std::string> chain;
  while (st.step()) {
    chain.clear();
    std::string process = st.text(0);  // the root frame
    chain.push_back(process.empty() ? "[unknown]" : std::move(process));
    for (uint32_t id : ids_of(st.blob(1))) chain.push_back(name_of(id));
    out.add(chain, static_cast<uint64_t>(st.i64(2)));
  }
  return out;
}

}  // namespace loupe::store
