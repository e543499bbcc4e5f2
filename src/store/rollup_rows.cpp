#include "store/rollup_rows.h"

namespace loupe::store {

RollupCell merge_with_stored(Stmt& select, RollupCell cell) {
  if (select.step()) {
    RollupCell old;
    old.count = static_cast<uint64_t>(select.i64(0));
    old.errors = static_cast<uint64_t>(select.i64(1));
    old.sum_ns = static_cast<uint64_t>(select.i64(2));
    old.sketch.deserialize(select.blob(3));
    cell.merge(old);
  }
  select.reset();
  return cell;
}

void bind_cell(Stmt& upsert, int first, const RollupCell& cell, std::string& blob) {
  blob = cell.sketch.serialize();
  upsert.bind(first, static_cast<int64_t>(cell.count));
  upsert.bind(first + 1, static_cast<int64_t>(cell.errors));
  upsert.bind(first + 2, static_cast<int64_t>(cell.sum_ns));
  upsert.bind_blob(first + 3, blob);
}

}  // namespace loupe::store
