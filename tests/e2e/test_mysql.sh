#!/usr/bin/env bash
# MariaDB: a server of our own (mariadb-install-db in $WORK, free loopback
# port, real mysql_native_password auth for root with an empty password);
# the mysql client (COM_QUERY, errors 1064 and 1146, a long query, a
# 100000-row result) and a libmariadb client (prepared statement executed N
# times, COM_PING). Exact server-side counts, row counts in detail, error
# codes, the handshake never a record; counts against the server's own
# Com_* status counters.
source "$(dirname "$0")/lib.sh"
require_root
HERE=$(cd "$(dirname "$0")" && pwd)

PORT=$(free_port)
MY="$WORK/my"
mkdir -p "$MY"
mariadb-install-db --no-defaults --datadir="$MY/data" --user=root --auth-root-authentication-method=normal \
  --skip-test-db > "$MY/install.log" 2>&1
mariadbd --no-defaults --datadir="$MY/data" --port="$PORT" --bind-address=127.0.0.1 --socket="$MY/sock" \
  --pid-file="$MY/pid" --log-error="$MY/error.log" --user=root --skip-log-bin --innodb-buffer-pool-size=32M \
  --innodb-flush-log-at-trx-commit=0 &
PIDS+=($!)
wait_for_port "$PORT"
my() { mariadb --no-defaults -h 127.0.0.1 -P "$PORT" -u root "$@"; }
for i in $(seq 50); do my -e 'SELECT 1' > /dev/null 2>&1 && break; sleep 0.2; done
my -e "CREATE DATABASE loupe"
my loupe -e "CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(32));
             INSERT INTO t SELECT seq, concat('name', seq) FROM seq_1_to_100;"
gcc -O2 -o "$WORK/my_prepared" "$HERE/db/my_prepared.c" $(mariadb_config --cflags --libs)
status() { my -N -B -e "SHOW GLOBAL STATUS WHERE Variable_name IN ('Com_stmt_execute','Com_stmt_prepare','Com_select','Com_insert')"; }
status > "$WORK/status0"

OUT="$WORK/trace.jsonl"
start_trace "$OUT" --port "$PORT"

log "mysql: one session, 10 SELECT by id, 5 INSERT, SELECT id <= 7, a syntax error, a missing table"
{
  for i in $(seq 10); do echo "SELECT name FROM t WHERE id = $i;"; done
  for i in $(seq 5); do echo "INSERT INTO t VALUES ($((1000 + i)), 'n$i');"; done
  echo "SELECT id FROM t WHERE id <= 7;"
  echo "SELEC 1;"
  echo "SELECT * FROM missing_table;"
} | my --force loupe > /dev/null 2> "$WORK/mysql.err" || true
N=200
P=7
log "libmariadb: mysql_stmt_prepare + $N mysql_stmt_execute, $P COM_PING"
"$WORK/my_prepared" 127.0.0.1 "$PORT" root loupe "$N" "$P"
log "a 30000-byte query (larger than the captured prefix)"
long_lit=$(head -c 30000 /dev/zero | tr '\0' 'z')
my loupe -e "SELECT count(*) FROM t WHERE name <> '$long_lit'" > /dev/null
log "a 100000-row result"
my loupe -e "SELECT seq, repeat('x', 20) FROM seq_1_to_100000" | tail -1
stop_trace
grep "loupe trace:" "$OUT.err" | tail -1
status > "$WORK/status1"
delta() { echo $(( $(awk -v v="$1" '$1==v {print $2}' "$WORK/status1") - $(awk -v v="$1" '$1==v {print $2}' "$WORK/status0") )); }

srv='.protocol=="mysql" and .role=="server" and .comm=="mariadbd"'
by_route() { count "$OUT" "$srv and .route==\"$1\""; }
assert_eq "SELECT by id (10 literals, one route)" 10 \
  "$(count "$OUT" "$srv and .route==\"SELECT name FROM t WHERE id = ?\" and .method==\"SELECT\" and .detail==\"rows=1\"")"
