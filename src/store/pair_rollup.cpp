#include "store/pair_rollup.h"

#include "core/same_text.h"
#include "store/rollup_rows.h"
#include "store/sqlite_db.h"

namespace loupe::store {

PairRollup::PairRollup(Db& wdb, std::string table) : table_(std::move(table)), db_(&wdb) {
  std::string create = "CREATE TABLE IF NOT EXISTS " + table_ +
                       "(a TEXT NOT NULL, b TEXT NOT NULL, protocol INTEGER NOT NULL, "
                       "minute INTEGER NOT NULL, a_kind TEXT NOT NULL, b_kind TEXT NOT NULL, "
                       "count INTEGER NOT NULL, errors INTEGER NOT NULL, sum_ns INTEGER NOT NULL, "
                       "sketch BLOB NOT NULL, PRIMARY KEY(a, b, protocol, minute)) WITHOUT ROWID;"
                       "CREATE INDEX IF NOT EXISTS " +
                       table_ + "_time ON " + table_ + "(minute);";
  wdb.exec(create.c_str());
  const std::string key = " WHERE a=?5 AND b=?6 AND protocol=?7 AND minute=?8";
  statements_.select = Stmt(wdb, "SELECT count, errors, sum_ns, sketch FROM " + table_ + key);
  statements_.insert = Stmt(wdb, "INSERT OR REPLACE INTO " + table_ +
                                     "(count, errors, sum_ns, sketch, a, b, protocol, minute, "
                                     "a_kind, b_kind) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)");
  statements_.update = Stmt(wdb, "UPDATE " + table_ +
                                     " SET count=?1, errors=?2, sum_ns=?3, sketch=?4, a_kind=?9, "
                                     "b_kind=?10" +
                                     key);
}

void PairRollup::add(std::string_view a, std::string_view a_kind, std::string_view b,
                     std::string_view b_kind, const Record& r) {
  uint64_t minute = minute_of(r.start_ns);
  const std::array<std::string_view, 4> views{a, a_kind, b, b_kind};
  auto same_views = [&] {
    for (size_t i = 0; i < views.size(); ++i)
      if (views[i].data() != last_views_[i].data() || views[i].size() != last_views_[i].size())
        return false;
    return true;
  };
  // A batch's rows come in runs of one connection: the same cell as the
  // last row's is found by comparing, without building and hashing a key.
  if (last_ && last_->minute_s == minute && last_->protocol == r.protocol) {
    if (same_views()) {
      last_->kept.add(r);
      return;
    }
    if (same_text(last_->a, a) && same_text(last_->b, b)) {
      if (!same_text(last_->a_kind, a_kind)) last_->a_kind = a_kind;
      if (!same_text(last_->b_kind, b_kind)) last_->b_kind = b_kind;
      last_->kept.add(r);
      last_views_ = views;
      return;
    }
  }
  key_.assign(a).push_back('\x1f');
  key_.append(b).push_back('\x1f');
  key_.push_back(static_cast<char>(r.protocol));
  key_.append(reinterpret_cast<const char*>(&minute), sizeof minute);
  auto [it, created] = cells_.try_emplace(key_);
  if (created) {
    it->second.a = a;
    it->second.b = b;
    it->second.protocol = r.protocol;
    it->second.minute_s = minute;
  }
  it->second.a_kind = a_kind;
  it->second.b_kind = b_kind;
  it->second.kept.add(r);
  last_ = &it->second;  // map nodes stay where they are until flush()
  last_views_ = views;
}

void PairRollup::flush() {
  write_changed_cells(cells_, [this](const std::string&, Cell& c) {
    write_kept_cell(
        *db_, statements_, c.kept,
        [&c](Stmt& s) {
          s.bind(5, std::string_view(c.a));
          s.bind(6, std::string_view(c.b));
          s.bind(7, int64_t{static_cast<uint8_t>(c.protocol)});
          s.bind(8, i64(c.minute_s));
        },
        [&c](Stmt& s) {
          s.bind(9, std::string_view(c.a_kind));
          s.bind(10, std::string_view(c.b_kind));
        });
  });
  last_ = nullptr;
}

void PairRollup::delete_before(int64_t cutoff_s) {
  forget();
  Stmt del(*db_, "DELETE FROM " + table_ + " WHERE minute + 60 <= ?");
  del.bind(1, cutoff_s);
  del.run();
}

void PairRollup::query(Db& db, const std::string& table, int64_t from_m, int64_t to_m,
                       const std::optional<std::string>& only_a, PairFold& fold) {
  Stmt s(db, "SELECT a, b, a_kind, b_kind, protocol, count, errors, sketch FROM " + table +
                 " WHERE minute >= ? AND minute < ?" + (only_a ? " AND a = ?" : ""));
  s.bind(1, from_m);
  s.bind(2, to_m);
  if (only_a) s.bind(3, std::string_view(*only_a));
  while (s.step())
    fold.add(s.text(0), s.text(1), s.text(2), s.text(3), static_cast<Protocol>(s.i64(4)),
             {static_cast<uint64_t>(s.i64(5)), static_cast<uint64_t>(s.i64(6)), s.blob(7)});
}

}  // namespace loupe::store
