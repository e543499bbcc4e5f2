#!/usr/bin/env bash
# Bad input never crashes or bloats the tracer: random bytes, a 10 MiB
# header, a half request that hangs, 10k idle connections, a process that
# exits mid-request. Afterwards normal requests are still traced.
source "$(dirname "$0")/lib.sh"
require_root
HERE=$(cd "$(dirname "$0")" && pwd)

PORT=$(free_port)
start_nginx "$PORT"
OUT="$WORK/trace.jsonl"
start_trace "$OUT" --port "$PORT"

python3 "$HERE/bad_clients.py" "$PORT" 10000
rss_kb=$(awk '/VmHWM/ {print $2}' /proc/$TRACE_PID/status)
for i in $(seq 5); do curl -s -o /dev/null "http://127.0.0.1:$PORT/a"; done
kill -0 "$TRACE_PID" && pass "tracer alive after bad input" || fail "tracer died"
stop_trace

assert_le "tracer peak RSS (KiB)" 102400 "$rss_kb"
assert_eq "normal requests still traced" 5 "$(count "$OUT" '.role=="client" and .comm=="curl" and .path=="/a"')"
undetected=$(grep -o '[0-9]* connections with an unknown protocol' "$OUT.err" | cut -d' ' -f1)
assert_ge "random-byte connections counted as unknown protocol" 15 "$undetected"
grep "loupe trace:" "$OUT.err" | tail -1
finish
