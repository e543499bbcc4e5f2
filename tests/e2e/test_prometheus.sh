#!/usr/bin/env bash
# GET /metrics scraped by a real Prometheus (Debian's): the token from a
# credentials file, OpenMetrics negotiated, a label value with a quote and
# a backslash stored exactly, loupe_requests_total equal to
# /api/v1/services, and histogram_quantile(0.95) of the request histogram
# within 10% of Loupe's own p95 from /api/v1/latency; the node's memory
# from the resource metrics. promtool lints the
# text format. About 20 s.
source "$(dirname "$0")/lib.sh"
require_root
HERE=$(cd "$(dirname "$0")" && pwd)
command -v prometheus > /dev/null || { echo "needs Debian's prometheus (scripts/setup.sh --test)" >&2; exit 1; }

APP_PORT=$(free_port)
API_PORT=$(free_port)
PROM_PORT=$(free_port)
API="http://127.0.0.1:$API_PORT"
PROM="http://127.0.0.1:$PROM_PORT"
TOKEN_FILE="$WORK/token"
openssl rand -hex 24 > "$TOKEN_FILE"
AUTH="Authorization: Bearer $(cat "$TOKEN_FILE")"
SVC="python3:$APP_PORT"

python3 "$HERE/timed_server.py" "$APP_PORT" "$WORK/truth.log" & PIDS+=($!)
wait_for_port "$APP_PORT"
"$LOUPE" run --listen "127.0.0.1:$API_PORT" --data-dir "$WORK/data" --token-file "$TOKEN_FILE" \
  --metrics-interval 2s > "$WORK/run.out" 2> "$WORK/run.err" &
RUN_PID=$!
PIDS+=($RUN_PID)
wait_for_line "$WORK/run.out" "Loupe is running" $RUN_PID

cat > "$WORK/prometheus.yml" <<YAML
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: loupe
    authorization: {type: Bearer, credentials_file: $TOKEN_FILE}
    static_configs: [{targets: ['127.0.0.1:$API_PORT']}]
YAML
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/prom" \
  --web.listen-address="127.0.0.1:$PROM_PORT" > "$WORK/prom.log" 2>&1 &
PIDS+=($!)
wait_for_port "$PROM_PORT"

promql() {  # promql QUERY -> the first result's value, or "none"
  curl -s --data-urlencode "query=$1" "$PROM/api/v1/query" | jq -r '.data.result[0].value[1] // "none"'
}

assert_eq "/metrics without the token" 401 "$(curl -s -o /dev/null -w '%{http_code}' "$API/metrics")"
assert_eq "OpenMetrics when asked for" "application/openmetrics-text; version=1.0.0; charset=utf-8" \
  "$(curl -s -o /dev/null -w '%{content_type}' -H "$AUTH" -H 'Accept: application/openmetrics-text' "$API/metrics")"

# rate() counts increases between scrapes, so what a series held at its
# first scrape is not in it: a few requests first, so the series exist
# before the measured load.
load() {  # load N: N requests, every 11th GET /c (500), the rest GET /a (1-9 ms)
  python3 - "$APP_PORT" "$1" <<'PY'
import http.client, sys
conn = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
for i in range(int(sys.argv[2])):
    conn.request("GET", "/c" if i % 11 == 10 else "/a")
    conn.getresponse().read()
conn.close()
PY
}
load 11
for i in $(seq 1 100); do
  [[ $(promql "sum(loupe_requests_total{service_name=\"$SVC\"})") == 11 ]] && break
  sleep 0.2
done
log "load: 440 more (400 GET /a, 40 GET /c), and one route with a quote and a backslash"
load 440
python3 - "$APP_PORT" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b'GET /q"uo\\te HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
while s.recv(4096):
    pass
PY

