#!/usr/bin/env bash
# Logs end to end through `loupe agent` and `loupe server`: a process writes
# 200,000 numbered lines into a kubelet-layout pod log at 25,000 lines/s,
# with the kubelet's rotations (rename, new file, gzip of the previous one)
# every 1 MB, and the agent is SIGKILLed and restarted twice mid-way (files
# rotate while it is down): every number is in /api/v1/logs exactly once, in
# order, with the runtime's partial lines joined. Then: a copytruncate rotation and a
# deleted-and-recreated file lose nothing; a Java and a Python stack trace
# are one entry each; search, level filter, histogram and `loupe query logs`;
# log_count alert rules on words and on a pattern fire with the counts;
# lines read while the server is down wait in the agent's log spool, and
# reach the server after the agent restarts with their file gone.
source "$(dirname "$0")/lib.sh"
require_root
HERE=$(cd "$(dirname "$0")" && pwd)
COUNT=${COUNT:-200000}

API_PORT=$(free_port)
API="http://127.0.0.1:$API_PORT"
echo "logs-test-token" > "$WORK/token"
POD="$WORK/pods/shop_writer-1_0c0ffee0-uid"
mkdir -p "$POD/app" "$POD/side" "$POD/trace"

start_agent() {
  "$LOUPE" agent --server "$API" --token-file "$WORK/token" --node-name e2e --port 1 \
    --metrics-interval 0 --spool-dir "$WORK/spool" --logs "$WORK/pods/*/*/*.log" \
    --logs-checkpoint "$WORK/log-checkpoints.json" > /dev/null 2>> "$WORK/agent.err" &
  AGENT_PID=$!
  PIDS+=($AGENT_PID)
}
api() { curl -s -H "Authorization: Bearer logs-test-token" "$API$1"; }
# texts CONTAINER: every entry's text of one container, oldest first (all pages).
# One jq a page, the cursor on its first line: a page of 10,000 entries held
# in a shell variable and read by two jq took ~2.5 s under load, 20 pages.
texts() {
  local cursor=""
  : > "$WORK/texts"
  while :; do
    api "/api/v1/logs?pod=writer-1&container=$1&from=$(($(date +%s) - 3600))&limit=10000${cursor:+&cursor=$cursor}" |
      jq -r '(.next_cursor // ""), .entries[].text' > "$WORK/page"
    read -r cursor < "$WORK/page" || cursor=""
    tail -n +2 "$WORK/page" >> "$WORK/texts"
    [[ -n "$cursor" ]] || break
  done
  tac "$WORK/texts"
}
wait_count() {  # wait_count CONTAINER N: until the container has N entries (at most 60 s)
  local i
  for i in $(seq 1 120); do
    [[ $(api "/api/v1/logs/histogram?pod=writer-1&container=$1&from=$(($(date +%s) - 3600))" |
      jq '[.points[].counts[]] | add // 0') -ge $2 ]] && return 0
    sleep 0.5
  done
}

cat > "$WORK/alerts.yaml" << 'RULES'
rules:
  - {name: Deadlocks, signal: log_count, pattern: deadlock, group_by: [pod], threshold: 0, window: 5m}
  - {name: JoinedLines, signal: log_count, pattern: "n <*> joined", group_by: [container],
     threshold: 0, window: 1h}
RULES
start_loupe_server "$API_PORT" "$WORK/token" --alerts "$WORK/alerts.yaml" --alerts-eval-interval 1s
start_agent
log "writer: $COUNT lines at ~25,000/s, kubelet rotations every 1 MB; agent killed twice"
python3 "$HERE/log_writer.py" "$POD/app" "$COUNT" 25000 1000000 > "$WORK/writer.out" & WRITER=$!
PIDS+=($WRITER)
for pause in 2.5 1.5; do
  sleep "$pause"
  kill -KILL "$AGENT_PID"; wait "$AGENT_PID" 2> /dev/null || true
  sleep 1.5  # ~37,000 lines, at least one rotation, while the agent is down
  start_agent
done
wait "$WRITER"
ROTATIONS=$(awk '{print $2}' "$WORK/writer.out")
assert_ge "kubelet-style rotations" 5 "$ROTATIONS"
wait_count app "$COUNT"
log "all stored; reading them back"
texts app > "$WORK/app.texts"
awk '{print $2}' "$WORK/app.texts" > "$WORK/numbers"
assert_eq "entries stored" "$COUNT" "$(wc -l < "$WORK/numbers" | tr -d ' ')"
assert_eq "every number exactly once, in order" "" "$(seq 0 $((COUNT - 1)) | diff - "$WORK/numbers" | head -5)"
assert_eq "partial lines joined" "$((COUNT / 500))" "$(grep -c ' joined$' "$WORK/app.texts")"
api "/api/v1/logs/patterns?pod=writer-1&container=app&from=$(($(date +%s) - 3600))" > "$WORK/patterns.json"
assert_eq "pattern counts equal the lines written per template" "$((COUNT - COUNT / 500)) $((COUNT / 500))" \
  "$(jq -r '[(.patterns[] | select(.pattern == "n <*>") | .count),
             (.patterns[] | select(.pattern == "n <*> joined") | .count)] | map(tostring) | join(" ")' "$WORK/patterns.json")"
