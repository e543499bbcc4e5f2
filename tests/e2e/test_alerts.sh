#!/usr/bin/env bash
# Alerting end to end under `loupe run --alerts`: a burst of 5xx from a real
# HTTP server fires an error-rate rule after `for`, delivered to a webhook,
# a Slack-style receiver and a real Alertmanager (read back through its v2
# API); a restart does not resend; a silenced rule is never delivered; the
# alert resolves after the burst; a receiver answering 500 and one that hangs
# get counted retries while evaluation goes on; `loupe alerts check` names
# the line of a bad field.
source "$(dirname "$0")/lib.sh"
require_root
HERE=$(cd "$(dirname "$0")" && pwd)
command -v prometheus-alertmanager >/dev/null || { echo "needs prometheus-alertmanager (scripts/setup.sh --test)" >&2; exit 1; }

APP_PORT=$(free_port)
API_PORT=$(free_port)
AM_PORT=$(free_port)
HOOK_PORT=$(free_port)
FAIL_PORT=$(free_port)
HANG_PORT=$(free_port)
API="http://127.0.0.1:$API_PORT"
HOOK_LOG="$WORK/hook.jsonl"
touch "$HOOK_LOG"

log "alerts check: a bad file is reported with its line, a good one passes"
cat > "$WORK/bad.yaml" <<'YAML'
rules:
  - name: x
    signal: error_rate
    threshold: 0.1
    windw: 5m
YAML
if "$LOUPE" alerts check "$WORK/bad.yaml" 2> "$WORK/check.err"; then fail "bad file accepted"; fi
grep -q "bad.yaml:5: rules\[0\] (x).windw: unknown field" "$WORK/check.err" && pass "bad field reported at line 5" || { cat "$WORK/check.err"; fail "no line in the error"; }

cat > "$WORK/alerts.yaml" <<YAML
receivers:
  - {name: hook, type: webhook, url: "http://127.0.0.1:$HOOK_PORT/hook"}
  - {name: slack, type: slack, url: "http://127.0.0.1:$HOOK_PORT/slack"}
  - {name: am, type: alertmanager, url: "http://127.0.0.1:$AM_PORT"}
  - {name: failing, type: webhook, url: "http://127.0.0.1:$FAIL_PORT/", timeout: 1s, max_attempts: 2}
  - {name: hanging, type: webhook, url: "http://127.0.0.1:$HANG_PORT/", timeout: 1s, max_attempts: 2}
rules:
  - name: Burst
    signal: error_rate
    scope: {route: "/status/{id}"}
    group_by: [service]
    op: ">"
    threshold: 0.5
    window: 10s
    for: 3s
    min_requests: 5
    severity: critical
    annotations: {summary: "{{ .labels.service }} fails {{ .value }}"}
  - name: BurstSilenced
    signal: error_rate
    scope: {route: "/status/{id}"}
    threshold: 0.5
    window: 4s
    receivers: [hook]
YAML
"$LOUPE" alerts check "$WORK/alerts.yaml" >/dev/null && pass "alerts file valid" || fail "alerts file rejected"

cat > "$WORK/am.yml" <<'YAML'
route: {receiver: none}
receivers: [{name: none}]
YAML
prometheus-alertmanager --config.file="$WORK/am.yml" --storage.path="$WORK/am" \
  --web.listen-address="127.0.0.1:$AM_PORT" --cluster.listen-address= > "$WORK/am.log" 2>&1 & PIDS+=($!)
python3 "$HERE/alert_receiver.py" "$HOOK_PORT" ok "$HOOK_LOG" & PIDS+=($!)
python3 "$HERE/alert_receiver.py" "$FAIL_PORT" fail "$WORK/fail.jsonl" & PIDS+=($!)
python3 "$HERE/alert_receiver.py" "$HANG_PORT" hang "$WORK/hang.jsonl" & PIDS+=($!)
python3 "$HERE/http_server.py" "$APP_PORT" & PIDS+=($!)
for p in "$AM_PORT" "$HOOK_PORT" "$FAIL_PORT" "$HANG_PORT" "$APP_PORT"; do wait_for_port "$p"; done

start_run() {
  start_loupe_run --listen "127.0.0.1:$API_PORT" --data-dir "$WORK/data" --port "$APP_PORT" \
    --alerts "$WORK/alerts.yaml" --alerts-eval-interval 1s
}
stop_run() { kill -INT "$RUN_PID"; wait "$RUN_PID" || true; }
# hook_count STATUS / slack_count STATUS: notifications of rule Burst received.
hook_count() {
  jq -c "select(.path == \"/hook\" and .body.groupLabels.alertname == \"Burst\" and .body.status == \"$1\")" "$HOOK_LOG" | wc -l | tr -d ' '
}
slack_count() {
  jq -c "select(.path == \"/slack\" and (.body.text | contains(\"[$1] Burst:\")))" "$HOOK_LOG" | wc -l | tr -d ' '
}
fired() { (($(hook_count firing) >= 1)); }
slack_fired() { (($(slack_count FIRING) >= 1)); }
resolved() { (($(hook_count resolved) >= 1)); }
wait_until() {  # wait_until SECONDS COMMAND...
  local end=$((SECONDS + $1)); shift
  until "$@"; do ((SECONDS < end)) || return 1; sleep 0.3; done
}

