#!/usr/bin/env bash
# `loupe server --state postgres://...` against Debian's postgresql, with
# password (scram-sha-256) authentication on loopback:
#  - the state layer's GoogleTest suite (postgres/postgres_state_test.cpp):
#    migrations, the errors a user sees, held batches released exactly once
#    by replicas, shared Kubernetes history, silences and alert leadership;
#  - without --migrate an empty database is one clear line; a wrong
#    password too;
#  - two server replicas with their own --data-dir sharing one PostgreSQL:
#    a silence made through A is listed (and expired) through B; a cluster
#    snapshot posted to A is answered by B after B restarts; one of them
#    leads the alert engine; /api/v1/status names the state backend.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/db_servers.sh"
require_root

TEST_BIN=${POSTGRES_STATE_TEST:-$(dirname "$LOUPE")/tests/e2e/postgres_state_test}
[[ -x "$TEST_BIN" ]] || { echo "$TEST_BIN not built" >&2; exit 1; }

pg_port=$(free_port)
start_postgres "$pg_port"
psql_admin() { as_pg psql -q -h "$PG/sock" -p "$pg_port" -U postgres -v ON_ERROR_STOP=1 "$@"; }
password="pw-$RANDOM$RANDOM"
echo "$password" > "$WORK/pg.password"
echo "wrong-$password" > "$WORK/wrong.password"
psql_admin -c "CREATE ROLE loupe LOGIN CREATEDB PASSWORD '$password'"
psql_admin -c "CREATE DATABASE loupe_state OWNER loupe"
# Passwords on TCP, as a production server would have it.
printf 'local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n' > "$PG/data/pg_hba.conf"
as_pg "$PGBIN/pg_ctl" -D "$PG/data" reload > /dev/null
sleep 0.5
log "postgresql $(psql_admin -tAc 'SHOW server_version') on 127.0.0.1:$pg_port"

if LOUPE_PG_PORT=$pg_port LOUPE_PG_PASSWORD_FILE=$WORK/pg.password LOUPE_PG_CLOSED_PORT=$(free_port) \
  "$TEST_BIN" > "$WORK/gtest.out" 2>&1; then
  pass "postgres_state_test: $(grep -o '[0-9]* tests* from [0-9]* test suites* ran' "$WORK/gtest.out")"
else
  cat "$WORK/gtest.out"
  fail "postgres_state_test: $(grep -c '^\[  FAILED  \]' "$WORK/gtest.out") failed lines"
fi
grep '^PostgreSQL ' "$WORK/gtest.out" || true

STATE="postgres://127.0.0.1:$pg_port/loupe_state?user=loupe&password_file=$WORK/pg.password"
echo "postgres-e2e-token" > "$WORK/token"
A_PORT=$(free_port)
B_PORT=$(free_port)
api() { curl -sf -H 'Authorization: Bearer postgres-e2e-token' "http://127.0.0.1:$1$2" "${@:3}"; }
serve() {  # serve PORT DIR [FLAG...]: one replica; its stderr in $WORK/DIR.err
  "$LOUPE" server --listen "127.0.0.1:$1" --data-dir "$WORK/$2" --token-file "$WORK/token" \
    --alerts-eval-interval 1s "${@:3}" > /dev/null 2>> "$WORK/$2.err" &
}
refused() {  # refused NAME PATTERN FLAG...: the server exits with one line matching PATTERN
  local name=$1 pattern=$2
  shift 2
  if timeout 20 "$LOUPE" server --listen "127.0.0.1:$A_PORT" --data-dir "$WORK/refused" \
    --token-file "$WORK/token" "$@" > /dev/null 2> "$WORK/refused.err"; then
    fail "$name: the server started"
  fi
  line=$(grep -m1 "$pattern" "$WORK/refused.err") && pass "$name: one clear line: $line" ||
    fail "$name: error was: $(cat "$WORK/refused.err")"
}

log "bad input: no schema yet, a wrong password, a server that is down"
refused "no schema" "loupe_state.*is empty (no Loupe schema); run loupe server --state URL --migrate once" \
  --state "$STATE"
refused "wrong password" "refused user 'loupe': password authentication failed" \
  --state "${STATE/pg.password/wrong.password}"
closed_port=$(free_port)
refused "server down" "cannot connect to PostgreSQL at 127.0.0.1:$closed_port" \
  --state "postgres://127.0.0.1:$closed_port/loupe_state?user=loupe"
