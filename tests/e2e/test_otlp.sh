#!/usr/bin/env bash
# OTLP export received by a real OTLP/HTTP receiver that decodes with an
# independent implementation (npm's @opentelemetry/otlp-transformer,
# otlp/receiver.js):
#   - `loupe run --otlp-endpoint`: HTTP server and client spans and Redis
#     client spans with their semantic-convention attributes, the trace id
#     of a traceparent header kept, each server span the child of its
#     client span (docs/traces.md), Kubernetes-free resource attributes,
#     gzip and the --otlp-header on every request, the request metrics, and
#     the lines of a followed log file as log records (severity, body,
#     log.file.path);
#   - `loupe server --otlp-protocol http/json` fed by /api/v1/ingest: JSON
#     spans; a collector answering 400 (spans counted as rejected, not
#     retried), a slow one (timeouts retried, then counted as failed) while
#     ingest goes on; drops visible in /api/v1/status and /metrics.
# About 30 s.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/db_servers.sh"
require_root
HERE=$(cd "$(dirname "$0")" && pwd)
command -v node > /dev/null || { echo "needs node and npm (scripts/setup.sh)" >&2; exit 1; }
if [[ ! -d "$HERE/otlp/node_modules/@opentelemetry/otlp-transformer" ]]; then
  (cd "$HERE/otlp" && npm ci --no-audit --no-fund --loglevel=error > /dev/null)
fi

RECV_PORT=$(free_port)
APP_PORT=$(free_port)
REDIS_PORT=$(free_port)
API_PORT=$(free_port)
API="http://127.0.0.1:$API_PORT"
RECV="http://127.0.0.1:$RECV_PORT"
mkdir -p "$WORK/recv"
node "$HERE/otlp/receiver.js" "$RECV_PORT" "$WORK/recv" 2> "$WORK/recv.err" & PIDS+=($!)
python3 "$HERE/http_server.py" "$APP_PORT" & PIDS+=($!)
start_redis "$REDIS_PORT"
wait_for_port "$APP_PORT"
wait_for_port "$RECV_PORT"

# Only the test's ports: the host's other traffic would only slow it down.
: > "$WORK/app.log"
"$LOUPE" run --listen "127.0.0.1:$API_PORT" --data-dir "$WORK/data" --metrics-interval 0 \
  --port "$APP_PORT" --port "$REDIS_PORT" --port "$RECV_PORT" \
  --otlp-endpoint "$RECV/" --otlp-header X-Api-Key=k-123 --otlp-metrics-interval 1s \
  --otlp-link-delay 1s --logs "$WORK/app.log" \
  > "$WORK/run.out" 2> "$WORK/run.err" &
RUN_PID=$!
PIDS+=($RUN_PID)
wait_for_line "$WORK/run.out" "Loupe is running" $RUN_PID
printf '%s\n' "INFO checkout started" "WARN stock low for sku=12" "ERROR payment declined id=7" \
  >> "$WORK/app.log"

log "20 GETs with a traceparent, 5 with a 500, 10 Redis commands"
python3 - "$APP_PORT" <<'PY'
import http.client, sys
conn = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
for i in range(25):
    path = "/status/500" if i >= 20 else f"/k/{i}"
    conn.request("GET", path, headers={
        "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"})
    conn.getresponse().read()
conn.close()
PY
for i in $(seq 1 5); do redis-cli -p "$REDIS_PORT" SET "key$i" v > /dev/null; redis-cli -p "$REDIS_PORT" GET "key$i" > /dev/null; done

SPANS="$WORK/recv/spans.jsonl"
span_count() { [[ -f "$SPANS" ]] && jq -s "[.[] | select($1)] | length" "$SPANS" || echo 0; }
SERVER_SEL="(.kind == 2 and .resource[\"service.name\"] == \"python3:$APP_PORT\")"
CLIENT_SEL="(.kind == 3 and .attributes[\"server.port\"] == \"$APP_PORT\")"
# Wait for the spans each side asserts on: redis-server's own spans arrive
# too, and counting them would stop the wait before redis-cli's last ones.
REDIS_CLI_SEL='(.kind == 3 and .resource["process.executable.name"] == "redis-cli")'
for i in $(seq 1 100); do
  [[ $(span_count "$SERVER_SEL") -ge 25 && $(span_count "$CLIENT_SEL") -ge 25 &&
     $(span_count "$REDIS_CLI_SEL") -ge 10 ]] && break
  sleep 0.2
