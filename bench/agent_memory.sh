#!/usr/bin/env bash
# Peak memory of `loupe agent` when its server is away and nginx is driven
# as hard as wrk can (unpaced, far above the ~1k req/s of a busy node):
# records pile up in memory (--queue-max) and the spool (--spool-max), so
# the peak shows whether the agent holds its bounds instead of growing.
# Usage (root): bench/agent_memory.sh [build-dir] [seconds] [spool-max]
# Result rows go to docs/benchmarks.md under "Agent memory" by hand.
set -euo pipefail
build=${1:-build}
secs=${2:-60}
spool_max=${3:-64M}
SRC=$(cd "$(dirname "$0")/.." && pwd)
LOUPE="$build/loupe"
source "$SRC/tests/e2e/lib.sh"
require_root

port=$(free_port)
dead=$(free_port)  # nothing listens here: the server is down for the whole run
start_nginx "$port"
"$LOUPE" agent --server "http://127.0.0.1:$dead" --node-name bench --port "$port" \
  --spool-dir "$WORK/spool" --spool-max "$spool_max" -o json > "$WORK/report.json" 2> "$WORK/agent.err" &
agent=$!
PIDS+=($agent)
for _ in $(seq 100); do grep -q "sending to" "$WORK/agent.err" && break; sleep 0.1; done
wrk -t2 -c32 -d"${secs}s" "http://127.0.0.1:$port/a" > "$WORK/wrk.txt" &
PIDS+=($!)
peak=0
for _ in $(seq "$secs"); do
  sleep 1
  rss=$(awk '/VmHWM/ { print $2 }' "/proc/$agent/status")
  ((rss > peak)) && peak=$rss
done
wait "${PIDS[-1]}" || true
kill -INT "$agent"; wait "$agent" || true
jq -r --arg peak "$peak" --arg rps "$(awk '/Requests\/sec/ { print int($2) }' "$WORK/wrk.txt")" \
  --arg spool "$(du -sk "$WORK/spool" | cut -f1)" \
  '"| \($rps) req/s | \(.exporter.captured) | \(.exporter.spooled) | \(.exporter.dropped) | \(.capture.ring_buffer_drops) | \($spool) KiB | \($peak | tonumber / 1024 | floor) MiB |"' \
  "$WORK/report.json"
jq -c .exporter.dropped_by_reason "$WORK/report.json"
jq -e '.exporter.captured + .exporter.inherited == .exporter.sent + .exporter.queued + .exporter.spooled + .exporter.dropped' \
  "$WORK/report.json" > /dev/null || echo "report does not balance: $(cat "$WORK/report.json")"
