#!/usr/bin/env bash
# Issue 23: every HTTP/1 request a real server accepts is a record. A
# raw-socket server answers whatever it receives; each case (token methods,
# request-target forms, empty lines first, HTTP/1.0, HTTP/0.9, folded
# headers) goes on its own connection in one send() and one byte per
# send(), then all of them pipelined on one connection, then connections of
# garbage that must be counted as undetected. Under `loupe trace`, then
# under `loupe run` through the API.
source "$(dirname "$0")/lib.sh"
require_root
HERE=$(cd "$(dirname "$0")" && pwd)

PORT=$(free_port)
GARBAGE=5
python3 "$HERE/echo_server.py" "$PORT" & PIDS+=($!)
wait_for_port "$PORT"
# The records a run must hold on each side: "method path host status".
EXPECTED=()
for variant in whole bytes pipelined; do
  for m in LINK UNLINK SOURCE QUERY M-SEARCH PROPFIND MKCOL REPORT SEARCH X_PRIVATE.v2; do
    EXPECTED+=("$m /c/$m/$variant h 200")
  done
  EXPECTED+=("GET http://origin.example/c/absolute/$variant origin.example 200")
  EXPECTED+=("OPTIONS * $variant 200")
  EXPECTED+=("GET /c/leading-crlf/$variant h 200")
  EXPECTED+=("GET /c/http10/$variant  200")
  EXPECTED+=("POST /c/obs-fold/$variant h 200")
  EXPECTED+=("POST /c/chunked-fold/$variant h 200")
  [[ $variant == pipelined ]] && continue
  EXPECTED+=("CONNECT $variant.example:443 h 200")
  EXPECTED+=("GET /c/http09/$variant  0")
done

# check_records FILE WHAT: every expected record exactly once per role.
check_records() {
  local file=$1 what=$2 role missing key n
  jq -r '"\(.role) \(.method) \(.path) \(.host) \(.status)"' "$file" > "$WORK/keys"
  for role in server client; do
    missing=0
    for key in "${EXPECTED[@]}"; do
      n=$(grep -cxF "$role $key" "$WORK/keys" || true)
      [[ $n == 1 ]] || { fail "$what: $n $role records '$key'"; missing=$((missing + 1)); }
    done
    [[ $missing -gt 0 ]] || pass "$what: all ${#EXPECTED[@]} $role records"
  done
}

log "loupe trace: ${#EXPECTED[@]} requests per side, $GARBAGE garbage connections"
OUT="$WORK/trace.jsonl"
start_trace "$OUT" --port "$PORT"
python3 "$HERE/conformance_client.py" "$PORT" "$GARBAGE"
stop_trace
check_records "$OUT" "trace"
grep "loupe trace:" "$OUT.err" | tail -4
# Both sides of every garbage connection are traced: counted twice.
assert_eq "undetected connections on port $PORT" \
  "port $PORT: $((2 * GARBAGE)) undetected, 0 parse_error, 0 resync" \
  "$(grep -o "port $PORT: .*" "$OUT.err")"
grep -q "process python3: $((2 * GARBAGE)) undetected" "$OUT.err" \
  && pass "undetected counted for process python3" || fail "no per-process count"

log "loupe run: the same through the API"
API_PORT=$(free_port)
"$LOUPE" run --listen "127.0.0.1:$API_PORT" --data-dir "$WORK/data" > "$WORK/run.out" 2> "$WORK/run.err" &
RUN_PID=$!
PIDS+=($RUN_PID)
for i in $(seq 1 100); do
  grep -q "Loupe is running" "$WORK/run.out" 2>/dev/null && break
  sleep 0.1
done
python3 "$HERE/conformance_client.py" "$PORT" "$GARBAGE"
API="http://127.0.0.1:$API_PORT/api/v1"
for i in $(seq 1 50); do
  curl -s "$API/requests?service=python3:$PORT&protocol=http1&limit=1000" | jq -c '.[]' > "$WORK/api.jsonl"
  [[ $(wc -l < "$WORK/api.jsonl") -ge $((2 * ${#EXPECTED[@]})) ]] && break
  sleep 0.2
done
check_records "$WORK/api.jsonl" "run"
lost=$(curl -s "$API/status" | jq -c ".agent.lost_connections.by_port[\"$PORT\"] | [.undetected, .parse_error, .resync]")
assert_eq "status: lost connections on port $PORT [undetected, parse_error, resync]" \
  "[$((2 * GARBAGE)),0,0]" "$lost"
kill -INT "$RUN_PID"
wait "$RUN_PID" || true
finish
