#!/usr/bin/env bash
# The web UI in a real browser (Playwright + Debian's Chromium) against a
# real `loupe run` holding traffic captured from real servers and clients.
source "$(dirname "$0")/lib.sh"
require_root
HERE=$(cd "$(dirname "$0")" && pwd)
[[ -f "$LOUPE_SRC/ui/dist/index.html" ]] || { echo "ui/dist is not built: run scripts/build-ui.sh" >&2; exit 1; }

API_PORT=$(free_port)
APP_PORT=$(free_port)
NGINX_PORT=$(free_port)
python3 "$HERE/timed_server.py" "$APP_PORT" "$WORK/timing.log" & PIDS+=($!)
wait_for_port "$APP_PORT"
start_nginx "$NGINX_PORT"
# An application logging each request to a file that loupe run follows.
LOG_PORT=$(free_port)
mkdir -p "$WORK/app-logs"
python3 "$HERE/log_app.py" "$LOG_PORT" "$WORK/app-logs/app.log" & PIDS+=($!)
wait_for_port "$LOG_PORT"

# Alerts for the Alerts page: one per service with traffic, the built-ins on
# the fixture cluster (the OOM kill 15 min ago needs a 1 h window), a rule
# that cannot evaluate, a baseline without history, a receiver that is down.
cat > "$WORK/alerts.yaml" <<YAML
receivers:
  - {name: down, type: webhook, url: "http://127.0.0.1:$(free_port)/hook", timeout: 1s, max_attempts: 2}
rules:
  - {name: ServiceTraffic, signal: request_rate, group_by: [service], op: ">", threshold: 0, window: 1h}
  - {name: ContainerOOMKilled, window: 1h}
  - {name: Panics, signal: log_count, pattern: panic, threshold: 0}
  - {name: SlowerThanUsual, signal: latency, group_by: [service], change_pct: 200, compare: baseline, window: 1h}
YAML

# --insecure: no token (the browser tests read the API directly), yet the
# collector's snapshot is taken. Metrics every 2 s: node rates (two samples
# apart) exist by the time the Metrics page is tested.
"$LOUPE" run --listen "127.0.0.1:$API_PORT" --data-dir "$WORK/data" --ui-dir "$LOUPE_SRC/ui/dist" --insecure \
  --alerts "$WORK/alerts.yaml" --alerts-eval-interval 1s --metrics-interval 2s \
  --logs "$WORK/app-logs/*.log" > "$WORK/run.out" 2> "$WORK/run.err" &
PIDS+=($!)
for i in $(seq 1 100); do grep -q "Loupe is running" "$WORK/run.out" && break; sleep 0.1; done

log "traffic: the known mix, plus nginx routes"
python3 "$HERE/mix_client.py" "$APP_PORT"
for i in $(seq 40); do curl -s -o /dev/null "http://127.0.0.1:$NGINX_PORT/a"; done
for id in 1 2 3 4 5; do curl -s -o /dev/null "http://127.0.0.1:$NGINX_PORT/users/$id"; done
for i in $(seq 5); do curl -s -o /dev/null "http://127.0.0.1:$NGINX_PORT/c"; done

log "the logging app: 6 orders served, 3 failing (one error entry each, with its traceback), each with a trace id"
LOG_ERRORS=3
for n in 1 2 3 4 5 6 7 8 9; do
  what=order; (( n % 3 == 0 )) && what=boom
  curl -s -o /dev/null -H "traceparent: 00-$(printf '4bf92f3577b34da6a3ce929d0e0e47%02x' "$n")-00f067aa0ba902b7-01" \
    "http://127.0.0.1:$LOG_PORT/$what/$n"
done

log "a cluster: the fake API server's fixtures, moved into the last 20 minutes, sent by loupe cluster --once"
python3 - "$LOUPE_SRC/tests/k8s/fixtures/cluster.json" "$WORK/cluster.json" <<'PY'
import datetime, re, sys
start = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=20)
def moved(m):  # the fixtures' 2026-11-25T10:MM:SS becomes start + MM:SS
    t = start + datetime.timedelta(minutes=int(m.group(1)), seconds=int(m.group(2)))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")
