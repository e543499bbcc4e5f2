#include "store/loss_rows.h"

namespace loupe::store {

const char* const kLossSchema = R"sql(
CREATE TABLE IF NOT EXISTS losses(
  minute INTEGER PRIMARY KEY,  -- minute start, unix seconds
  records INTEGER NOT NULL,    -- parsed records dropped before storage
  events INTEGER NOT NULL);    -- kernel events lost before parsing
)sql";

void add_losses(Db& db, const std::vector<LossMinute>& losses) {
  Stmt upsert(db,
              "INSERT INTO losses(minute, records, events) VALUES(?,?,?) ON CONFLICT(minute) "
              "DO UPDATE SET records = records + excluded.records, "
              "events = events + excluded.events");
  for (const LossMinute& m : losses) {
    upsert.bind(1, static_cast<int64_t>(m.minute_s));
    upsert.bind(2, static_cast<int64_t>(m.records));
    upsert.bind(3, static_cast<int64_t>(m.events));
    upsert.run();
  }
}

std::vector<LossMinute> query_losses(Db& db, int64_t from_s, int64_t to_s) {
  Stmt s(db,
         "SELECT minute, records, events FROM losses WHERE minute >= ? AND minute < ? "
         "ORDER BY minute");
  s.bind(1, from_s);
  s.bind(2, to_s);
  std::vector<LossMinute> out;
  while (s.step())
    out.push_back({static_cast<uint64_t>(s.i64(0)), static_cast<uint64_t>(s.i64(1)),
                   static_cast<uint64_t>(s.i64(2))});
  return out;
}

void delete_losses_before(Db& db, int64_t cutoff_s) {
  Stmt del(db, "DELETE FROM losses WHERE minute + 60 <= ?");
  del.bind(1, cutoff_s);
  del.run();
}

}  // namespace loupe::store
