#!/usr/bin/env bash
# `loupe agent` overloaded while its server is away: nginx serves as fast as
# wrk can drive it on 200 connections (several times the 1k req/s of
# test_agent_outage.sh; the agent records both ends), with the server down
# for the whole load and a 256 KiB spool, so the agent captures many times
# what it can keep (the batch codec spools ~100 records per KiB: 1 MiB held
# all of a 15 s run's 86-100k records on a quiet machine, and nothing was
# dropped to test). Its peak RSS stays under the chart's 512 MiB limit, it
# keeps running, what does not fit is dropped and counted, its exit report
# balances (captured + inherited = sent + queued + spooled + dropped), and
# once the server is back every record it reports sent is stored exactly
# once: what it parsed is stored or counted as dropped.
source "$(dirname "$0")/lib.sh"
require_root
LOAD_S=${LOAD_S:-15}
SPOOL_KIB=${SPOOL_KIB:-256}

API_PORT=$(free_port)
APP_PORT=$(free_port)
API="http://127.0.0.1:$API_PORT"
echo "overload-test-token" > "$WORK/token"
kib() { awk -v k="$1" '$1 == k":" { print $2 }' "/proc/$AGENT_PID/status"; }
stored() {  # records in the server's store
  curl -s -H "Authorization: Bearer overload-test-token" "$API/api/v1/status" | jq .store.records_stored
}

start_nginx "$APP_PORT"
"$LOUPE" agent --server "$API" --token-file "$WORK/token" --node-name overload --port "$APP_PORT" \
  --spool-dir "$WORK/spool" --spool-max "${SPOOL_KIB}K" -o json > "$WORK/agent.json" 2> "$WORK/agent.err" &
AGENT_PID=$!
PIDS+=($AGENT_PID)
wait_for_line "$WORK/agent.err" "sending to" "$AGENT_PID"
log "idle agent: VmRSS $(kib VmRSS) KiB; server down, wrk for ${LOAD_S}s"

wrk -t2 -c200 -d"${LOAD_S}s" "http://127.0.0.1:$APP_PORT/a" > "$WORK/wrk.txt"
served=$(wc -l < "$NGINX_LOG" | tr -d ' ')
log "nginx served $served requests ($((served / LOAD_S)) req/s)"
sleep 2  # the last batches close and reach the spool
kill -0 "$AGENT_PID" 2> /dev/null && pass "agent still running after the overload" || fail "agent died: $(tail -5 "$WORK/agent.err")"
hwm_mib=$(($(kib VmHWM) / 1024))
assert_le "agent peak RSS under overload and outage (MiB; the chart's limit is 512)" 512 "$hwm_mib"
assert_ge "requests served under overload (at least 3x test_agent_outage's 1k/s)" $((LOAD_S * 3000)) "$served"

start_loupe_server "$API_PORT" "$WORK/token"
for _ in $(seq 1 120); do  # the spool is replayed, then the agent idles
  [[ $(find "$WORK/spool" -name '*.batch' | wc -l) -eq 0 ]] && break
  sleep 0.5
done
kill -INT "$AGENT_PID"; wait "$AGENT_PID" || true
jq .exporter "$WORK/agent.json" > "$WORK/exit.json"
log "exit report: $(jq -c '{captured,sent,queued,spooled,dropped,dropped_by_reason}' "$WORK/exit.json")"
log "captured $(jq '.captured / ([.sent, 1] | max) | floor' "$WORK/exit.json")x what it could keep and send"
jq -e '.captured + .inherited == .sent + .queued + .spooled + .dropped' "$WORK/exit.json" > /dev/null &&
  pass "exit report balances" || fail "exit report does not balance: $(cat "$WORK/exit.json")"
assert_ge "records dropped and counted (the spool holds $SPOOL_KIB KiB)" 1 "$(jq .dropped_by_reason.spool_full "$WORK/exit.json")"
sent=$(jq .sent "$WORK/exit.json")
for _ in $(seq 1 20); do [[ $(stored) -ge $sent ]] && break; sleep 0.5; done
assert_eq "records stored = records the agent sent (exactly once)" "$sent" "$(stored)"
assert_eq "records parsed = records stored + records dropped (counted)" \
  "$(jq '.captured + .inherited' "$WORK/exit.json")" "$(($(stored) + $(jq .dropped "$WORK/exit.json")))"
assert_le "spool within --spool-max at exit (bytes)" $((SPOOL_KIB << 10)) "$(jq .spool_bytes "$WORK/exit.json")"
finish
