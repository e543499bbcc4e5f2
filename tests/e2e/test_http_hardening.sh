#!/usr/bin/env bash
# The HTTP layer under attack (docs/security.md): every hostile request gets
# its status code, the server's peak memory stays bounded, and
# /api/v1/status keeps answering within 1 s; reads need the token; unsafe
# configurations refuse to start; `loupe run` refuses DNS-rebinding Host and
# Origin headers and remote ingest; TLS serves with a self-signed certificate.
source "$(dirname "$0")/lib.sh"
require_root
HERE=$(cd "$(dirname "$0")" && pwd)
ATTACK="python3 $HERE/http_attacks.py"
TOKEN=$(openssl rand -hex 16)
echo "$TOKEN" > "$WORK/token"

PORT=$(free_port)
API="http://127.0.0.1:$PORT"
"$LOUPE" server --listen "127.0.0.1:$PORT" --data-dir "$WORK/data" --token-file "$WORK/token" \
  > /dev/null 2> "$WORK/server.err" &
SERVER_PID=$!
PIDS+=($SERVER_PID)
wait_for_line "$WORK/server.err" "serving" $SERVER_PID
kib() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$SERVER_PID/status"; }
BASE_KIB=$(kib VmRSS)
peak_growth_mib() { echo $((($(kib VmHWM) - BASE_KIB) / 1024)); }
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

log "reads without the token are refused; the UI shell is public"
for path in status services endpoints "latency?service=x" requests map events workloads pods \
  losses alerts alerts/rules silences; do
  assert_eq "GET /api/v1/$path without a token" 401 "$(code "$API/api/v1/$path")"
done
SILENCE='{"matchers":[{"name":"alertname","value":"X"}],"duration":"1h"}'
assert_eq "POST /api/v1/silences without a token" 401 \
  "$(code -H 'Content-Type: application/json' -d "$SILENCE" "$API/api/v1/silences")"
SILENCE_ID=$(curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  -d "$SILENCE" "$API/api/v1/silences" | jq -r .silenceID)
assert_eq "DELETE /api/v1/silences/ID without a token" 401 \
  "$(code -X DELETE "$API/api/v1/silences/$SILENCE_ID")"
assert_eq "DELETE /api/v1/silences/ID with the token" 200 \
  "$(code -X DELETE -H "Authorization: Bearer $TOKEN" "$API/api/v1/silences/$SILENCE_ID")"
assert_eq "with a wrong token" 401 "$(code -H "Authorization: Bearer wrong" "$API/api/v1/services")"
assert_eq "with the token" 200 "$(code -H "Authorization: Bearer $TOKEN" "$API/api/v1/services")"
assert_eq "GET / (the UI asks for the token itself)" 200 "$(code "$API/")"

log "oversized and compressed bodies: refused, memory bounded"
assert_eq "100 MiB chunked body, no token" 401 "$($ATTACK chunked "$PORT" /api/v1/ingest 100)"
assert_eq "100 MiB chunked body, with the token" 413 "$($ATTACK chunked "$PORT" /api/v1/ingest 100 "$TOKEN")"
read -r status size <<< "$($ATTACK gzipbomb "$PORT" /api/v1/ingest)"
assert_le "gzip bomb size (KB)" 600 $((size / 1000))
assert_eq "gzip bomb (512 MiB inflated), no token" 401 "$status"
assert_eq "gzip bomb, with the token" "413" "$($ATTACK gzipbomb "$PORT" /api/v1/ingest "$TOKEN" | cut -d' ' -f1)"
assert_eq "gzip bomb to the Kubernetes ingest, with the token" "413" \
  "$($ATTACK gzipbomb "$PORT" /api/v1/k8s/ingest "$TOKEN" | cut -d' ' -f1)"
for bomb in "outside /api/v1/ingest 400" "inrecord /api/v1/ingest 400" \
  "entries /api/v1/logs/ingest 400" "samples /api/v1/metrics/ingest 413" \
  "outside /api/v1/agents/stats 400"; do
  read -r shape path want <<< "$bomb"
  assert_eq "16 MiB of JSON nodes ($shape, 16 KB gzip'ed) to $path, with the token" "$want" \
    "$($ATTACK jsonbomb "$PORT" "$path" "$shape" "$TOKEN")"
done
assert_eq "Content-Length: 10 GB, with the token: status, JSON error" "413 true" \
  "$($ATTACK biglength "$PORT" /api/v1/ingest "$TOKEN")"
assert_le "peak RSS growth over all body attacks (MiB)" 70 "$(peak_growth_mib)"