assert_eq "INSERT" 5 "$(count "$OUT" "$srv and .route==\"INSERT INTO t VALUES (?, ?)\" and .method==\"INSERT\" and .detail==\"affected=1\"")"
assert_eq "SELECT id <= 7: rows=7" 1 "$(count "$OUT" "$srv and .route==\"SELECT id FROM t WHERE id <= ?\" and .detail==\"rows=7\"")"
assert_eq "syntax error 1064" 1 "$(count "$OUT" "$srv and .error==true and .error_code==\"1064\" and .route==\"SELEC ?\"")"
assert_eq "missing table 1146" 1 "$(count "$OUT" "$srv and .error==true and .error_code==\"1146\" and .route==\"SELECT * FROM missing_table\"")"
assert_eq "errors in total" 2 "$(count "$OUT" "$srv and .error==true")"
assert_eq "prepare: one record with its text" 1 \
  "$(count "$OUT" "$srv and .method==\"STMT_PREPARE\" and .route==\"SELECT id, name FROM t WHERE id <= ?\"")"
assert_eq "prepared execute: one record per execute with its text" "$N" \
  "$(count "$OUT" "$srv and .method==\"SELECT\" and .route==\"SELECT id, name FROM t WHERE id <= ?\"")"
for k in 1 2 3 4 5; do
  assert_eq "prepared execute with rows=$k" $((N / 5)) \
    "$(count "$OUT" "$srv and .route==\"SELECT id, name FROM t WHERE id <= ?\" and .detail==\"rows=$k\"")"
done
assert_eq "COM_PING" "$P" "$(count "$OUT" "$srv and .method==\"PING\"")"
assert_eq "long query: one record" 1 \
  "$(count "$OUT" "$srv and (.route|startswith(\"SELECT count(*) FROM t WHERE name <> ?\")) and .req_bytes > 30000 and .detail==\"rows=1\"")"
# The server writes 16 KiB at a time and 4 KiB of each write are captured:
# rows lost in between are counted from sequence ids and sizes, but when the
# last write is longer than 4 KiB its final OK is not seen and the record
# ends with that write, without a row count.
big='.route=="SELECT seq, repeat(?, ?) FROM seq_1_to_100000" and (.detail=="rows=100000" or .detail=="")'
assert_eq "100000-row result: one server record" 1 "$(count "$OUT" "$srv and $big and .resp_bytes > 3000000")"
assert_eq "100000-row result: one mariadb client record" 1 "$(count "$OUT" ".role==\"client\" and $big and .resp_bytes > 3000000")"
assert_eq "100000-row result: same resp_bytes on both sides" 1 "$(jq -r "select($big) | .resp_bytes" "$OUT" | sort -u | wc -l)"
assert_eq "database name in host" "$((10 + 5 + 3 + 1 + N + P + 1 + 1))" "$(count "$OUT" "$srv and .host==\"loupe\"")"
# The handshake and authentication are never records: only these were sent
# (mysql in batch mode sends no query of its own; COM_STMT_CLOSE and
# COM_QUIT get no reply).
assert_eq "server records in total" $((10 + 5 + 3 + 1 + N + P + 1 + 1)) "$(count "$OUT" "$srv")"
assert_eq "COM_STMT_EXECUTE count == Com_stmt_execute" "$(delta Com_stmt_execute)" \
  "$(count "$OUT" "$srv and .route==\"SELECT id, name FROM t WHERE id <= ?\" and .method==\"SELECT\"")"
assert_eq "COM_QUERY INSERT count == Com_insert" "$(delta Com_insert)" "$(count "$OUT" "$srv and .method==\"INSERT\"")"
assert_eq "libmariadb client records" $((1 + N + P)) "$(count "$OUT" '.role=="client" and .comm=="my_prepared"')"
assert_eq "mysql client errors" 2 "$(count "$OUT" '.role=="client" and (.comm=="mariadb" or .comm=="mysql") and .error==true')"
finish