refused "password in the URL" "a password in the URL; put it in a file" \
  --state "postgres://127.0.0.1:$pg_port/loupe_state?user=loupe&password=$password"

log "replica A migrates, replica B joins"
start=$(date +%s%N)
serve "$A_PORT" a --state "$STATE" --migrate
A_PID=$!
PIDS+=($A_PID)
wait_for_port "$A_PORT"
grep -q "state schema version 0 -> 1" "$WORK/a.err" && pass "migrated: $(grep 'state schema' "$WORK/a.err")" ||
  fail "no migration line in: $(cat "$WORK/a.err")"
serve "$B_PORT" b --state "$STATE"
B_PID=$!
PIDS+=($B_PID)
wait_for_port "$B_PORT"

status=$(api "$B_PORT" /api/v1/status)
assert_eq "B's state backend" postgres "$(jq -r .store.backend.state.kind <<< "$status")"
assert_eq "state URL (no password)" "postgres://127.0.0.1:$pg_port/loupe_state?user=loupe&password_file=$WORK/pg.password" "$(jq -r .store.backend.state.url <<< "$status")"
version=$(jq -r .store.backend.state.server_version <<< "$status")
[[ "$version" == "$(psql_admin -tAc 'SHOW server_version')" ]] && pass "server version $version" ||
  fail "server_version '$version'"
grep -q "$password" <<< "$status" && fail "the status shows the password"

log "a silence made through A is listed, and expired, through B"
id=$(api "$A_PORT" /api/v1/silences -X POST -H 'Content-Type: application/json' \
  --data '{"matchers": [{"name": "service", "value": "shop", "isRegex": false}],
           "endsAt": "2099-01-01T00:00:00Z", "comment": "deploy", "createdBy": "e2e"}' | jq -r .silenceID)
[[ -n "$id" && "$id" != null ]] || fail "no silence id from A"
seen=$(api "$B_PORT" /api/v1/silences | jq -r --arg id "$id" '.[] | select(.id == $id) | .comment')
assert_eq "B lists A's silence" deploy "$seen"
api "$B_PORT" "/api/v1/silences/$id" -X DELETE > /dev/null || fail "B could not expire A's silence"
state=$(api "$A_PORT" /api/v1/silences | jq -r --arg id "$id" '.[] | select(.id == $id) | .status.state')
assert_eq "A sees the silence B expired" expired "$state"

log "one replica leads the alert engine"
sleep 2
a_leads=$(api "$A_PORT" /api/v1/status | jq -r .alerts.leading)
b_leads=$(api "$B_PORT" /api/v1/status | jq -r .alerts.leading)
assert_eq "A (first) leads, B follows" "true/false" "$a_leads/$b_leads"

log "a cluster snapshot posted to A is answered by B after B restarts"
now_ns=$(date +%s%N)
api "$A_PORT" /api/v1/k8s/ingest -X POST -H 'Content-Type: application/json' --data \
  '{"kind": "LoupeK8sIngest", "version": 1, "type": "snapshot", "collector": "e2e",
    "snapshot": {"seq": 1, "services": [], "endpointslices": [], "ip_history": [], "workloads": [], "pods": [],
      "nodes": [{"name": "node-a", "ready": true, "addresses": ["192.168.0.1"], "conditions": [],
                 "capacity": {"cpu_cores": 4, "memory_bytes": 1073741824, "pods": 110},
                 "kernel_version": "6.1.0", "kubelet_version": "v1.31.4"}]},
    "changes": [], "events": []}' > /dev/null || fail "A refused the snapshot"
assert_eq "A's nodes" node-a "$(api "$A_PORT" /api/v1/nodes | jq -r '.[].name')"
assert_eq "B's nodes before its restart" 0 "$(api "$B_PORT" /api/v1/nodes | jq -r 'length')"
kill "$B_PID"
wait "$B_PID" 2> /dev/null || true
serve "$B_PORT" b --state "$STATE"
B_PID=$!
PIDS+=($B_PID)
wait_for_port "$B_PORT"
assert_eq "B's nodes after its restart" node-a "$(api "$B_PORT" /api/v1/nodes | jq -r '.[].name')"
log "replicas: $((($(date +%s%N) - start) / 1000000)) ms"
finish
