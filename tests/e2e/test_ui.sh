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

"$LOUPE" run --listen "127.0.0.1:$API_PORT" --data-dir "$WORK/data" --ui-dir "$LOUPE_SRC/ui/dist" \
  > "$WORK/run.out" 2> "$WORK/run.err" &
PIDS+=($!)
for i in $(seq 1 100); do grep -q "Loupe is running" "$WORK/run.out" && break; sleep 0.1; done

log "traffic: the known mix, plus nginx routes"
python3 "$HERE/mix_client.py" "$APP_PORT"
for i in $(seq 40); do curl -s -o /dev/null "http://127.0.0.1:$NGINX_PORT/a"; done
for id in 1 2 3 4 5; do curl -s -o /dev/null "http://127.0.0.1:$NGINX_PORT/users/$id"; done
for i in $(seq 5); do curl -s -o /dev/null "http://127.0.0.1:$NGINX_PORT/c"; done
sleep 1.5  # the store writes every 200 ms

if node "$LOUPE_SRC/tests/ui/run.mjs" --url "http://127.0.0.1:$API_PORT" > "$WORK/ui.out" 2>&1; then
  pass "browser tests"
else
  fail "browser tests"
fi
grep -E "^# (pass|fail|tests)|^not ok" "$WORK/ui.out" || tail -40 "$WORK/ui.out"
finish
