// The writer's VFS (store/wal_write_buffer.h): a transaction's WAL frames
// in one write, seen by other connections once committed, and a store left
// whole by transactions that spill, roll back or outgrow the buffer.
#include "store/wal_write_buffer.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "store/sqlite_db.h"
#include "temp_dir.h"

namespace loupe::store {
namespace {

// The write system calls this process has made (pwrite included).
uint64_t write_calls() {
  std::ifstream io("/proc/self/io");
  std::string key;
  uint64_t value = 0;
  while (io >> key >> value)
    if (key == "syscw:") return value;
  return 0;
}

int64_t count_rows(const Db& db) {
  Stmt count(db, "SELECT count(*) FROM t");
  count.step();
  return count.i64(0);
}

// Inserts `rows` rows of one page each (4 KiB pages).
void insert_pages(const Db& db, int rows) {
  Stmt insert(db, "INSERT INTO t(x) VALUES (zeroblob(3000) || ?1)");
  for (int i = 0; i < rows; ++i) {
    insert.bind(1, int64_t{i});
    insert.run();
  }
}

Db open_writer(const std::string& path) {
  Db db(path, wal_write_buffer_vfs());
  db.exec("PRAGMA journal_mode=WAL");
  db.exec("PRAGMA synchronous=NORMAL");
  db.exec("PRAGMA wal_autocheckpoint=0");  // the test's writes are the commits' alone
  db.exec("CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, x BLOB)");
  return db;
}

TEST(WalWriteBuffer, ACommitIsOneWriteAndOtherConnectionsSeeIt) {
  ::loupe::testing::TempDir dir;
  std::string path = dir.path() + "/t.db";
  Db writer = open_writer(path);
  Db reader(path);
  for (int round = 1; round <= 4; ++round) {
    uint64_t before = write_calls();
    writer.exec("BEGIN");
    insert_pages(writer, 16);  // 16 pages and the tree's: ~40 writes without the VFS
    writer.exec("COMMIT");
    EXPECT_EQ(write_calls() - before, 1u) << "round " << round;
    EXPECT_EQ(count_rows(reader), 16 * round);
  }
}

TEST(WalWriteBuffer, SpilledRolledBackAndOversizedTransactionsLeaveTheStoreWhole) {
  ::loupe::testing::TempDir dir;
  std::string path = dir.path() + "/t.db";
  {
    Db writer = open_writer(path);
    Db reader(path);
    writer.exec("PRAGMA cache_size=16");  // pages: a larger transaction spills frames
    writer.exec("BEGIN");
    insert_pages(writer, 100);
    writer.exec("ROLLBACK");
    EXPECT_EQ(count_rows(reader), 0);
    writer.exec("BEGIN");
    insert_pages(writer, 600);  // ~2.5 MB of frames: ten times what the buffer holds
    writer.exec("COMMIT");
    EXPECT_EQ(count_rows(reader), 600);
    insert_pages(writer, 3);
    EXPECT_EQ(count_rows(reader), 603);
    writer.exec("PRAGMA wal_checkpoint(TRUNCATE)");  // reads the frames back
    insert_pages(writer, 1);
    EXPECT_EQ(count_rows(reader), 604);
  }
  Db again(path);  // the default VFS, from the files alone
  Stmt check(again, "PRAGMA integrity_check");
  ASSERT_TRUE(check.step());
  EXPECT_EQ(check.text(0), "ok");
  EXPECT_EQ(count_rows(again), 604);
}

}  // namespace
}  // namespace loupe::store