start_run
curl -s -X POST "$API/api/v1/silences" -H 'Content-Type: application/json' \
  -d '{"matchers":[{"name":"alertname","value":"BurstSilenced"}],"duration":"1h","comment":"e2e"}' > "$WORK/silence.json"
jq -e '.silenceID' "$WORK/silence.json" >/dev/null && pass "silence created" || fail "silence: $(cat "$WORK/silence.json")"

log "5xx burst: 20 req/s on /status/500"
( while true; do curl -s -o /dev/null "http://127.0.0.1:$APP_PORT/status/500"; sleep 0.05; done ) & BURST=$!
PIDS+=($BURST)
T0=$SECONDS
wait_until 20 fired && pass "webhook got the firing alert after $((SECONDS - T0)) s" || fail "no firing webhook"
assert_ge "seconds before firing (for: 3s)" 3 $((SECONDS - T0))
jq -s -e '[.[] | select(.path == "/hook") | .body | select(.status == "firing")][0] |
  .version == "4" and .receiver == "hook" and .groupLabels.alertname == "Burst" and
  (.alerts[0].labels.service | length > 0) and .alerts[0].labels.severity == "critical" and
  (.alerts[0].annotations.summary | test("fails 1")) and
  (.alerts[0].generatorURL | startswith("'"$API"'/services/"))' "$HOOK_LOG" >/dev/null \
  && pass "webhook payload: version 4, labels, annotation template, generatorURL" || { tail -3 "$HOOK_LOG"; fail "webhook payload"; }
wait_until 10 slack_fired && pass "slack payload with text" || fail "no slack payload"
jq -s -e '[.[] | select(.path == "/slack") | .body.text][0] | test("<http.*\\|open in Loupe>")' "$HOOK_LOG" >/dev/null \
  && pass "slack text links to Loupe" || fail "slack text has no link"
am_has_burst() { curl -s "http://127.0.0.1:$AM_PORT/api/v2/alerts" | jq -e 'any(.[]; .labels.alertname == "Burst")' >/dev/null; }
wait_until 10 am_has_burst && pass "Alertmanager lists the alert (v2 API)" || fail "alert not in Alertmanager"

log "restart while still firing: no second firing notification"
stop_run
start_run
sleep 3
assert_eq "firing webhooks after restart" 1 "$(hook_count firing)"
curl -s "$API/api/v1/alerts?state=firing" > "$WORK/firing.json"
assert_eq "Burst firing after restart" true "$(jq 'any(.[]; .rule == "Burst")' "$WORK/firing.json")"
assert_eq "BurstSilenced firing but silenced" true "$(jq 'any(.[]; .rule == "BurstSilenced" and .silenced)' "$WORK/firing.json")"

log "burst stops: the alert resolves"
kill "$BURST"
wait_until 20 resolved && pass "webhook got the resolution" || fail "no resolution"
assert_eq "silenced rule never delivered" 0 "$(jq -c 'select(.body.groupLabels.alertname == "BurstSilenced")' "$HOOK_LOG" | wc -l | tr -d ' ')"
curl -s "$API/api/v1/alerts/rules" > "$WORK/rules.json"
assert_eq "rules list Burst with a last evaluation" true "$(jq 'any(.[]; .name == "Burst" and .last_eval != null and .error == null)' "$WORK/rules.json")"

log "failing and hanging receivers: counted retries, evaluation goes on"
failed_ok() {
  curl -s "$API/api/v1/status" > "$WORK/status.json"
  jq -e '[.alerts.receivers[] | select(.name == "failing" or .name == "hanging") | .dropped >= 1] == [true, true]' "$WORK/status.json" >/dev/null
}
wait_until 20 failed_ok && pass "failing and hanging receivers dropped after 2 attempts" || { jq .alerts "$WORK/status.json"; fail "receiver failures not counted"; }
assert_ge "failing receiver attempts (2 per notification)" 2 "$(jq '[.alerts.receivers[] | select(.name == "failing")][0].failed_attempts' "$WORK/status.json")"
assert_eq "failing receiver saw a 500" true "$(jq '[.alerts.receivers[] | select(.name == "failing")][0].last_error | contains("HTTP 500")' "$WORK/status.json")"
E1=$(jq .alerts.evaluations "$WORK/status.json")
sleep 2
assert_ge "evaluations keep going" $((E1 + 1)) "$(curl -s "$API/api/v1/status" | jq .alerts.evaluations)"
stop_run
finish
