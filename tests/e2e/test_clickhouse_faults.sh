#!/usr/bin/env bash
# Issue 15, faults under `loupe server --store clickhouse://...` with
# sustained ingest from keyed senders that behave as agents (a batch is sent
# again, same key, until acknowledged: tests/e2e/ingest_client.py --keyed):
# 1. clickhouse-server SIGKILLed for 30 s: the server spools what it takes
#    (status shows the spool), keeps acknowledging until the spool's bound
#    (--spool-max 1MiB, reached during the outage) and then refuses
#    (counted; the senders send those batches again), replays on recovery;
#    afterwards every acknowledged record is in ClickHouse exactly once, in
#    the raw table, the per-minute rollup and the API's count (the issue's
#    30 s; the senders keep sending throughout and after it).
# 2. Two replicas on one ClickHouse (their own --data-dir each), one
#    SIGKILLed mid-ingest and restarted on its data directory; senders move
#    to the other replica meanwhile: nothing acknowledged is lost, nothing
#    is stored twice.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/db_servers.sh"
command -v clickhouse-server > /dev/null || { echo "clickhouse-server missing: scripts/setup.sh --test" >&2; exit 1; }
HERE=$(cd "$(dirname "$0")" && pwd)
TOKEN=faults-token
echo "$TOKEN" > "$WORK/token"
BATCH=200