done
assert_eq "server spans of the app" 25 "$(span_count "$SERVER_SEL")"
assert_eq "client spans of the same GETs" 25 "$(span_count ".kind == 3 and .attributes[\"server.port\"] == \"$APP_PORT\" and .attributes[\"http.request.method\"] == \"GET\"")"
assert_eq "server spans with the traceparent's trace id" 25 \
  "$(span_count "$SERVER_SEL and .traceId == \"4bf92f3577b34da6a3ce929d0e0e4736\"")"
assert_eq "server spans whose parent is their GET's client span, in one trace" 25 \
  "$(jq -s --arg p "$APP_PORT" '(map(select(.kind == 3 and .attributes["server.port"] == $p)) | map({key: .spanId, value: .traceId}) | from_entries) as $c | map(select(.kind == 2 and .resource["service.name"] == ("python3:" + $p) and $c[.parentSpanId] == .traceId)) | length' "$SPANS")"
assert_eq "GET /k/7 as http.route, url.path and status" 1 \
  "$(span_count "$SERVER_SEL and .attributes[\"url.path\"] == \"/k/7\" and .attributes[\"http.request.method\"] == \"GET\" and .attributes[\"http.response.status_code\"] == \"200\" and (.attributes[\"http.route\"] | length) > 0")"
assert_eq "500s as error spans with error.type" 5 \
  "$(span_count "$SERVER_SEL and .status == 2 and .attributes[\"error.type\"] == \"500\"")"
assert_eq "Redis commands as client spans with db.system" 10 \
  "$(span_count ".kind == 3 and .attributes[\"db.system\"] == \"redis\" and .attributes[\"db.system.name\"] == \"redis\" and .attributes[\"server.port\"] == \"$REDIS_PORT\" and (.attributes[\"db.operation.name\"] == \"SET\" or .attributes[\"db.operation.name\"] == \"GET\")")"
assert_eq "Redis spans from redis-cli (service.name, process)" 10 \
  "$(span_count ".attributes[\"db.system\"] == \"redis\" and .resource[\"process.executable.name\"] == \"redis-cli\" and .resource[\"service.name\"] == \"redis-cli\"")"
assert_eq "span ids: 16 and 8 bytes, all distinct" "$(span_count 'true')" \
  "$(jq -s '[.[] | select((.traceId | length) == 32 and (.spanId | length) == 16) | .spanId] | unique | length' "$SPANS")"
assert_eq "every export gzip-compressed, with the header" 0 \
  "$(jq -s '[.[] | select(.gzip != true or .api_key != "k-123")] | length' "$WORK/recv/requests.jsonl")"
assert_eq "protobuf content type" 0 \
  "$(jq -s '[.[] | select(.content_type != "application/x-protobuf")] | length' "$WORK/recv/requests.jsonl")"

METRICS="$WORK/recv/metrics.jsonl"
for i in $(seq 1 50); do
  [[ -f "$METRICS" ]] && [[ $(jq -s "[.[] | select(.name == \"http.server.request.duration\" and .resource[\"service.name\"] == \"python3:$APP_PORT\") | .points[].count | tonumber] | max // 0" "$METRICS") -ge 25 ]] && break
  sleep 0.2
