#!/usr/bin/env bash
# Memcached: Debian's memcached on a free loopback port, driven by
# memcached_client.py (pymemcache for the text protocol, a raw socket for
# the meta commands). Under `loupe trace`, then `loupe run`: exact record
# counts per command, keys, hit/miss, noreply, errors, values never
# recorded, hit/miss and command counts equal to memcached's own `stats`,
# and client latency containing server latency.
source "$(dirname "$0")/lib.sh"
require_root

PORT=$(free_port)
memcached -p "$PORT" -l 127.0.0.1 -U 0 -t 2 -u memcache &
PIDS+=($!)
wait_for_port "$PORT"
workload() { /usr/bin/python3 "$LOUPE_SRC/tests/e2e/memcached_client.py" "$PORT"; }

# check RECORDS_FILE SIDE WHO: the records of one run of the workload, as
# seen by WHO (memcached as server, python3 as client).
check() {
  local f=$1 side=$2 who=$3
  local sel=".protocol==\"memcached\" and .role==\"$side\" and .comm==\"$who\""
  n() { count "$f" "$sel and $1"; }
  assert_eq "$side SET records (5 + 3 noreply + counter + big)" 10 "$(n '.method=="SET"')"
  assert_eq "$side SET noreply" 3 "$(n '.method=="SET" and .detail=="noreply" and .resp_bytes==0 and (.path|startswith("sess:"))')"
  assert_eq "$side SET STORED" 7 "$(n '.method=="SET" and .detail=="STORED"')"
  assert_eq "$side GET records (7 + multi-get + big)" 9 "$(n '.method=="GET"')"
  assert_eq "$side GET hits" 7 "$(n '.method=="GET" and .detail=="hit"')"
  assert_eq "$side GET miss on user:6" 1 "$(n '.method=="GET" and .detail=="miss" and .path=="user:6"')"
  assert_eq "$side multi-get: first key, 2 of 3 found" 1 "$(n '.method=="GET" and .path=="user:1" and .detail=="2/3 hit"')"
  assert_eq "$side GET user:1 (twice alone, once in the multi-get)" 3 "$(n '.method=="GET" and .path=="user:1"')"
  assert_eq "$side big GET resp_bytes covers the value" 1 "$(n '.method=="GET" and .path=="big" and .detail=="hit" and .resp_bytes > 204800')"
  assert_eq "$side big SET req_bytes covers the value" 1 "$(n '.method=="SET" and .path=="big" and .req_bytes > 204800')"
  assert_eq "$side INCR hits on counter" 3 "$(n '.method=="INCR" and .path=="counter" and .detail=="hit"')"
  assert_eq "$side INCR miss" 1 "$(n '.method=="INCR" and .path=="nocounter" and .detail=="miss"')"
  assert_eq "$side INCR of a string: CLIENT_ERROR" 1 "$(n '.method=="INCR" and .path=="user:1" and .error and .error_code=="CLIENT_ERROR"')"
  assert_eq "$side errors" 1 "$(n '.error')"
  assert_eq "$side DELETE hit, miss" "1 1" "$(n '.method=="DELETE" and .path=="user:5" and .detail=="hit"') $(n '.method=="DELETE" and .path=="nope" and .detail=="miss"')"
  assert_eq "$side STATS" 1 "$(n '.method=="STATS" and .detail=="END"')"
  assert_eq "$side meta MS, MG hit, MG miss, MD, MN" "1 1 1 1 1" \
    "$(n '.method=="MS" and .path=="meta:1" and .detail=="HD"') $(n '.method=="MG" and .path=="meta:1" and .detail=="hit"') $(n '.method=="MG" and .path=="meta:none" and .detail=="miss"') $(n '.method=="MD" and .detail=="HD"') $(n '.method=="MN" and .detail=="MN"')"
  assert_eq "$side records in all" 32 "$(n 'true')"
  assert_eq "$side route is the command" 0 "$(n '.route!=.method')"
  assert_eq "$side values never recorded" 0 "$(jq -c "select($sel)" "$f" | grep -c 'secret\|hello' || true)"
  assert_eq "$side replied records end after they start" 0 "$(n '.detail!="noreply" and .end_ns <= .start_ns')"
}