# Stored, then scraped: wait until the stored count has settled (unchanged
# for 0.9 s: the store writes a round of few records up to 500 ms after
# they came, and the pump drains up to 100 ms apart) and Prometheus has it.
api_count() { curl -s -H "$AUTH" "$API/api/v1/services" | jq ".[] | select(.name==\"$SVC\") | .requests"; }
prev=""
same=0
for i in $(seq 1 150); do
  n=$(api_count)
  if [[ -n $n && $n == "$prev" ]]; then same=$((same + 1)); else same=0; fi
  ((same >= 3)) && [[ $(promql "sum(loupe_requests_total{service_name=\"$SVC\"})") == "$n" ]] && break
  prev=$n
  sleep 0.3
done
assert_eq "Prometheus scraped the target (up)" 1 "$(promql 'up{job="loupe"}')"
assert_eq "loupe_requests_total in Prometheus = /api/v1/services" "$(api_count)" \
  "$(promql "sum(loupe_requests_total{service_name=\"$SVC\"})")"
drops=$(promql 'loupe_capture_events_dropped_total')
if [[ $drops == 0 ]]; then
  assert_eq "requests counted (all 452 exchanges)" 452 "$(api_count)"
else
  log "note: $drops kernel events dropped by the busy host (another load); exact counts not checked"
fi
assert_eq "errors (GET /c -> 500) in Prometheus = /api/v1/services" "$(curl -s -H "$AUTH" "$API/api/v1/services" | jq ".[] | select(.name==\"$SVC\") | .errors")" "$(promql "sum(loupe_request_errors_total{service_name=\"$SVC\"})")"
assert_eq "5xx histogram count = errors" "$(promql "sum(loupe_request_errors_total{service_name=\"$SVC\"})")" \
  "$(promql "sum(http_server_request_duration_seconds_count{service_name=\"$SVC\",http_response_status_class=\"5xx\"})")"
assert_eq "a route with a quote and a backslash, stored exactly" 1 \
  "$(promql "sum(http_server_request_duration_seconds_count{service_name=\"$SVC\",http_route=\"/q\\\"uo\\\\te\"})")"

mem_total=$(awk '/^MemTotal:/ {print $2 * 1024}' /proc/meminfo)
assert_eq "node_memory_total_bytes (resource metrics) = /proc/meminfo" "$mem_total" \
  "$(promql "node_memory_total_bytes{k8s_node_name=\"$(hostname)\"}")"
assert_ge "cgroups' memory (container_memory_working_set_bytes series)" 1 \
  "$(promql 'count(container_memory_working_set_bytes) or vector(0)')"
assert_ge "loupe_capture_events_total (health)" 1000 "$(promql 'loupe_capture_events_total or vector(-1)')"
assert_ge "loupe_ingest_records_written_total (health)" 452 "$(promql 'loupe_ingest_records_written_total or vector(-1)')"

now=$(date +%s)
loupe_p95=$(curl -s -H "$AUTH" "$API/api/v1/latency?service=$SVC&route=/a&q=0.95&step=3600&from=$((now - 1800))&to=$((now + 60))" |
  jq '[.[] | select(.count > 0)] | .[0].value_ms')
prom_p95=$(promql "1000 * histogram_quantile(0.95, sum by (le) (rate(http_server_request_duration_seconds_bucket{service_name=\"$SVC\",http_route=\"/a\"}[5m])))")
log "p95 of GET /a: Loupe $loupe_p95 ms, Prometheus histogram_quantile $prom_p95 ms"
assert_le "|Prometheus p95 / Loupe p95 - 1|" 0.10 \
  "$(awk -v a="$prom_p95" -v b="$loupe_p95" 'BEGIN { d = a / b - 1; print (d < 0 ? -d : d) }')"

curl -s -H "$AUTH" "$API/metrics" > "$WORK/metrics.txt"
if promtool check metrics < "$WORK/metrics.txt" > "$WORK/promtool.out" 2>&1; then
  pass "promtool check metrics: clean"
else
  fail "promtool check metrics: $(head -5 "$WORK/promtool.out")"
fi
finish
