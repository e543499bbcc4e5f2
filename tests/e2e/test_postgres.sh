#!/usr/bin/env bash
# PostgreSQL: a cluster of our own (initdb in $WORK, free loopback port,
# pg_stat_statements); psql simple queries and errors, a libpq client with a
# prepared statement executed N times, a query sent in small pieces, a query
# longer than the capture size, a 100000-row result. Exact server-side
# counts per normalized statement; error codes; startup/auth never a
# record; durations against pg_stat_statements.
source "$(dirname "$0")/lib.sh"
require_root
HERE=$(cd "$(dirname "$0")" && pwd)

PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
PORT=$(free_port)
PG="$WORK/pg"
mkdir -p "$PG/sock"
chmod 755 "$WORK"
chown -R postgres: "$PG"
as_pg() { runuser -u postgres -- "$@"; }
as_pg "$PGBIN/initdb" -D "$PG/data" -U postgres -A trust --no-sync > "$PG/initdb.log"
as_pg "$PGBIN/pg_ctl" -D "$PG/data" -l "$PG/server.log" -w -o \
  "-p $PORT -c listen_addresses=127.0.0.1 -k $PG/sock -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all -c fsync=off" \
  start > /dev/null
pg_stop() { as_pg "$PGBIN/pg_ctl" -D "$PG/data" -m immediate stop > /dev/null 2>&1 || true; }
trap 'pg_stop; cleanup' EXIT

CONN="host=127.0.0.1 port=$PORT user=postgres dbname=postgres"
psql_() { psql "$CONN" -X -q -v ON_ERROR_STOP=0 "$@"; }
# Each PostgreSQL backend is a process forked per connection, so Loupe
# infers the server role of its socket from /proc/PID/net/tcp when it first
# sees it. A backend that is already gone by then (a whole psql session in a
# few ms) is taken for a client and its exchanges are lost: known agent
# limitation, reported. Sessions here stay up 100 ms before their first
# query, as pooled connections do.
hold='\! sleep 0.1'
psql_s() { psql_ -c "$hold" "$@"; }
psql_ -c "CREATE EXTENSION pg_stat_statements" \
  -c "CREATE TABLE t (id int PRIMARY KEY, name text)" \
  -c "INSERT INTO t SELECT g, 'name' || g FROM generate_series(1, 100) g"
gcc -O2 -o "$WORK/pg_prepared" "$HERE/db/pg_prepared.c" -I"$(pg_config --includedir)" -lpq
psql_ -c "SELECT pg_stat_statements_reset()" > /dev/null

OUT="$WORK/trace.jsonl"
start_trace "$OUT" --port "$PORT"

log "psql: one session, 10 SELECT by id, 5 INSERT, a syntax error, a missing table"
{
  for i in $(seq 10); do echo "SELECT name FROM t WHERE id = $i;"; done
  for i in $(seq 5); do echo "INSERT INTO t VALUES ($((1000 + i)), 'n$i');"; done
  echo "SELEC 1;"
  echo "SELECT * FROM missing_table;"
} | psql_s -f - > /dev/null 2> "$WORK/psql.err"
log "psql: 3 more sessions, one query each"
for i in 1 2 3; do psql_s -c "SELECT count(*) FROM t WHERE name LIKE 'name$i%'" > /dev/null; done
N=200
log "libpq: PQprepare + $N PQexecPrepared, one PQexecParams"
"$WORK/pg_prepared" "$CONN" "$N"
log "a 30000-byte query (larger than the captured prefix)"
long_lit=$(head -c 30000 /dev/zero | tr '\0' 'z')
psql_s -c "SELECT count(*) FROM t WHERE name <> '$long_lit'" > /dev/null
log "a query sent in 7-byte pieces"
piece_q="SELECT id FROM t WHERE name = 'name7' AND id < 1000 ORDER BY id"
assert_eq "pieces client got its tag" "SELECT 1" "$(python3 "$HERE/db/pg_pieces.py" 127.0.0.1 "$PORT" postgres postgres "$piece_q" 7)"
log "a 100000-row result"
psql_s -c "SELECT g, repeat('x', 20) FROM generate_series(1, 100000) g" | tail -1
stop_trace
grep "loupe trace:" "$OUT.err" | tail -1

