#!/usr/bin/env bash
# `loupe agent` through server outages: the server is down for a minute
# while nginx serves ~1k req/s, then comes back: every request of nginx's
# access log is stored exactly once. The agent is SIGKILLed during a second
# outage: what it had spooled is delivered once by the next agent. The
# agent's exit report and the server's per-node status both balance
# (captured + inherited = sent + queued + spooled + dropped). A second
# agent, sent to a server refusing every batch with 400, sets each batch
# aside after one try and logs it at most once per 10 s.
source "$(dirname "$0")/lib.sh"
require_root
HERE=$(cd "$(dirname "$0")" && pwd)
OUTAGE_S=${OUTAGE_S:-60}

API_PORT=$(free_port)
APP_PORT=$(free_port)
REFUSE_PORT=$(free_port)
API="http://127.0.0.1:$API_PORT"
echo "outage-test-token" > "$WORK/token"

start_server() { start_loupe_server "$API_PORT" "$WORK/token"; }
stop_server() { kill -INT "$SERVER_PID"; wait "$SERVER_PID" || true; }
start_agent() {  # start_agent NAME SERVER_URL
  "$LOUPE" agent --server "$2" --token-file "$WORK/token" --node-name "$1" --port "$APP_PORT" \
    --spool-dir "$WORK/spool-$1" -o json > "$WORK/$1.json" 2>> "$WORK/$1.err" &
  AGENT_PID=$!
  PIDS+=($AGENT_PID)
  local i
  for i in $(seq 1 100); do grep -q "sending to" "$WORK/$1.err" && return 0; sleep 0.1; done
  fail "agent $1 did not start: $(cat "$WORK/$1.err")"
}
stored() {
  curl -s -H "Authorization: Bearer outage-test-token" \
    "$API/api/v1/services?from=$(($(date +%s) - 3600))" |
    jq "[.[] | select(.name==\"nginx:$APP_PORT\") | .requests] | add // 0"
}
served() { wc -l < "$NGINX_LOG" | tr -d ' '; }
wait_stored() {  # until the store holds as many requests as nginx served (or 60 s)
  local i
  for i in $(seq 1 120); do [[ $(stored) -ge $(served) ]] && break; sleep 0.5; done
}
# balanced FILE: the exporter half of an exit report or a status entry adds up.
balanced() {
  jq -e '.captured + (.inherited // 0) == .sent + (.queued // 0) + .spooled + .dropped' "$1" > /dev/null
}

start_nginx "$APP_PORT"
python3 "$HERE/refusing_server.py" "$REFUSE_PORT" "$WORK/refused.log" & PIDS+=($!)
wait_for_port "$REFUSE_PORT"
start_server
start_agent node-a "$API"
A_PID=$AGENT_PID
start_agent node-b "http://127.0.0.1:$REFUSE_PORT"
B_PID=$AGENT_PID
curl -s -o /dev/null "http://127.0.0.1:$APP_PORT/a"
wait_stored
assert_eq "agent reaches the server" "$(served)" "$(stored)"

log "server down for $OUTAGE_S s while nginx serves ~1k req/s"
stop_server
wrk -t1 -c1 -d"${OUTAGE_S}s" -s "$HERE/paced.lua" "http://127.0.0.1:$APP_PORT/a" > "$WORK/wrk.txt"
start_server
wait_stored
assert_ge "requests served during the outage" $((OUTAGE_S * 500)) "$(served)"
assert_eq "requests stored after the outage (each exactly once)" "$(served)" "$(stored)"
lines=$(grep -c "cannot reach" "$WORK/node-a.err" || true)
assert_le "outage log lines (at most one per 10 s)" $((OUTAGE_S / 10 + 2)) "$lines"
assert_ge "outage logged" 1 "$lines"

log "second outage: the agent is SIGKILLed with records spooled, then restarted"
stop_server
wrk -t1 -c1 -d5s -s "$HERE/paced.lua" "http://127.0.0.1:$APP_PORT/a" > /dev/null
sleep 2  # batches close every 0.5 s and go to the spool while the server is away
spooled_files=$(ls "$WORK/spool-node-a" | grep -c '\.batch$' || true)
assert_ge "spool files before the kill" 1 "$spooled_files"
kill -KILL "$A_PID"; wait "$A_PID" 2>/dev/null || true
start_agent node-a "$API"
A_PID=$AGENT_PID
start_server
wait_stored
assert_eq "requests stored after the kill (spooled records delivered once)" "$(served)" "$(stored)"

log "exit reports and the server's per-node status balance"
kill -INT "$A_PID" "$B_PID"; wait "$A_PID" "$B_PID" || true
jq .exporter "$WORK/node-a.json" > "$WORK/a-exit.json"
balanced "$WORK/a-exit.json" && pass "node-a exit report balances: $(jq -c '{captured,inherited,sent,spooled,dropped}' "$WORK/a-exit.json")" ||
  fail "node-a exit report does not balance: $(cat "$WORK/a-exit.json")"
assert_ge "node-a inherited the killed agent's spool" 1 "$(jq .inherited "$WORK/a-exit.json")"
assert_eq "node-a dropped" 0 "$(jq .dropped "$WORK/a-exit.json")"
curl -s -H "Authorization: Bearer outage-test-token" "$API/api/v1/status" > "$WORK/status.json"
jq '.agents["node-a"].exporter' "$WORK/status.json" > "$WORK/a-status.json"
balanced "$WORK/a-status.json" && pass "server status for node-a balances" ||
  fail "server status for node-a: $(cat "$WORK/a-status.json")"
# The agent's last stats report leaves as it exits.
KEYS='{captured,inherited,sent,queued,spooled,dropped}'
assert_eq "server status = exit report" "$(jq -c "$KEYS" "$WORK/a-exit.json")" "$(jq -c "$KEYS" "$WORK/a-status.json")"
assert_eq "ring-buffer losses reported" "$(jq .capture.ring_buffer_drops "$WORK/node-a.json")" \
  "$(jq '.agents["node-a"].capture.ring_buffer_drops' "$WORK/status.json")"

jq .exporter "$WORK/node-b.json" > "$WORK/b-exit.json"
balanced "$WORK/b-exit.json" && pass "node-b exit report balances" || fail "node-b: $(cat "$WORK/b-exit.json")"
assert_ge "node-b batches set aside (records)" 1 "$(jq .dropped_by_reason.rejected "$WORK/b-exit.json")"
assert_eq "each refused batch sent once (records posted = records rejected)" \
  "$(jq .dropped_by_reason.rejected "$WORK/b-exit.json")" "$(awk '{ n += $1 } END { print n + 0 }' "$WORK/refused.log")"
# Refused in the binary form too (as a server from before it would), so
# each batch was tried once that way, then once as JSON, then set aside.
assert_eq "each refused batch tried once in the binary form first" \
  "$(wc -l < "$WORK/refused.log")" "$(wc -l < "$WORK/refused.log.codec")"
assert_eq "node-b spooled nothing (a 4xx is not retried)" 0 "$(jq .spooled "$WORK/b-exit.json")"
lines=$(grep -c "set aside" "$WORK/node-b.err" || true)
assert_ge "refusal logged" 1 "$lines"
assert_le "refusal log lines (at most one per 10 s)" $((OUTAGE_S / 10 + 4)) "$lines"
finish
