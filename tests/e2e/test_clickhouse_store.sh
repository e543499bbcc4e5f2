#!/usr/bin/env bash
# The ClickHouse layer (src/store/clickhouse) against Debian's real
# clickhouse-server: migrations from nothing and from an older schema, a batch
# inserted twice stored once, a half-written batch completed, p95 per minute
# from the aggregated table, retention by whole days, and the errors a user
# sees for a wrong password, a missing database or a server that is down;
# then the storage conformance suite (tests/unit/store/conformance_*) with
# ClickHouse as a backend beside SQLite: the same records in, the same
# answers out. The checks are GoogleTest binaries; this script runs the
# server they talk to (own config, data dir and random ports).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/db_servers.sh"

TEST_BIN=${CLICKHOUSE_STORE_TEST:-$(dirname "$LOUPE")/tests/e2e/clickhouse_store_test}
UNIT_BIN=${STORE_UNIT_TEST:-$(dirname "$LOUPE")/tests/unit/unit_store}
command -v clickhouse-server > /dev/null || { echo "clickhouse-server missing: scripts/setup.sh --test" >&2; exit 1; }
[[ -x "$TEST_BIN" ]] || { echo "$TEST_BIN not built" >&2; exit 1; }
[[ -x "$UNIT_BIN" ]] || { echo "$UNIT_BIN not built" >&2; exit 1; }

http_port=$(free_port)
start_clickhouse "$http_port"
log "clickhouse-server on 127.0.0.1:$http_port"

if LOUPE_CH_PORT=$http_port LOUPE_CH_TCP_PORT=$CH_TCP_PORT LOUPE_CH_PASSWORD_FILE=$CH/loupe.password "$TEST_BIN" > "$WORK/gtest.out" 2>&1; then
  pass "clickhouse_store_test: $(grep -o '[0-9]* tests* from [0-9]* test suites* ran' "$WORK/gtest.out")"
else
  cat "$WORK/gtest.out"
  fail "clickhouse_store_test: $(grep -c '^\[  FAILED  \]' "$WORK/gtest.out") failed lines"
fi
grep '^ClickHouse ' "$WORK/gtest.out" || true

url="clickhouse://127.0.0.1:$http_port/loupe_conformance?user=loupe&password_file=$CH/loupe.password"
if LOUPE_TEST_CLICKHOUSE=$url "$UNIT_BIN" --gtest_filter='Backends/*' > "$WORK/conformance.out" 2>&1 \
  && grep -q 'Conformance.*/clickhouse' "$WORK/conformance.out"; then
  pass "storage conformance, SQLite and ClickHouse: $(grep -o '[0-9]* tests* from [0-9]* test suites* ran' "$WORK/conformance.out")"
else
  cat "$WORK/conformance.out"
  fail "storage conformance: $(grep -c '^\[  FAILED  \]' "$WORK/conformance.out") failed lines"
fi
finish
