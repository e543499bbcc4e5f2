# Database servers of the caller's own on loopback, for e2e tests and the
# benchmarks in bench/ (source after lib.sh). Everything lives in $WORK and
# stops when the script exits.

# start_redis PORT: redis-server without persistence; returns once it listens.
start_redis() {
  mkdir -p "$WORK/redis"
  redis-server --port "$1" --bind 127.0.0.1 --save '' --appendonly no --dir "$WORK/redis" \
    --daemonize no --logfile "$WORK/redis/redis.log" &
  PIDS+=($!)
  wait_for_port "$1"
}

as_pg() { runuser -u postgres -- "$@"; }
pg_stop() { as_pg "$PGBIN/pg_ctl" -D "$PG/data" -m immediate stop > /dev/null 2>&1 || true; }

# start_postgres PORT [SETTING...]: a throwaway cluster in $PG ($WORK/pg;
# trust auth, fsync off, socket in $PG/sock), each SETTING passed as
# `-c SETTING`; stopped on exit. Sets PG and PGBIN.
start_postgres() {
  local port=$1 opts="" s
  shift
  for s in "$@"; do opts+=" -c $s"; done
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  PG="$WORK/pg"
  mkdir -p "$PG/sock"
  chmod 755 "$WORK"
  chown -R postgres: "$PG"
  as_pg "$PGBIN/initdb" -D "$PG/data" -U postgres -A trust --no-sync > "$PG/initdb.log"
  as_pg "$PGBIN/pg_ctl" -D "$PG/data" -l "$PG/server.log" -w \
    -o "-p $port -c listen_addresses=127.0.0.1 -k $PG/sock -c fsync=off$opts" start > /dev/null
  trap 'pg_stop; cleanup' EXIT
}