done
assert_eq "http.server.request.duration over OTLP counts the 25 GETs" 25 \
  "$(jq -s "[.[] | select(.name == \"http.server.request.duration\" and .resource[\"service.name\"] == \"python3:$APP_PORT\") | [.points[].count | tonumber] | add] | max // 0" "$METRICS")"
assert_eq "its buckets are the exported bounds + Inf" 1 \
  "$(jq -s '[.[] | select(.name == "http.server.request.duration") | .points[] | select(.buckets == .bounds + 1)] | length > 0 | if . then 1 else 0 end' "$METRICS")"
LOGS="$WORK/recv/logs.jsonl"
for i in $(seq 1 50); do [[ -f "$LOGS" && $(wc -l < "$LOGS") -ge 3 ]] && break; sleep 0.2; done
assert_eq "the log file's lines as log records: severity, body, file" \
  "9 INFO checkout started,13 WARN stock low for sku=12,17 ERROR payment declined id=7" \
  "$(jq -r --arg f "$WORK/app.log" 'select(.attributes["log.file.path"] == $f and .resource["service.name"] != null and (.time | tonumber) > 0) | "\(.severityNumber) \(.body)"' "$LOGS" | paste -sd,)"
STATUS=$(curl -s "$API/api/v1/status")
assert_eq "status: every log entry sent" "3 0" "$(jq -r '"\(.otlp.logs.sent) \([.otlp.logs.dropped[]] | add)"' <<< "$STATUS")"
assert_eq "status: no span dropped" 0 "$(jq '[.otlp.spans.dropped[]] | add' <<< "$STATUS")"
assert_eq "status: every span sent" "$(jq '.otlp.spans.observed - .otlp.spans.own_exports' <<< "$STATUS")" \
  "$(jq '.otlp.spans.sent' <<< "$STATUS")"
assert_ge "status: the exports to the collector seen, not exported" 2 "$(jq '.otlp.spans.own_exports' <<< "$STATUS")"
assert_eq "no span of an export to the collector exported" 0 "$(span_count '(.attributes["url.path"] // "") | startswith("/v1/")')"
kill "$RUN_PID"; wait "$RUN_PID" 2> /dev/null || true
[[ -s "$WORK/recv/errors.log" ]] && fail "receiver could not decode: $(head -3 "$WORK/recv/errors.log")"

log "loupe server, http/json; then a collector answering 400, then one too slow"
TOKEN_FILE="$WORK/token"
openssl rand -hex 24 > "$TOKEN_FILE"
TOKEN=$(cat "$TOKEN_FILE")
API_PORT=$(free_port)
API="http://127.0.0.1:$API_PORT"
"$LOUPE" server --listen "127.0.0.1:$API_PORT" --data-dir "$WORK/data2" --token-file "$TOKEN_FILE" \
  --otlp-endpoint "$RECV" --otlp-protocol http/json --otlp-timeout 1s --otlp-metrics-interval 0 \
  --otlp-link-delay 0 \
  > /dev/null 2> "$WORK/server.err" &
SERVER_PID=$!
PIDS+=($SERVER_PID)
wait_for_port "$API_PORT"
ingest() {  # ingest TAG N: N HTTP server records with path /TAG/<i>
  python3 - "$API" "$TOKEN" "$1" "$2" <<'PY'
import json, sys, time, urllib.request
api, token, tag, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
now = time.time_ns()
records = [{"start_ns": now - 3_000_000, "end_ns": now, "protocol": "http1", "role": "server",
            "comm": "shopd", "pid": 4242, "local_addr": "127.0.0.1:9999",
            "remote_addr": "127.0.0.1:40000", "method": "POST", "path": f"/{tag}/{i}",
            "route": f"/{tag}/{{id}}", "status": 201} for i in range(n)]
req = urllib.request.Request(api + "/api/v1/ingest", data=json.dumps({"records": records}).encode(),
                             method="POST", headers={"Content-Type": "application/json",
                                                     "Authorization": "Bearer " + token})
urllib.request.urlopen(req, timeout=30).read()
PY
}
status() { curl -s -H "Authorization: Bearer $TOKEN" "$API/api/v1/status"; }
wait_status() {  # wait_status JQ VALUE
  for i in $(seq 1 100); do [[ $(status | jq -r "$1") == "$2" ]] && return 0; sleep 0.2; done
}
ingest json 7
wait_status '.otlp.spans.sent' 7
assert_eq "JSON spans decoded with hex ids" 7 \
  "$(span_count '.encoding == "json" and .kind == 2 and .name == "POST /json/{id}" and (.traceId | test("^[0-9a-f]{32}$")) and .resource["service.name"] == "shopd:9999"')"

curl -s -X POST -d '{"status": 400}' "$RECV/control" > /dev/null
ingest rejected 4
wait_status '.otlp.spans.dropped.rejected' 4
assert_eq "400: spans counted as rejected" 4 "$(status | jq '.otlp.spans.dropped.rejected')"
assert_eq "400: not retried" 0 "$(status | jq '.otlp.retries')"
assert_eq "400 in last_error" 1 "$(status | jq '.otlp.last_error | contains("HTTP 400") | if . then 1 else 0 end')"

curl -s -X POST -d '{"status": 200, "delay_ms": 2500}' "$RECV/control" > /dev/null
ingest slow 3
ingest during 5  # ingest goes on while the exporter waits
assert_eq "records stored while the collector is slow" 5 \
  "$(curl -s -H "Authorization: Bearer $TOKEN" "$API/api/v1/requests?service=shopd:9999&limit=1000" | jq '[.[] | select(.path | startswith("/during/"))] | length')"
for i in $(seq 1 150); do [[ $(status | jq '.otlp.retries') -ge 1 ]] && break; sleep 0.2; done
assert_ge "slow collector: timeouts retried" 1 "$(status | jq '.otlp.retries')"
METRICS_TEXT=$(curl -s -H "Authorization: Bearer $TOKEN" "$API/metrics")
assert_eq "/metrics: rejected spans" 'loupe_otlp_spans_total{outcome="rejected"} 4' \
  "$(grep '^loupe_otlp_spans_total{outcome="rejected"}' <<< "$METRICS_TEXT")"
kill "$SERVER_PID"; wait "$SERVER_PID" 2> /dev/null || true
finish
