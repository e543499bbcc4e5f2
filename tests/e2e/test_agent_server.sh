#!/usr/bin/env bash
# The cluster split on one host: `loupe server` with a token, `loupe agent`
# shipping to it. Records arrive, a wrong token is refused, and a server
# restart loses nothing the agent still holds; the agent's own /metrics
# (--metrics-listen) shows what it captured, sent and holds.
source "$(dirname "$0")/lib.sh"
require_root
HERE=$(cd "$(dirname "$0")" && pwd)

API_PORT=$(free_port)
APP_PORT=$(free_port)
AGENT_METRICS_PORT=$(free_port)
API="http://127.0.0.1:$API_PORT"
echo "s3cret-token" > "$WORK/token"

start_server() { start_loupe_server "$API_PORT" "$WORK/token"; }
service_requests() {
  curl -s -H "Authorization: Bearer s3cret-token" "$API/api/v1/services?from=$(($(date +%s) - 1800))" |
    jq "[.[] | select(.name==\"python3:$APP_PORT\") | .requests] | add // 0"
}
wait_requests() {  # wait_requests N
  for i in $(seq 1 100); do [[ $(service_requests) -ge $1 ]] && break; sleep 0.2; done
}

python3 "$HERE/timed_server.py" "$APP_PORT" "$WORK/timing.log" & PIDS+=($!)
wait_for_port "$APP_PORT"
start_server
LOUPE_TOKEN=s3cret-token "$LOUPE" agent --server "$API" --node-name node-a --port "$APP_PORT" \
  --spool-dir "$WORK/spool" --metrics-listen "127.0.0.1:$AGENT_METRICS_PORT" \
  > /dev/null 2> "$WORK/agent.err" &
AGENT_PID=$!
PIDS+=($AGENT_PID)
for i in $(seq 1 100); do grep -q "sending to" "$WORK/agent.err" && break; sleep 0.1; done

python3 "$HERE/mix_client.py" "$APP_PORT"
wait_requests 450
assert_eq "records shipped by the agent (server side)" 450 "$(service_requests)"
assert_eq "node name stamped on records" '"node-a"' \
  "$(curl -s -H "Authorization: Bearer s3cret-token" "$API/api/v1/requests?service=python3:$APP_PORT&limit=1" | jq '.[0].node')"
# Node metrics ship every --metrics-interval (10 s): the first tick's
# levels are there already.
for i in $(seq 1 50); do
  [[ $(curl -s -H "Authorization: Bearer s3cret-token" "$API/api/v1/metrics/series?entity=node&name=node-a" | jq length) -gt 0 ]] && break
  sleep 0.2
done
assert_eq "node memory metric shipped by the agent" "$(awk '/^MemTotal:/ { print $2 * 1024 }' /proc/meminfo)" \
  "$(curl -s -H "Authorization: Bearer s3cret-token" "$API/api/v1/metrics?entity=node&name=node-a&metric=node_memory_total_bytes&step=10" | jq '.[-1].value | floor')"
assert_eq "ingest without the token" 401 \
  "$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -d '{"records":[]}' "$API/api/v1/ingest")"

agent_metric() {  # agent_metric NAME{LABELS}: its value on the agent's /metrics
  curl -s "http://127.0.0.1:$AGENT_METRICS_PORT/metrics" | awk -v n="$1" '$1 == n { print $2 }'
}
assert_ge "agent /metrics: records sent" 450 "$(agent_metric 'loupe_agent_records_sent_total{k8s_node_name="node-a"}')"
assert_ge "agent /metrics: events captured" 900 "$(agent_metric 'loupe_capture_events_total{k8s_node_name="node-a"}')"
assert_eq "agent /metrics: no ring buffer drops" 0 "$(agent_metric 'loupe_capture_events_dropped_total{k8s_node_name="node-a"}')"

log "server down while traffic goes on; the agent must hold the records"
kill -INT "$SERVER_PID"; wait "$SERVER_PID" || true
python3 "$HERE/mix_client.py" "$APP_PORT"
sleep 2
assert_ge "agent /metrics: records held while the server is down" 450 \
  "$(( $(agent_metric 'loupe_agent_spooled_records{k8s_node_name="node-a"}') + $(agent_metric 'loupe_agent_queued_records{k8s_node_name="node-a"}') ))"
start_server
wait_requests 900
assert_eq "records after a server restart (none lost)" 900 "$(service_requests)"

kill -INT "$AGENT_PID"; wait "$AGENT_PID" || true
grep -Eq " ([0-9]+) records captured: \1 sent, 0 spooled, 0 queued, 0 dropped" "$WORK/agent.err" && pass "agent sent all, dropped nothing" ||
  fail "agent: $(tail -1 "$WORK/agent.err")"
# The batches went in the binary form (application/vnd.loupe.batch+zstd),
# spooled ones as they lay on disk: the server read every one of them.
assert_eq "agent kept the binary form (no fall back to JSON)" 0 \
  "$(grep -c 'sending JSON to it' "$WORK/agent.err" || true)"
finish
