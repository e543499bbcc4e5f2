#!/usr/bin/env bash
# `loupe server --store clickhouse://...` end to end against Debian's
# clickhouse-server: without --migrate an empty database is a clear error;
# with it the server creates the schema, takes agent batches over
# POST /api/v1/ingest and answers with exact counts from ClickHouse; a batch
# posted twice (also after a restart) is stored once; /api/v1/status names
# the backend.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/db_servers.sh"
command -v clickhouse-server > /dev/null || { echo "clickhouse-server missing: scripts/setup.sh --test" >&2; exit 1; }

ch_port=$(free_port)
start_clickhouse "$ch_port"
STORE="clickhouse://127.0.0.1:$ch_port/loupe_e2e?user=loupe&password_file=$CH/loupe.password"
API_PORT=$(free_port)
API="http://127.0.0.1:$API_PORT"
echo "clickhouse-e2e-token" > "$WORK/token"
api() { curl -sf -H 'Authorization: Bearer clickhouse-e2e-token' "$API$1"; }

log "no schema yet: the server says to migrate and exits"
if "$LOUPE" server --listen "127.0.0.1:$API_PORT" --data-dir "$WORK/data" --token-file "$WORK/token" \
  --store "$STORE" > /dev/null 2> "$WORK/nomigrate.err"; then
  fail "the server started on an empty database"
else
  line=$(grep "loupe_e2e.*does not exist.*--migrate" "$WORK/nomigrate.err") &&
    pass "one clear line: $line" || fail "error was: $(cat "$WORK/nomigrate.err")"
fi

start_loupe_server "$API_PORT" "$WORK/token" --store "$STORE" --migrate
grep -q "schema version 0 -> " "$WORK/server.err" && pass "migrated: $(grep 'schema version' "$WORK/server.err")" ||
  fail "no migration line in: $(cat "$WORK/server.err")"

# Three agent batches of 1,000 records (api:9000, two routes, every 10th a
# failing /health).
/usr/bin/python3 "$(dirname "$0")/clickhouse/agent_batches.py" "$WORK" e2e-agent
post() {
  curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer clickhouse-e2e-token' \
    -H 'Content-Type: application/json' --data-binary @"$WORK/batch$1.json" "$API/api/v1/ingest"
}
for seq in 1 2 3; do assert_eq "batch $seq acknowledged" 200 "$(post "$seq")"; done
assert_eq "batch 2 posted again" 200 "$(post 2)"

check_counts() {  # what the API answers (its default window: the last hour), from ClickHouse
  assert_eq "$1: requests counted" 3000 "$(api "/api/v1/requests/count?service=api:9000" | jq .count)"
  assert_eq "$1: failures counted" 300 "$(api "/api/v1/requests/count?status=500" | jq .count)"
  assert_eq "$1: RED of api:9000" 3000 \
    "$(api "/api/v1/services" | jq '[.[] | select(.name == "api:9000") | .requests] | add')"
  assert_eq "$1: endpoints" "/health 1500 300,/items/{id} 1500 0" \
    "$(api "/api/v1/endpoints?service=api:9000" | jq -r '[.[] | "\(.route) \(.requests) \(.errors)"] | sort | join(",")')"
  id=$(api "/api/v1/requests?service=api:9000&limit=1" | jq -r '.[0].id')
  assert_eq "$1: one request by id" "$id" "$(api "/api/v1/requests/$id" | jq -r .id)"
  assert_eq "$1: rows in loupe_records" 3000 \
    "$(curl -sf -u "loupe:$(cat "$CH/loupe.password")" "http://127.0.0.1:$ch_port/?database=loupe_e2e" \
      --data-binary 'SELECT count() FROM loupe_records')"
}
wait_queued() {  # the ingest queue writes within its flush interval
  for _ in $(seq 1 50); do
    [[ $(api /api/v1/status | jq .store.ingest.queued) == 0 ]] && return; sleep 0.1
  done
}
wait_queued
check_counts "first server"
status=$(api /api/v1/status)
assert_eq "status names the backend" clickhouse "$(jq -r .store.backend.kind <<< "$status")"
assert_eq "status: records written" 3000 "$(jq .store.backend.records_written <<< "$status")"
assert_eq "status: write errors" 0 "$(jq .store.backend.write_errors <<< "$status")"
assert_eq "status: duplicate batches" 1 "$(jq .ingest_duplicate_batches <<< "$status")"
pass "ClickHouse $(jq -r .store.backend.server_version <<< "$status"), schema $(jq .store.backend.schema_version <<< "$status"), mean write $(jq .store.backend.write_ms_mean <<< "$status") ms"

log "restart (schema checked, no --migrate): the data and the batch keys are in ClickHouse"
kill -INT "$SERVER_PID"; wait "$SERVER_PID" || true
rm -rf "$WORK/data"  # nothing of the records was kept locally
start_loupe_server "$API_PORT" "$WORK/token" --store "$STORE"
assert_eq "batch 1 posted again after the restart" 200 "$(post 1)"
wait_queued
check_counts "after the restart"
kill -INT "$SERVER_PID"; wait "$SERVER_PID" || true
finish
