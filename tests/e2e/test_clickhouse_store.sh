#!/usr/bin/env bash
# The ClickHouse layer (src/store/clickhouse) against Debian's real
# clickhouse-server: migrations from nothing and from an older schema, a batch
# inserted twice stored once, a half-written batch completed, p95 per minute
# from the aggregated table, retention by whole days, and the errors a user
# sees for a wrong password, a missing database or a server that is down.
# The checks are the GoogleTest binary clickhouse_store_test; this script
# runs the server it talks to (own config, data dir and random ports).
source "$(dirname "$0")/lib.sh"

TEST_BIN=${CLICKHOUSE_STORE_TEST:-$(dirname "$LOUPE")/tests/e2e/clickhouse_store_test}
command -v clickhouse-server > /dev/null || { echo "clickhouse-server missing: scripts/setup.sh --test" >&2; exit 1; }
[[ -x "$TEST_BIN" ]] || { echo "$TEST_BIN not built" >&2; exit 1; }

http_port=$(free_port)
tcp_port=$(free_port)
ch=$WORK/clickhouse
mkdir -p "$ch/data" "$ch/tmp" "$ch/user_files" "$ch/format_schemas"
echo "s3cret-$RANDOM" > "$ch/loupe.password"
cat > "$ch/config.xml" <<CONF
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$ch/server.log</log><errorlog>$ch/server.err.log</errorlog></logger>
  <http_port>$http_port</http_port>
  <tcp_port>$tcp_port</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <path>$ch/data/</path>
  <tmp_path>$ch/tmp/</tmp_path>
  <user_files_path>$ch/user_files/</user_files_path>
  <format_schema_path>$ch/format_schemas/</format_schema_path>
  <mark_cache_size>67108864</mark_cache_size>
  <uncompressed_cache_size>67108864</uncompressed_cache_size>
  <users_config>$ch/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>Europe/Berlin</timezone>
</yandex>
CONF
# A server time zone other than UTC: Loupe's day partitions must still be UTC days.
cat > "$ch/users.xml" <<CONF
<?xml version="1.0"?>
<yandex>
  <profiles><default></default></profiles>
  <users>
    <loupe>
      <password>$(cat "$ch/loupe.password")</password>
      <networks><ip>127.0.0.1</ip></networks>
      <profile>default</profile><quota>default</quota>
    </loupe>
  </users>
  <quotas><default></default></quotas>
</yandex>
CONF

log "clickhouse-server $(clickhouse-server --version 2>/dev/null | grep -o '[0-9][0-9.]*' | head -1) on 127.0.0.1:$http_port"
clickhouse-server --config-file="$ch/config.xml" > "$ch/stdout" 2>&1 &
PIDS+=($!)
wait_for_port "$http_port" || { cat "$ch/stdout" "$ch/server.err.log" >&2; exit 1; }

if LOUPE_CH_PORT=$http_port LOUPE_CH_PASSWORD_FILE=$ch/loupe.password "$TEST_BIN" > "$WORK/gtest.out" 2>&1; then
  pass "clickhouse_store_test: $(grep -o '[0-9]* tests* from [0-9]* test suites* ran' "$WORK/gtest.out")"
else
  cat "$WORK/gtest.out"
  fail "clickhouse_store_test: $(grep -c '^\[  FAILED  \]' "$WORK/gtest.out") failed lines"
fi
grep '^ClickHouse ' "$WORK/gtest.out" || true
finish