"$LOUPE" query logs --server "$API" --token-file "$WORK/token" --since 1h --pod writer-1 --patterns > "$WORK/patterns.out"
grep -q "n <\*> joined" "$WORK/patterns.out" && pass "loupe query logs --patterns" ||
  fail "loupe query logs --patterns: $(cat "$WORK/patterns.out")"
assert_eq "no file lost while the agent was down" "0" \
  "$(api /api/v1/status | jq '.agents.e2e.capture.logs.lost_while_down')"

log "copytruncate, then a deleted and recreated file"
# cri_lines WORD FROM TO: CRI lines "WORD <i>" stamped now.
cri_lines() { local i now; now=$(date -u +%FT%T.%NZ); for i in $(seq "$2" "$3"); do echo "$now stdout F $1 $i"; done; }
cri_lines side 0 199 > "$POD/side/0.log"
wait_count side 200
cp "$POD/side/0.log" "$POD/side/0.log.1" && : > "$POD/side/0.log"
sleep 1  # the shrink is seen before the file grows again
cri_lines side 200 399 >> "$POD/side/0.log"
wait_count side 400
rm "$POD/side/0.log"
sleep 1
cri_lines side 400 499 > "$POD/side/0.log"
wait_count side 500
assert_eq "copytruncate and recreate: every line once" "" \
  "$(seq 0 499 | diff - <(texts side | awk '{print $2}') | head -5)"

log "stack traces"
cri() { sed "s/^/$(date -u +%FT%T.%NZ) stderr F /"; }
cri > "$POD/trace/0.log" << 'TRACE'
2026-11-30 10:00:00,001 ERROR [main] c.e.Orders - order failed
java.lang.IllegalStateException: stock is negative
	at com.example.Stock.take(Stock.java:42)
	at com.example.Orders.place(Orders.java:17)
Caused by: java.sql.SQLException: deadlock detected
	at org.postgresql.Driver.execute(Driver.java:99)
	... 12 more
2026-11-30 10:00:01,002 ERROR handler failed
Traceback (most recent call last):
  File "/app/main.py", line 10, in handle
    return items[key]
KeyError: 'user'
INFO done
TRACE
wait_count trace 3
assert_eq "a Java and a Python trace are one entry each" "3" \
  "$(api "/api/v1/logs?container=trace&from=$(($(date +%s) - 3600))" | jq '.entries | length')"
assert_eq "search finds the Java trace by a word of its cause" "1" \
  "$(api "/api/v1/logs?q=deadlock&from=$(($(date +%s) - 3600))" | jq '.entries | length')"
assert_eq "level filter" "2" \
  "$(api "/api/v1/logs?container=trace&level=error&from=$(($(date +%s) - 3600))" | jq '.entries | length')"
"$LOUPE" query logs --server "$API" --token-file "$WORK/token" --since 1h --q KeyError > "$WORK/query.out"
grep -q "ERROR  shop/writer-1/trace  .*handler failed" "$WORK/query.out" && pass "loupe query logs" ||
  fail "loupe query logs: $(cat "$WORK/query.out")"
assert_eq "bad level is a 400" "400" "$(curl -s -o /dev/null -w '%{http_code}' \
  -H "Authorization: Bearer logs-test-token" "$API/api/v1/logs?level=loud")"

log "log_count alert rules"
rule_value() {  # rule_value RULE LABEL VALUE: the rule's value for that label set (0 before)
  api /api/v1/alerts/rules | jq --arg r "$1" --arg k "$2" --arg v "$3" \
    '[.[] | select(.name == $r) | .values[] | select(.labels[$k] == $v) | .value][0] // 0'
}
for i in $(seq 1 20); do
  [[ $(rule_value Deadlocks pod writer-1) == 1 ]] && break
  sleep 0.5
done
assert_eq "log_count on a word: one deadlock in writer-1" "1" "$(rule_value Deadlocks pod writer-1)"
assert_eq "log_count on a pattern: the joined lines" "$((COUNT / 500))" \
  "$(rule_value JoinedLines container app)"
assert_eq "the Deadlocks alert fires" "writer-1" \
  "$(api /api/v1/alerts | jq -r '.[] | select(.rule == "Deadlocks" and .state == "firing") | .labels.pod')"

api /api/v1/status | jq '.agents.e2e.capture.logs' > "$WORK/status.json"
assert_ge "per-node log status: files followed" 1 "$(jq '.files_followed // 0' "$WORK/status.json")"
assert_ge "per-node log status: entries sent" 1 "$(jq '.entries_sent // 0' "$WORK/status.json")"

log "server down: the agent spools what it reads; restarted with the file gone, it replays"
mkdir -p "$POD/spooled"
kill "$SERVER_PID"; wait "$SERVER_PID" 2> /dev/null || true
cri_lines spooled 0 299 > "$POD/spooled/0.log"
for i in $(seq 1 40); do
  ls "$WORK/spool/logs" 2> /dev/null | grep -qv tmp && break
  sleep 0.25
done
sleep 2  # the last entry completes (its writer is quiet for 1 s) and is spooled too
kill -KILL "$AGENT_PID"; wait "$AGENT_PID" 2> /dev/null || true
rm -r "$POD/spooled"
start_agent
start_loupe_server "$API_PORT" "$WORK/token"
wait_count spooled 300
assert_eq "spooled while the server was down: every line once" "" \
  "$(seq 0 299 | diff - <(texts spooled | awk '{print $2}') | head -5)"
finish
