// The rollup tables' rows as the ingest writer writes them, shared by every
// rollup table (endpoints, map edges, Kubernetes): records of one minute
// arrive over several rounds, so a row holds the cells of all of them.
//
// The writer keeps each cell it wrote (KeptCell, store/rollup.h) while it
// gets records every round: the next round adds to it and updates the row
// in place. Before, every round started from an empty cell, read the row
// back (a b-tree lookup and the sketch decoded), merged, and wrote it with
// INSERT OR REPLACE, which deletes and inserts the row's entry in the
// table's minute index too: that index's page was a WAL frame of every
// round (docs/benchmarks.md, "issue 14, writer2"). A cell that got no
// records in a round is forgotten; if records come for it again, its row
// is read back once. Only the writer writes these tables; what else
// deletes rows (retention) or undoes them (a rolled-back round) forgets
// the kept cells.
#pragma once

#include <sqlite3.h>

#include <string>
#include <utility>

#include "store/rollup.h"
#include "store/sqlite_db.h"

namespace loupe::store {

// `select` is bound to the cell's key and yields (count, errors, sum_ns,
// sketch) when a row exists. Returns `cell` merged with that row; resets
// `select`.
RollupCell merge_with_stored(Stmt& select, RollupCell cell);

// Binds count, errors, sum_ns and the serialized sketch to parameters
// first..first+3 of `upsert`. The sketch is serialized into `blob`, which
// the statement reads from (no copy): keep it alive until the upsert runs.
void bind_cell(Stmt& upsert, int first, const RollupCell& cell, std::string& blob);

// The writer's statements for one rollup table, in one parameter layout:
// ?1-?4 the cell (count, errors, sum_ns, sketch), the key from ?5, then the
// columns that are neither (written, never matched on).
struct RollupStatements {
  Stmt select;  // the stored cell of a key
  Stmt insert;  // INSERT OR REPLACE of a whole row
  Stmt update;  // the cell and the other columns of a row known to exist
};

// Writes `kept`, which changed: the first time merged with the row already
// there (a former process's, or a forgotten cell's) and inserted, then
// updated in place. `bind_key(stmt)` binds the key from ?5,
// `bind_rest(stmt)` the other columns after it (insert and update only).
template <class BindKey, class BindRest>
void write_kept_cell(Db& db, RollupStatements& s, KeptCell& kept, BindKey&& bind_key,
                     BindRest&& bind_rest) {
  std::string blob;
  kept.changed = false;
  if (kept.stored) {
    bind_cell(s.update, 1, kept.cell, blob);
    bind_key(s.update);
    bind_rest(s.update);
    s.update.run();
    if (sqlite3_changes(db.get()) == 1) return;
    // The row is gone though nothing that deletes rows ran: it is written
    // whole again below, from what was kept.
  } else {
    bind_key(s.select);
    kept.cell = merge_with_stored(s.select, std::move(kept.cell));
  }
  bind_cell(s.insert, 1, kept.cell, blob);
  bind_key(s.insert);
  bind_rest(s.insert);
  s.insert.run();
  kept.stored = true;
}

// Writes the cells of `cells` (a map whose values have a KeptCell `kept`)
// that changed this round, with write(key, value), and forgets the others.
template <class Map, class Write>
void write_changed_cells(Map& cells, Write&& write) {
  for (auto it = cells.begin(); it != cells.end();) {
    if (!it->second.kept.changed) {
      it = cells.erase(it);
      continue;
    }
    write(it->first, it->second);
    ++it;
  }
}

}  // namespace loupe::store
