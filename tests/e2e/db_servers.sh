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

# start_clickhouse HTTP_PORT [NAME [HOST [TCP_PORT]]]: Debian's clickhouse-server with its
# own config, data directory and a TCP port of its own in $CH
# ($WORK/clickhouse, or $WORK/NAME), listening on HOST (default 127.0.0.1),
# one user `loupe` whose password is in $CH/loupe.password ($CH_PASSWORD
# when set, so several servers share it), and a server time zone other than
# UTC (Loupe's day partitions must still be UTC days). $CH_EXTRA_CONFIG is
# added to its config (e.g. <remote_servers>), $CH_PROFILE to its users' settings.
# Sets CH, CH_PID and CH_TCP_PORT (the native protocol's); returns once it listens.
start_clickhouse() {
  local http_port=$1 host=${3:-127.0.0.1} tcp_port=${4:-} password
  [[ -n $tcp_port ]] || tcp_port=$(free_port)
  CH_TCP_PORT=$tcp_port
  CH="$WORK/${2:-clickhouse}"
  mkdir -p "$CH/data" "$CH/tmp" "$CH/user_files" "$CH/format_schemas"
  password=${CH_PASSWORD:-s3cret-$RANDOM}
  echo "$password" > "$CH/loupe.password"
  cat > "$CH/config.xml" <<CONF
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$CH/server.log</log><errorlog>$CH/server.err.log</errorlog></logger>
  <http_port>$http_port</http_port>
  <tcp_port>$tcp_port</tcp_port>
  <listen_host>$host</listen_host>
  <path>$CH/data/</path>
  <tmp_path>$CH/tmp/</tmp_path>
  <user_files_path>$CH/user_files/</user_files_path>
  <format_schema_path>$CH/format_schemas/</format_schema_path>
  <mark_cache_size>67108864</mark_cache_size>
  <uncompressed_cache_size>67108864</uncompressed_cache_size>
  <users_config>$CH/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>Europe/Berlin</timezone>
  ${CH_EXTRA_CONFIG:-}
</yandex>
CONF
  cat > "$CH/users.xml" <<CONF
<?xml version="1.0"?>
<yandex>
  <profiles><default>${CH_PROFILE:-}</default></profiles>
  <users>
    <loupe>
      <password>$password</password>
      <networks><ip>127.0.0.0/8</ip></networks>
      <profile>default</profile><quota>default</quota>
    </loupe>
  </users>
  <quotas><default></default></quotas>
</yandex>
CONF
  clickhouse-server --config-file="$CH/config.xml" > "$CH/stdout" 2>&1 &
  CH_PID=$!
  PIDS+=($CH_PID)
  wait_for_port "$http_port" "$host" || { cat "$CH/stdout" "$CH/server.err.log" >&2; return 1; }
}

# start_zookeeper PORT: Debian's ZooKeeper, standalone, data in $WORK/zookeeper,
# on 127.0.0.1:PORT; returns once it listens (a JVM: ~5-15 s).
start_zookeeper() {
  local zk="$WORK/zookeeper"
  mkdir -p "$zk/data"
  printf 'tickTime=500\ndataDir=%s\nclientPort=%s\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\n' \
    "$zk/data" "$1" > "$zk/zoo.cfg"
  java -cp /usr/share/java/zookeeper.jar org.apache.zookeeper.server.ZooKeeperServerMain "$zk/zoo.cfg" \
    > "$zk/out.log" 2>&1 &
  PIDS+=($!)
  wait_for_port "$1" 127.0.0.1 60 && return 0  # the JVM starts slowly on a busy machine
  cat "$zk/out.log" >&2
  return 1
}
