#!/usr/bin/env bash
# Bursts under `loupe run` with default settings (issue 20): pipelined Redis
# (redis-benchmark -P 16, 400k commands) and pipelined HTTP at saturation
# (wrk, 16 requests per write, against nginx). Every parsed record is either
# stored or counted as dropped, at least 95% of them stored; what each
# server counted itself (INFO commandstats, nginx's access log) minus what
# is stored is covered by the counted drops; /api/v1/losses has the same
# totals per minute. No ring-buffer event is lost (issue 14): while the
# ring buffer fills, the capture thread runs at nice -10, ahead of the store
# writer, so on two busy cores the ring is drained while the ingest queue
# absorbs the writer's lag (main before, at nice 0: 52,251 events lost,
# 178,256 of the 400,000 Redis commands stored, at load 12-14).
source "$(dirname "$0")/lib.sh"
require_root
HERE=$(cd "$(dirname "$0")" && pwd)

REDIS_PORT=$(free_port)
NGINX_PORT=$(free_port)
API_PORT=$(free_port)
API="http://127.0.0.1:$API_PORT"
api() { curl -s "$API$1"; }

mkdir -p "$WORK/redis"
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
  --dir "$WORK/redis" --daemonize no --logfile "$WORK/redis/redis.log" &
PIDS+=($!)
start_nginx "$NGINX_PORT"
wait_for_port "$REDIS_PORT"

"$LOUPE" run --listen "127.0.0.1:$API_PORT" --data-dir "$WORK/data" \
  --port "$REDIS_PORT" --port "$NGINX_PORT" > "$WORK/run.out" 2> "$WORK/run.err" &
RUN_PID=$!
PIDS+=($RUN_PID)
for i in $(seq 1 100); do
  grep -q "Loupe is running" "$WORK/run.out" 2>/dev/null && break
  kill -0 $RUN_PID 2>/dev/null || { cat "$WORK/run.err" >&2; exit 1; }
  sleep 0.1
done

redis-cli -h 127.0.0.1 -p "$REDIS_PORT" CONFIG RESETSTAT > /dev/null
log "redis-benchmark -P 16 -n 200000 -t set,get (400k commands)"
redis-benchmark -h 127.0.0.1 -p "$REDIS_PORT" -P 16 -n 200000 -t set,get -q \
  | tr '\r' '\n' | grep -v '^$' | tail -2
log "wrk: 4 connections, 16 pipelined GET /a per write, 3 s"
wrk -t2 -c4 -d3s -s "$HERE/pipeline.lua" "http://127.0.0.1:$NGINX_PORT" -- 16 | grep -E 'Requests/sec|requests in'

# The truth, then wait until every parsed record is stored or counted as dropped.
stats=$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" INFO commandstats | tr -d '\r')
calls() { echo "$stats" | awk -F'[:=,]' -v c="cmdstat_$1" '$1==c {print $3}'; }
redis_truth=$(($(calls set) + $(calls get)))
http_truth=$(awk '$2=="/a"' "$NGINX_LOG" | wc -l | tr -d ' ')
settled() {
  api /api/v1/status | jq -e '.store.ingest as $i | .agent.records ==
    $i.written + $i.dropped + $i.write_dropped and $i.queued == 0' > /dev/null
}
for i in $(seq 1 300); do settled && break; sleep 0.2; done
sleep 1  # the last records of the tail drain
for i in $(seq 1 300); do settled && break; sleep 0.2; done

status=$(api /api/v1/status)
parsed=$(jq '.agent.records' <<< "$status")
written=$(jq '.store.ingest.written' <<< "$status")
dropped=$(jq '.store.ingest.dropped + .store.ingest.write_dropped' <<< "$status")
events_lost=$(jq '.agent.events_dropped' <<< "$status")
log "parsed $parsed, stored $written, dropped $dropped; ring buffer: $events_lost events lost of $(jq '.agent.events_seen' <<< "$status") seen; loupe run peak RSS $(awk '/VmHWM/ {print $2, $3}' /proc/$RUN_PID/status)"
assert_eq "ring-buffer events lost" 0 "$events_lost"
assert_eq "records parsed == stored + counted as dropped" "$parsed" $((written + dropped))
assert_ge "share of parsed records stored (%)" 95 "$(awk -v w="$written" -v p="$parsed" 'BEGIN { printf "%.1f", 100 * w / p }')"

# Server-side records per server, from the per-minute rollups the UI reads.
served() {  # served PORT METHOD_REGEX -> requests of those methods counted for the server on PORT
  local svc
  svc=$(api /api/v1/services | jq -r --argjson p "$1" '.[] | select(.ports | index($p)) | .name' | head -1)
  api "/api/v1/endpoints?service=$svc" |
    jq --arg m "$2" '[.[] | select(.method | test($m)) | .requests] | add // 0'
}
redis_stored=$(served "$REDIS_PORT" "^(SET|GET)$")
http_stored=$(served "$NGINX_PORT" "^GET$")
log "redis: $redis_truth commands, $redis_stored stored; nginx: $http_truth requests, $http_stored stored"
jq -c '.agent.parsers_closed_connections' <<< "$status"
assert_le "redis stored <= INFO commandstats" "$redis_truth" "$redis_stored"
assert_le "nginx stored <= access log" "$http_truth" "$http_stored"
if [[ $events_lost -eq 0 ]]; then
  # Nothing lost in the kernel: every Redis command missing from the store
  # was counted as dropped (drops are counted per minute, not per server,
  # so this is a bound, and exact when nothing was dropped).
  assert_le "redis commands missing from the store <= records counted as dropped" \
    "$dropped" $((redis_truth - redis_stored))
  [[ $dropped -eq 0 ]] && assert_eq "redis stored == INFO commandstats" "$redis_truth" "$redis_stored"
  # wrk stops mid-pipeline: nginx logs up to 4 connections x 16 requests
  # whose responses are never written to a closed socket.
  assert_le "nginx requests missing from the store <= records counted as dropped + 64" \
    $((dropped + 64)) $((http_truth - http_stored))
else
  echo "note: $events_lost ring-buffer events lost (issue Performance); compared with bounds only"
fi

# Losses are kept per minute where the UI reads them (ring-buffer losses
# reach the store about once a second).
for i in $(seq 1 30); do
  losses=$(api /api/v1/losses)
  [[ $(jq '.events' <<< "$losses") == "$events_lost" ]] && break
  sleep 0.2
done
assert_eq "/api/v1/losses records == counted drops" "$dropped" "$(jq '.records' <<< "$losses")"
assert_eq "/api/v1/losses events == ring-buffer losses" "$events_lost" "$(jq '.events' <<< "$losses")"
finish