ch_port=$(free_port)
start_clickhouse "$ch_port"
STORE="clickhouse://127.0.0.1:$ch_port/loupe_faults?user=loupe&password_file=$CH/loupe.password"
chq() {
  curl -sf -u "loupe:$(cat "$CH/loupe.password")" "http://127.0.0.1:$ch_port/?database=loupe_faults" \
    --data-binary "$1"
}
api() { curl -sf -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$1$2"; }
status_of() { api "$1" /api/v1/status | jq -r "$2"; }

declare -A REPLICA_PID REPLICA_PORT
# start_replica NAME [flags...]: a `loupe server` with --data-dir $WORK/data-NAME.
start_replica() {
  local name=$1 port=${REPLICA_PORT[$1]:-$(free_port)}
  shift
  REPLICA_PORT[$name]=$port
  "$LOUPE" server --listen "127.0.0.1:$port" --data-dir "$WORK/data-$name" --token-file "$WORK/token" \
    --store "$STORE" "$@" > /dev/null 2>> "$WORK/server-$name.err" &
  REPLICA_PID[$name]=$!
  PIDS+=($!)
  wait_for_port "$port"
}
# wait_written NAME: until the replica has nothing queued and an empty spool (at most 60 s).
wait_written() {
  local port=${REPLICA_PORT[$1]}
  for _ in $(seq 1 120); do
    [[ "$(status_of "$port" '"\(.store.ingest.queued) \(.store.backend.spool.writes)"')" == "0 0" ]] && return
    sleep 0.5
  done
  fail "replica $1 still has writes waiting: $(api "$port" /api/v1/status | jq -c .store.backend.spool)"
}
# check_exactly_once WHAT AGENT ACKED_FILE PORT: every acknowledged batch's
# records once in loupe_records, the per-minute rollup and the API (a
# withdrawn partial write is a background mutation: up to 20 s).
check_exactly_once() {
  local what=$1 agent=$2 port=$4 expected got service
  expected=$(($(wc -l < "$3") * BATCH))
  for _ in $(seq 1 40); do
    got=$(chq "SELECT count(), uniqExact(path) FROM loupe_records WHERE comm = '$agent'" | tr '\t' ' ')
    [[ "$got" == "$expected $expected" ]] && break
    sleep 0.5
  done
  assert_eq "$what: records in loupe_records, distinct records" "$expected $expected" "$got"
  service=$(chq "SELECT any(service) FROM loupe_records WHERE comm = '$agent'")
  assert_eq "$what: requests in the per-minute rollup of $service" "$expected" \
    "$(chq "SELECT sum(requests) FROM loupe_record_minute WHERE span = 0 AND service = '$service'")"
  assert_eq "$what: the API's count" "$expected" \
    "$(api "$port" "/api/v1/requests/count?service=$service" | jq .count)"
}

log "1. ClickHouse SIGKILLed for 30 s under sustained ingest"
started_at=$SECONDS
start_replica a --migrate --spool-max 1MiB
/usr/bin/python3 "$HERE/ingest_client.py" "http://127.0.0.1:${REPLICA_PORT[a]}" "$TOKEN" "$WORK/acked-down" 36 2 "$BATCH" \
  --keyed chdown 9101 > "$WORK/client-down.out" &
client=$!
sleep 3
kill -KILL "$CH_PID"; wait "$CH_PID" 2> /dev/null || true
at_kill=$(wc -l < "$WORK/acked-down")
sleep 5
spooled=$(api "${REPLICA_PORT[a]}" /api/v1/status | jq -c .store.backend.spool)
assert_ge "writes spooled while ClickHouse is down" 1 "$(jq .writes <<< "$spooled")"
assert_ge "spooled bytes" 1 "$(jq .bytes <<< "$spooled")"
assert_ge "write errors in the status" 1 "$(status_of "${REPLICA_PORT[a]}" .store.backend.write_errors)"
sleep 25
assert_ge "batches acknowledged while ClickHouse was down" $((at_kill + 5)) "$(wc -l < "$WORK/acked-down")"
log "ClickHouse back after 30 s (spool: $spooled)"
clickhouse-server --config-file="$CH/config.xml" > "$CH/stdout" 2>&1 &
CH_PID=$!
PIDS+=($CH_PID)
wait_for_port "$ch_port"
wait "$client"
cat "$WORK/client-down.out"
wait_written a
check_exactly_once "after the outage" chdown "$WORK/acked-down" "${REPLICA_PORT[a]}"
status=$(api "${REPLICA_PORT[a]}" /api/v1/status | jq -c .store.backend)
assert_ge "writes replayed from the spool" 1 "$(jq .spool.replayed_writes <<< "$status")"
assert_ge "writes refused once the 1MiB spool was full (sent again by the senders)" 1 \
  "$(jq .spool.refused_writes <<< "$status")"
assert_ge "spooled writes merged into fewer sends on replay" "$(jq .spool.replay_sends <<< "$status")" \
  "$(jq .spool.replayed_writes <<< "$status")"
grep -q "spool replayed" "$WORK/server-a.err" && pass "the log says the spool was replayed" ||
  fail "no replay line in: $(cat "$WORK/server-a.err")"
pass "insert rate $(jq .records_per_s_while_writing <<< "$status") records/s while writing, mean write $(jq .write_ms_mean <<< "$status") ms; spool: $(jq -c .spool <<< "$status")"
log "phase 1 took $((SECONDS - started_at)) s"
started_at=$SECONDS

log "2. two replicas, one SIGKILLed mid-ingest and restarted"
start_replica b
/usr/bin/python3 "$HERE/ingest_client.py" "http://127.0.0.1:${REPLICA_PORT[a]},http://127.0.0.1:${REPLICA_PORT[b]}" \
  "$TOKEN" "$WORK/acked-twin" 10 4 "$BATCH" --keyed twin 9102 > "$WORK/client-twin.out" &
client=$!
sleep 3
kill -KILL "${REPLICA_PID[a]}"; wait "${REPLICA_PID[a]}" 2> /dev/null || true
at_kill=$(wc -l < "$WORK/acked-twin")
sleep 3
start_replica a
wait "$client"
cat "$WORK/client-twin.out"
assert_ge "batches acknowledged after the kill" $((at_kill + 5)) "$(wc -l < "$WORK/acked-twin")"
wait_written a
wait_written b
check_exactly_once "two replicas, one killed" twin "$WORK/acked-twin" "${REPLICA_PORT[b]}"
service=$(chq "SELECT any(service) FROM loupe_records WHERE comm = 'twin'")
assert_eq "both replicas answer the same count" \
  "$(api "${REPLICA_PORT[b]}" "/api/v1/requests/count?service=$service" | jq .count)" \
  "$(api "${REPLICA_PORT[a]}" "/api/v1/requests/count?service=$service" | jq .count)"
grep "left by the last run" "$WORK/server-a.err" || pass "the killed replica had nothing spooled at the kill"
log "phase 2 took $((SECONDS - started_at)) s"
finish