OUT="$WORK/trace.jsonl"
start_trace "$OUT" --port "$PORT"
log "loupe trace: the workload"
workload > "$WORK/stats.json"
stop_trace
grep "loupe trace:" "$OUT.err" | tail -1
check "$OUT" server memcached
check "$OUT" client python3

# memcached's own counters, read by the workload before its meta commands.
stat() { jq -r ".$1" "$WORK/stats.json"; }
srv='.protocol=="memcached" and .role=="server" and .comm=="memcached"'
classic="$srv and .method!=\"MS\" and .method!=\"MG\""
assert_eq "SET records == cmd_set" "$(stat cmd_set)" "$(count "$OUT" "$classic and .method==\"SET\"")"
# get_hits counts keys: the multi-get found 2.
assert_eq "GET hits (keys) == get_hits" "$(stat get_hits)" $(($(count "$OUT" "$classic and .method==\"GET\" and .detail==\"hit\"") + 2))
assert_eq "GET misses (keys) == get_misses" "$(stat get_misses)" $(($(count "$OUT" "$classic and .method==\"GET\" and .detail==\"miss\"") + 1))
assert_eq "DELETE hits == delete_hits" "$(stat delete_hits)" "$(count "$OUT" "$srv and .method==\"DELETE\" and .detail==\"hit\"")"
assert_eq "INCR hits, misses == incr_hits, incr_misses" "$(stat incr_hits) $(stat incr_misses)" \
  "$(count "$OUT" "$srv and .method==\"INCR\" and .detail==\"hit\"") $(count "$OUT" "$srv and .method==\"INCR\" and .detail==\"miss\"")"

# Latency: the client's wait contains the server's work, so per command the
# client durations add up to at least the server's; all stay small on loopback.
for m in SET GET INCR DELETE; do
  sum() { jq -r "select(.protocol==\"memcached\" and .role==\"$1\" and .method==\"$m\" and .detail!=\"noreply\") | .duration_ns" "$OUT" | awk '{s+=$1} END {print s+0}'; }
  s=$(sum server)
  c=$(sum client)
  assert_ge "$m: client duration sum >= server duration sum ($s ns)" "$s" "$c"
done
max_ms=$(jq -r "select($srv) | .duration_ns" "$OUT" | sort -n | tail -1 | awk '{printf "%.1f", $1/1e6}')
assert_le "slowest server record (ms, busy shared machine)" 500 "$max_ms"

log "loupe run: the workload again, read back from the API"
API_PORT=$(free_port)
start_loupe_run --listen "127.0.0.1:$API_PORT" --data-dir "$WORK/data" --port "$PORT"
workload > /dev/null
API="http://127.0.0.1:$API_PORT/api/v1"
api_records "$API" memcached 64 "$WORK/run.jsonl"
check "$WORK/run.jsonl" server memcached
check "$WORK/run.jsonl" client python3
curl -s "$API/endpoints" > "$WORK/endpoints.json"
endpoint() {  # endpoint METHOD -> "requests errors" of memcached:PORT's METHOD, p50 > 0
  jq -r --arg m "$1" --arg s "memcached:$PORT" \
    '.[] | select(.protocol=="memcached" and .service==$s and .method==$m and .p50_ms > 0) | "\(.requests) \(.errors)"' \
    "$WORK/endpoints.json"
}
assert_eq "endpoint memcached:$PORT GET: requests, errors" "9 0" "$(endpoint GET)"
assert_eq "endpoint memcached:$PORT SET: requests, errors" "10 0" "$(endpoint SET)"
assert_eq "endpoint memcached:$PORT INCR: requests, errors" "5 1" "$(endpoint INCR)"
finish
