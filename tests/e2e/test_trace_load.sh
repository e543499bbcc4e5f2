#!/usr/bin/env bash
# Not one request lost at about 10k requests/s: wrk paced with its Lua
# delay() hook against nginx; nginx's access log is the truth. Then at
# saturation (wrk -t1 -c32, both CPUs busy): still none lost.
source "$(dirname "$0")/lib.sh"
require_root
HERE=$(cd "$(dirname "$0")" && pwd)

PORT=$(free_port)
start_nginx "$PORT"
OUT="$WORK/trace.jsonl"
start_trace "$OUT" --port "$PORT" --comm nginx

log "wrk: 14 connections x 1 request/ms (~10k req/s) for 5 s"
wrk -t2 -c14 -d5s -s "$HERE/paced.lua" "http://127.0.0.1:$PORT/a" | tee "$WORK/wrk.txt"
stop_trace

truth=$(awk '$2=="/a"' "$NGINX_LOG" | wc -l | tr -d ' ')
seen=$(count "$OUT" '.role=="server" and .path=="/a" and .status==200')
rate=$((truth / 5))
assert_ge "offered rate (req/s)" 7000 "$rate"
assert_eq "server records vs nginx access log" "$truth" "$seen"
assert_eq "events dropped" 0 "$(grep -o '[0-9]* events dropped' "$OUT.err" | cut -d' ' -f1)"
grep "loupe trace:" "$OUT.err" | tail -1

: > "$NGINX_LOG"
OUT="$WORK/saturated.jsonl"
start_trace "$OUT" --port "$PORT" --comm nginx
log "wrk: 32 connections, unpaced, for 5 s"
wrk -t1 -c32 -d5s "http://127.0.0.1:$PORT/a" | tee "$WORK/wrk-saturated.txt"
stop_trace
truth=$(awk '$2=="/a"' "$NGINX_LOG" | wc -l | tr -d ' ')
seen=$(count "$OUT" '.role=="server" and .path=="/a" and .status==200')
assert_eq "saturated: server records vs nginx access log" "$truth" "$seen"
assert_eq "saturated: events dropped" 0 "$(grep -o '[0-9]* events dropped' "$OUT.err" | cut -d' ' -f1)"
grep "loupe trace:" "$OUT.err" | tail -1
finish
