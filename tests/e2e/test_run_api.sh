#!/usr/bin/env bash
# loupe run end to end: a known mix of requests against a real server, then
# the API must give exact counts, error rates, routes, p95 within 2% (or
# 50 us) of the server's own timing, latency buckets, both-sides dedup,
# 400s for bad parameters, `loupe query`, and data that survives a restart.
source "$(dirname "$0")/lib.sh"
require_root
HERE=$(cd "$(dirname "$0")" && pwd)

APP_PORT=$(free_port)
API_PORT=$(free_port)
API="http://127.0.0.1:$API_PORT"
TRUTH="$WORK/server-timing.log"
DATA="$WORK/data"

start_run() { start_loupe_run --listen "127.0.0.1:$API_PORT" --data-dir "$DATA"; }
stop_run() { kill -INT "$RUN_PID"; wait "$RUN_PID" || true; }
api() { curl -s "$API$1"; }
status_code() { curl -s -o "$WORK/body.json" -w '%{http_code}' "$API$1"; }

python3 "$HERE/timed_server.py" "$APP_PORT" "$TRUTH" & PIDS+=($!)
wait_for_port "$APP_PORT"
start_run
grep -q "http://127.0.0.1:$API_PORT" "$WORK/run.out" && pass "prints its URL" || fail "URL not printed"

log "known mix: 300 GET /a (1-9 ms), 100 POST /b (2 ms), 50 GET /c -> 500 (40 ms)"
python3 "$HERE/mix_client.py" "$APP_PORT"
SVC="python3:$APP_PORT"
assert_eq "no events dropped (if not, another load on this host flooded the ring buffer)" 0 \
  "$(api /api/v1/status | jq '.agent.events_dropped')"
# Both sides of each exchange are stored (other traffic on the host too).
for i in $(seq 1 100); do
  [[ $(api "/api/v1/requests?service=$SVC&limit=1000" | jq length) -ge 900 ]] && break
  sleep 0.2
done
assert_eq "raw records of the service (both sides of 450 exchanges)" 900 \
  "$(api "/api/v1/requests?service=$SVC&limit=1000" | jq length)"
assert_eq "ingest drops and write errors" "0 0" \
  "$(api /api/v1/status | jq -r '"\(.store.ingest.dropped) \(.store.ingest.write_errors)"')"
svc=$(api /api/v1/services | jq -c ".[] | select(.name==\"$SVC\")")
assert_eq "service $SVC requests (server side only)" 450 "$(jq '.requests' <<<"$svc")"
assert_eq "service errors" 50 "$(jq '.errors' <<<"$svc")"
assert_eq "service error rate" "0.1111" "$(jq '.error_rate*10000|round/10000' <<<"$svc")"
assert_eq "service kind" '"process"' "$(jq '.kind' <<<"$svc")"
assert_eq "no second service for the client side of the same calls" 1 \
  "$(api /api/v1/services | jq "[.[] | select(.ports|index($APP_PORT))] | length")"

eps=$(api "/api/v1/endpoints?service=$SVC")
for spec in "GET /a 300 0" "POST /b 100 0" "GET /c 50 50"; do
  read -r m r n e <<<"$spec"
  ep=$(jq -c ".[] | select(.method==\"$m\" and .route==\"$r\")" <<<"$eps")
  assert_eq "endpoint $m $r requests" "$n" "$(jq '.requests' <<<"$ep")"
  assert_eq "endpoint $m $r errors" "$e" "$(jq '.errors' <<<"$ep")"
done

# p95 of GET /a over the whole run, one bucket, vs the server's own timing.
now=$(date +%s)
truth_p95=$(awk '$1=="GET" && $2=="/a" {print $4/1e6}' "$TRUTH" | sort -g | awk '{v[NR]=$1} END {i=int(0.95*NR+0.999999); print v[i]}')
series=$(api "/api/v1/latency?service=$SVC&route=/a&q=0.95&step=3600&from=$((now - 1800))&to=$((now + 60))")
got_p95=$(jq '[.[] | select(.count > 0)] | .[0].value_ms' <<<"$series")
tol=$(awk -v t="$truth_p95" 'BEGIN {x = t * 0.02; print (x > 0.05 ? x : 0.05)}')
diff=$(awk -v a="$got_p95" -v b="$truth_p95" 'BEGIN {d = a - b; print (d < 0 ? -d : d)}')
log "p95 GET /a: loupe $got_p95 ms, server's own $truth_p95 ms"
assert_le "|p95 loupe - p95 truth| (ms), tolerance $tol" "$tol" "$diff"

# Per-minute series: every request of /a lands in exactly one bucket.
minutes=$(api "/api/v1/latency?service=$SVC&route=/a&q=0.5&step=60&from=$((now - 600))&to=$((now + 60))")
assert_eq "per-minute buckets add up to 300" 300 "$(jq '[.[].count] | add' <<<"$minutes")"
assert_eq "buckets are 60 s apart" 60 "$(jq '.[1].t - .[0].t' <<<"$minutes")"

reqs=$(api "/api/v1/requests?service=$SVC&route=/c&limit=1000")
assert_eq "raw records for /c (server side)" 50 "$(jq '[.[] | select(.role=="server")] | length' <<<"$reqs")"
assert_eq "raw /c records have status 500" 0 "$(jq '[.[] | select(.status!=500)] | length' <<<"$reqs")"
slow=$(api "/api/v1/requests?service=$SVC&min_duration_ms=30&limit=1000")
assert_eq "min_duration_ms=30 returns nothing faster" 0 \
  "$(jq '[.[] | select(.duration_ns < 30000000)] | length' <<<"$slow")"
assert_eq "min_duration_ms=30 finds all of /c (server side, 40 ms each)" 50 \
  "$(jq '[.[] | select(.role=="server" and .route=="/c")] | length' <<<"$slow")"

for bad in "latency?service=$SVC&q=2:q" "latency?service=$SVC&step=0:step" \
  "services?from=2000000000&to=1000000000:from" "services?from=yesterday:from" \
  "requests?limit=-1:limit" "requests?status=abc:status"; do
  path=${bad%:*}; param=${bad##*:}
  code=$(status_code "/api/v1/$path")
  assert_eq "400 for /api/v1/$path" 400 "$code"
  assert_eq "error names parameter $param" "\"$param\"" "$(jq '.parameter' "$WORK/body.json")"
done

out=$("$LOUPE" query endpoints --server "$API" --service "$SVC")
grep -q "/a" <<<"$out" && grep -q "300" <<<"$out" && pass "loupe query endpoints table" || fail "query table: $out"
assert_eq "loupe query --json" 450 "$("$LOUPE" query services --server "$API" --json | jq "[.[] | select(.name==\"$SVC\") | .requests] | add")"

log "restart: data must survive"
stop_run
grep -q "stored" "$WORK/run.err" && pass "shutdown summary" || fail "no shutdown summary"
start_run
assert_eq "service requests after restart" 450 "$(api /api/v1/services?from=$((now - 1800)) | jq ".[] | select(.name==\"$SVC\") | .requests")"
stop_run
finish