log "2,000 idle and slow connections: status still answers within 1 s"
read -r worst_ms still_open <<< "$($ATTACK flood "$PORT" 2000 5 "$TOKEN")"
assert_le "slowest /api/v1/status during the flood (ms)" 1000 "$worst_ms"
assert_ge "flood connections the server held" 1900 "$still_open"
assert_ge "connections refused beyond 256 from one client" 100 "$($ATTACK perclient "$PORT" 400)"
assert_le "peak RSS growth including the flood (MiB)" 70 "$(peak_growth_mib)"
assert_eq "server still alive" 200 "$(code -H "Authorization: Bearer $TOKEN" "$API/api/v1/status")"

log "unsafe configurations refuse to start"
set +e
"$LOUPE" server --listen "0.0.0.0:$(free_port)" --data-dir "$WORK/d2" > /dev/null 2> "$WORK/open.err"
rc=$?
set -e
assert_eq "no token on 0.0.0.0: exit code" 2 "$rc"
grep -q "refusing to serve 0.0.0.0:.* without a token" "$WORK/open.err" && pass "says why" ||
  fail "message: $(head -1 "$WORK/open.err")"
for default in change-me changeme token password; do
  echo "$default" > "$WORK/default.token"
  set +e
  "$LOUPE" server --listen "127.0.0.1:$(free_port)" --data-dir "$WORK/d2" \
    --token-file "$WORK/default.token" > /dev/null 2> "$WORK/default.err"
  rc=$?
  set -e
  assert_eq "default token '$default' refused: exit code" 2 "$rc"
  grep -q "well-known default" "$WORK/default.err" || fail "message: $(head -1 "$WORK/default.err")"
done
INSECURE_PORT=$(free_port)
"$LOUPE" server --listen "0.0.0.0:$INSECURE_PORT" --data-dir "$WORK/d3" --insecure > /dev/null 2> "$WORK/insecure.err" &
PIDS+=($!)
wait_for_line "$WORK/insecure.err" "serving" $!
assert_eq "--insecure on 0.0.0.0 serves" 200 "$(code "http://127.0.0.1:$INSECURE_PORT/api/v1/status")"
grep -q "warning: --insecure" "$WORK/insecure.err" && pass "--insecure warns" || fail "no warning"

log "TLS listener with a self-signed certificate"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/tls.key" -out "$WORK/tls.crt" -days 1 \
  -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 2> /dev/null
TLS_PORT=$(free_port)
"$LOUPE" server --listen "127.0.0.1:$TLS_PORT" --data-dir "$WORK/d4" --token-file "$WORK/token" \
  --tls-cert "$WORK/tls.crt" --tls-key "$WORK/tls.key" > /dev/null 2> "$WORK/tls.err" &
PIDS+=($!)
wait_for_line "$WORK/tls.err" "serving" $!
assert_eq "HTTPS status with the token" 200 \
  "$(code --cacert "$WORK/tls.crt" -H "Authorization: Bearer $TOKEN" "https://127.0.0.1:$TLS_PORT/api/v1/status")"
assert_eq "HTTPS without the token" 401 "$(code --cacert "$WORK/tls.crt" "https://127.0.0.1:$TLS_PORT/api/v1/status")"
assert_eq "plain HTTP to the TLS port" 000 "$(code -m 3 "http://127.0.0.1:$TLS_PORT/api/v1/status")"

log "loupe run: no remote ingest, no DNS rebinding"
RUN_PORT=$(free_port)
RUN="http://127.0.0.1:$RUN_PORT"
"$LOUPE" run --listen "127.0.0.1:$RUN_PORT" --data-dir "$WORK/run" > "$WORK/run.out" 2> "$WORK/run.err" &
RUN_PID=$!
PIDS+=($RUN_PID)
wait_for_line "$WORK/run.out" "Loupe is running" $RUN_PID
assert_eq "status by IP" 200 "$(code "$RUN/api/v1/status")"
assert_eq "status as localhost" 200 "$(code "http://localhost:$RUN_PORT/api/v1/status")"
assert_eq "Host: a rebinding domain" 403 "$(code -H "Host: attacker.example:$RUN_PORT" "$RUN/api/v1/status")"
assert_eq "Origin: a foreign page" 403 "$(code -H "Origin: http://attacker.example" "$RUN/api/v1/services")"
assert_eq "POST /api/v1/ingest" 403 \
  "$(code -H 'Content-Type: application/json' -d '{"records":[]}' "$RUN/api/v1/ingest")"
assert_eq "POST /api/v1/k8s/ingest" 403 "$(code -H 'Content-Type: application/json' -d '{}' "$RUN/api/v1/k8s/ingest")"
finish