text = re.sub(r"2026-11-25T10:(\d\d):(\d\d)Z", moved, open(sys.argv[1]).read())
open(sys.argv[2], "w").write(text)
PY
source "$HERE/fake_k8s_api.sh"
start_fake_apiserver "$WORK/cluster.json"
"$LOUPE" cluster --kubeconfig "$WORK/kubeconfig" --server "http://127.0.0.1:$API_PORT" --once > /dev/null ||
  fail "loupe cluster --once"

log "a shop under load: an app on PostgreSQL and Redis calling a flaky payments service, with an incident"
source "$HERE/db_servers.sh"
PG_PORT=$(free_port)
REDIS_PORT=$(free_port)
PAY_PORT=$(free_port)
SHOP_PORT=$(free_port)
start_postgres "$PG_PORT"
start_redis "$REDIS_PORT"
/usr/bin/python3 "$HERE/shop_workload.py" payments "$PAY_PORT" "$WORK/incident" & PIDS+=($!)
/usr/bin/python3 "$HERE/shop_workload.py" app "$SHOP_PORT" "$PG_PORT" "$REDIS_PORT" "$PAY_PORT" & PIDS+=($!)
wait_for_port "$PAY_PORT"
wait_for_port "$SHOP_PORT"
/usr/bin/python3 "$HERE/shop_workload.py" load "$SHOP_PORT" 24 "$WORK/incident" "$WORK/shop.json" ||
  fail "the shop's load generator"
sleep 1.5  # the store writes every 200 ms

if LOG_APP_PORT=$LOG_PORT LOG_APP_ERRORS=$LOG_ERRORS \
  node "$LOUPE_SRC/tests/ui/run.mjs" --url "http://127.0.0.1:$API_PORT" > "$WORK/ui.out" 2>&1; then
  pass "browser tests"
else
  fail "browser tests"
fi
grep -E "^# (pass|fail|tests)|^not ok" "$WORK/ui.out" || tail -40 "$WORK/ui.out"
grep -A12 "^ \+not ok" "$WORK/ui.out" | head -60 || true

if node "$LOUPE_SRC/tests/ui/oncall.mjs" --url "http://127.0.0.1:$API_PORT" --facts "$WORK/shop.json" \
  --app-port "$SHOP_PORT" --pg-port "$PG_PORT" > "$WORK/oncall.out" 2>&1; then
  pass "the on-call questions in the browser"
else
  fail "the on-call questions in the browser"
fi
grep -E "^# (pass|fail|tests|page loads|/)|^not ok" "$WORK/oncall.out" || tail -40 "$WORK/oncall.out"
grep -A12 "^    not ok" "$WORK/oncall.out" | head -60 || true

# LOUPE_SCREENSHOTS=DIR (scripts/screenshots.sh): photograph each page of this
# run into DIR (the browser tests above add the 100-service map).
if [[ -n ${LOUPE_SCREENSHOTS:-} ]]; then
  node "$LOUPE_SRC/tests/ui/screenshots.mjs" --url "http://127.0.0.1:$API_PORT" --out "$LOUPE_SCREENSHOTS" ||
    fail "screenshots"
fi

log "a server with a token: the UI asks for it once per tab"
TOKEN_PORT=$(free_port)
openssl rand -hex 16 > "$WORK/token"
"$LOUPE" server --listen "127.0.0.1:$TOKEN_PORT" --data-dir "$WORK/token-data" \
  --ui-dir "$LOUPE_SRC/ui/dist" --token-file "$WORK/token" > /dev/null 2> "$WORK/server.err" &
PIDS+=($!)
wait_for_line "$WORK/server.err" "serving" $!
if node "$LOUPE_SRC/tests/ui/token_prompt.mjs" --url "http://127.0.0.1:$TOKEN_PORT" \
  --token "$(cat "$WORK/token")" > "$WORK/token_ui.out" 2>&1; then
  pass "token prompt"
else
  fail "token prompt"
  tail -40 "$WORK/token_ui.out"
fi
finish
