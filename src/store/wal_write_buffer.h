// A SQLite VFS that writes each transaction's WAL frames in one system call
// instead of two per page.
//
// Why: SQLite writes a WAL frame as a 24-byte header and then its page, one
// pwrite each, so a store round of ~17 dirty pages made ~34 write calls
// (162 a second at a paced 10k req/s, the writer's largest kernel cost: a
// call costs a few µs on a paravirtualized VM; docs/benchmarks.md, "issue
// 14, runpaced3"). This VFS keeps the frames of a transaction in memory and
// writes them together when the frame that commits it is complete.
//
// Why that is safe: other connections read a frame only once the WAL index
// publishes it, which SQLite does after writing the commit frame (the write
// this VFS flushes in, so a failed write fails the commit as before). Any
// write that is not a frame header followed by its page, and every read,
// sync, truncate, size query and close of the WAL, writes the held frames
// first, so SQLite never sees the file without them. A transaction that
// spills pages and rolls back leaves frames no commit names, as it would
// without this VFS.
#pragma once

namespace loupe::store {

// The VFS's name for sqlite3_open_v2, registered (not as the default) on
// the first call. It wraps the default VFS; only the connection that writes
// needs it.
const char* wal_write_buffer_vfs();

}  // namespace loupe::store
