#!/usr/bin/env bash
# `loupe agent` under a pipelined Redis burst (redis-benchmark -P 16, 200k
# exchanges with both ends traced) while its server, on the same cores,
# stores slower than the agent captures and stops during it (issue 14):
# past half of --queue-max (16M, its least: ~80k of the burst's 200k
# records as encoded, ~100 bytes each; the default 64M would hold the
# whole burst) the exporter spills to the spool instead of dropping, so
# nothing is dropped as memory_full, the spool is replayed once the burst
# is over, and the server stores every record the agent parsed.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/db_servers.sh"
require_root

REDIS_PORT=$(free_port)
API_PORT=$(free_port)
API="http://127.0.0.1:$API_PORT"
echo "burst-test-token" > "$WORK/token"
stored() {
  curl -s -H "Authorization: Bearer burst-test-token" "$API/api/v1/status" | jq .store.ingest.written
}

start_redis "$REDIS_PORT"
start_loupe_server "$API_PORT" "$WORK/token"
"$LOUPE" agent --server "$API" --token-file "$WORK/token" --node-name burst --port "$REDIS_PORT" \
  --spool-dir "$WORK/spool" --queue-max 16M --metrics-interval 0 -o json \
  > "$WORK/agent.json" 2> "$WORK/agent.err" &
AGENT_PID=$!
PIDS+=($AGENT_PID)
wait_for_line "$WORK/agent.err" "sending to" "$AGENT_PID"

# Watched during the burst, not after it: the exporter replays a spilled
# batch as soon as the server keeps up, so the spool may be empty again by
# the time the burst ends.
(
  until [[ -n $(find "$WORK/spool" -name '*.batch' -print -quit 2> /dev/null) ]]; do sleep 0.05; done
  touch "$WORK/spilled"
) &
WATCH_PID=$!
PIDS+=($WATCH_PID)
# On a quiet machine the server may keep up with the burst (it stores the
# agent's binary batches at ~6 µs per record), and on a fast one the whole
# burst is over in a quarter of a second: the server is paused from before
# the burst until the first batch spills (at most 10 s), so the queue
# passes half of --queue-max whatever the machine's speed (what a busy or
# restarting server looks like to an agent).
kill -STOP "$SERVER_PID"
log "redis-benchmark -P 16 -c 50 -n 50000 -t set,get (100k commands, both ends traced)"
redis-benchmark -h 127.0.0.1 -p "$REDIS_PORT" -P 16 -c 50 -n 50000 -t set,get -q |
  tr '\r' '\n' | grep -v '^$' | tail -2 &
BENCH_PID=$!
for _ in $(seq 1 100); do [[ -e "$WORK/spilled" ]] && break; sleep 0.1; done
kill -CONT "$SERVER_PID"
wait "$BENCH_PID"
kill "$WATCH_PID" 2> /dev/null || true
spooled=$(find "$WORK/spool" -name '*.batch' | wc -l)
log "$spooled batches in the spool as the burst ends; $(stored) records stored so far"
[[ -e "$WORK/spilled" ]] && pass "batches spilled to the spool during the burst" ||
  fail "no batch spilled to the spool during the burst: the spill path went untested"

prev=-1
for _ in $(seq 1 240); do  # the spool drains, then the server's count holds
  now=$(stored)
  [[ $now == "$prev" && -z $(find "$WORK/spool" -name '*.batch') ]] && break
  prev=$now
  sleep 0.5
done
kill -INT "$AGENT_PID"
wait "$AGENT_PID" || true
jq .exporter "$WORK/agent.json" > "$WORK/exit.json"
log "exit report: $(jq -c '{captured,sent,spooled,dropped_by_reason}' "$WORK/exit.json"); ring buffer: $(jq .capture.ring_buffer_drops "$WORK/agent.json") events lost"
assert_eq "records dropped as memory_full" 0 "$(jq .dropped_by_reason.memory_full "$WORK/exit.json")"
assert_eq "records dropped for any reason" 0 "$(jq .dropped "$WORK/exit.json")"
assert_ge "records parsed (both ends of 100k commands, less ring-buffer losses)" 100000 \
  "$(jq .captured "$WORK/exit.json")"
for _ in $(seq 1 20); do [[ $(stored) -ge $(jq .sent "$WORK/exit.json") ]] && break; sleep 0.5; done
assert_eq "records stored = records the agent parsed" "$(jq .captured "$WORK/exit.json")" "$(stored)"
finish