srv='.protocol=="postgres" and .role=="server" and .comm=="postgres"'
by_route() { count "$OUT" "$srv and .route==\"$1\""; }
assert_eq "SELECT by id (10 literals, one route)" 10 "$(by_route 'SELECT name FROM t WHERE id = ?')"
assert_eq "SELECT by id: masked path" 10 "$(count "$OUT" "$srv and .path==\"SELECT name FROM t WHERE id = ?;\" and .method==\"SELECT\" and .detail==\"SELECT 1\"")"
assert_eq "INSERT" 5 "$(count "$OUT" "$srv and .route==\"INSERT INTO t VALUES (?, ?)\" and .method==\"INSERT\" and .detail==\"INSERT 0 1\"")"
assert_eq "syntax error 42601" 1 "$(count "$OUT" "$srv and .error==true and .error_code==\"42601\" and .route==\"SELEC ?\"")"
assert_eq "missing table 42P01" 1 "$(count "$OUT" "$srv and .error==true and .error_code==\"42P01\" and .route==\"SELECT * FROM missing_table\"")"
assert_eq "errors in total" 2 "$(count "$OUT" "$srv and .error==true")"
assert_eq "count LIKE (3 sessions)" 3 "$(by_route 'SELECT count(*) FROM t WHERE name LIKE ?')"
assert_eq "prepared statement: one record per execute with its text" "$N" \
  "$(count "$OUT" "$srv and .route==\"SELECT id, name FROM t WHERE id = \$1\" and .method==\"SELECT\" and .detail==\"SELECT 1\"")"
assert_eq "PQexecParams" 1 "$(count "$OUT" "$srv and .route==\"UPDATE t SET name = name WHERE id = \$1\" and .detail==\"UPDATE 1\"")"
assert_eq "long query: one record" 1 "$(count "$OUT" "$srv and (.route|startswith(\"SELECT count(*) FROM t WHERE name <> ?\")) and .req_bytes > 30000 and .detail==\"SELECT 1\"")"
assert_eq "query in pieces: one record, whole text" 1 \
  "$(count "$OUT" "$srv and .path==\"SELECT id FROM t WHERE name = ? AND id < ? ORDER BY id\" and .detail==\"SELECT 1\"")"
# The server flushes 8 KiB at a time and 4 KiB of each write are captured:
# when the last write is longer than that, CommandComplete is not seen and
# the record ends with that write, without a tag.
big='.route=="SELECT g, repeat(?, ?) FROM generate_series(?, ?) g" and (.detail=="SELECT 100000" or .detail=="")'
assert_eq "100000-row result: one server record" 1 "$(count "$OUT" "$srv and $big and .resp_bytes > 3000000")"
assert_eq "100000-row result: one psql record" 1 "$(count "$OUT" ".role==\"client\" and .comm==\"psql\" and $big and .resp_bytes > 3000000")"
assert_eq "100000-row result: same resp_bytes on both sides" 1 "$(jq -r "select($big) | .resp_bytes" "$OUT" | sort -u | wc -l)"
assert_eq "database name in host" 0 "$(count "$OUT" "$srv and .host!=\"postgres\"")"
# Everything the server saw, and nothing for startup/authentication/terminate.
assert_eq "server records in total" $((10 + 5 + 2 + 3 + N + 1 + 1 + 1 + 1)) "$(count "$OUT" "$srv")"
assert_eq "no record without a statement" 0 "$(count "$OUT" "$srv and (.method==\"\" or .route==\"\")")"
# The client side of the same exchanges.
assert_eq "libpq client records" $((N + 1)) "$(count "$OUT" '.role=="client" and .comm=="pg_prepared"')"
assert_eq "psql client errors" 2 "$(count "$OUT" '.role=="client" and .comm=="psql" and .error==true')"

# Counts and latency against pg_stat_statements (server execution time only;
# Loupe's server duration adds parse/plan, network reads and writes).
pss() { psql_ -At -F' ' -c "SELECT calls, mean_exec_time, total_plan_time FROM pg_stat_statements WHERE query = '$1'"; }
check_latency() {  # check_latency PG_QUERY LOUPE_ROUTE
  local calls mean_ms plan loupe_ms
  read -r calls mean_ms plan <<<"$(pss "$1")"
  assert_eq "pg_stat_statements calls == records: $2" "$calls" "$(by_route "$2")"
  loupe_ms=$(jq -r "select($srv and .route==\"$2\") | .duration_ns" "$OUT" | awk '{s+=$1} END {printf "%.4f", s/NR/1e6}')
  assert_ge "mean duration (ms) >= pg mean_exec_time: $2" "$mean_ms" "$loupe_ms"
  # 5 ms for network and scheduling, plus 10% for long results (the last
  # socket writes wait on the client reading).
  assert_le "mean duration (ms) <= pg mean_exec_time * 1.1 + 5: $2" "$(awk -v m="$mean_ms" 'BEGIN {print m * 1.1 + 5}')" "$loupe_ms"
}
check_latency 'SELECT id, name FROM t WHERE id = $1' 'SELECT id, name FROM t WHERE id = $1'
check_latency 'SELECT name FROM t WHERE id = $1' 'SELECT name FROM t WHERE id = ?'
check_latency 'SELECT g, repeat($1, $2) FROM generate_series($3, $4) g' 'SELECT g, repeat(?, ?) FROM generate_series(?, ?) g'
finish
