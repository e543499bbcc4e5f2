#!/usr/bin/env bash
# `loupe agent` under pipelined Redis with its server up on the same host:
# the agent captures faster than the server stores (16 commands per
# syscall, both ends traced), so its exporter must hold the difference.
# Per run: records the agent parsed (its exit report's `captured`) against
# records the server stored, the exporter's drops by reason, ring-buffer
# losses, the agent's peak RSS and how long the backlog took to drain.
#
#   sudo LOUPE=build/loupe [LOUPE_B=other/loupe] bench/agent_pipelined.sh [ROUNDS] [REQUESTS]
#
# With LOUPE_B, the two builds alternate within each round (B first), so
# machine noise hits both alike. REQUESTS per command (SET and GET),
# default 100000; --spool-max is the agent's default (256M).
set -euo pipefail
ROUNDS=${1:-2}
REQUESTS=${2:-100000}
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../tests/e2e/lib.sh"
source "$HERE/../tests/e2e/db_servers.sh"
require_root
for tool in redis-server redis-benchmark jq curl; do
  command -v "$tool" > /dev/null || { echo "agent_pipelined.sh: needs $tool" >&2; exit 1; }
done
load1() { cut -d' ' -f1 /proc/loadavg; }
START=$(date +%s)
LOAD0=$(load1)

RPORT=$(free_port)
start_redis "$RPORT"
API_PORT=$(free_port)
head -c 24 /dev/urandom | base64 > "$WORK/token"
start_loupe_server "$API_PORT" "$WORK/token"
stored() {
  curl -sf -H "Authorization: Bearer $(cat "$WORK/token")" "http://127.0.0.1:$API_PORT/api/v1/status" |
    jq '.store.ingest.written'
}
settle() {  # until the server's count holds for 2 s and the spool is empty (at most 120 s)
  local prev=-1 now same=0 i
  for i in $(seq 240); do
    now=$(stored)
    if [[ $now == "$prev" ]] && ! compgen -G "$1/*.batch" > /dev/null; then
      same=$((same + 1))
      ((same >= 4)) && return
    else
      same=0
    fi
    prev=$now
    sleep 0.5
  done
}

# run BUILD LABEL ROUND: one agent, one redis-benchmark, one result line.
run() {
  local bin=$1 label=$2 round=$3 spool="$WORK/spool-$2-$3" agent s0 s1 t0 t1 rps
  : > "$WORK/agent.err"
  "$bin" agent --server "http://127.0.0.1:$API_PORT" --token-file "$WORK/token" \
    --node-name "bench-$label" --port "$RPORT" --spool-dir "$spool" --metrics-interval 0 \
    -o json > "$WORK/agent.json" 2> "$WORK/agent.err" &
  agent=$!
  PIDS+=($agent)
  wait_for_line "$WORK/agent.err" "sending to" "$agent"
  s0=$(stored)
  t0=$(date +%s.%N)
  redis-benchmark -h 127.0.0.1 -p "$RPORT" -P 16 -c 50 -n "$REQUESTS" -t set,get --csv \
    2> /dev/null > "$WORK/redis.out"
  rps=$(awk -F'"' '$2=="SET" || $2=="GET" {s += $4; k++} END {printf "%.0f", s / k}' "$WORK/redis.out")
  settle "$spool"
  t1=$(date +%s.%N)
  local hwm
  hwm=$(awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$agent/status")
  kill -INT "$agent"
  wait "$agent" || true
  settle "$spool"  # what the agent sent as it stopped
  s1=$(stored)
  jq -r --arg build "$label" --arg round "$round" --arg rps "$rps" --arg stored $((s1 - s0)) \
    --arg hwm "$hwm" --arg drain "$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')" --arg load "$(load1)" \
    '"\($build) \($round) \($rps) \(.exporter.captured) \($stored) \(.exporter.dropped_by_reason.memory_full) \(.exporter.dropped_by_reason.spool_full) \(.capture.ring_buffer_drops) \($hwm) \($drain) \($load)"' \
    "$WORK/agent.json" >> "$WORK/results"
  echo "round $round $label: $(tail -1 "$WORK/results") ($(($(date +%s) - START)) s)" >&2
  rm -rf "$spool"
}

: > "$WORK/results"
for r in $(seq "$ROUNDS"); do
  [[ -n ${LOUPE_B:-} ]] && run "$LOUPE_B" B "$r"
  run "$LOUPE" A "$r"
done

echo
echo "$(date -u +%F) $(uname -r), $(nproc) CPUs, $ROUNDS rounds x $((2 * REQUESTS)) requests," \
  "load average $LOAD0 at start, $(load1) at end, $(($(date +%s) - START)) s in all"
if [[ -n ${LOUPE_B:-} ]]; then echo; echo "B: $LOUPE_B; A: $LOUPE"; fi
echo
echo "| build | round | redis req/s | records parsed | records stored | stored / parsed |" \
  "dropped: memory full | dropped: spool full | ring-buffer losses | peak RSS MiB | s to drain | load |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
awk '{printf "| %s | %s | %s | %s | %s | **%.3f** | %s | %s | %s | %s | %.1f | %s |\n",
  $1, $2, $3, $4, $5, $4 ? $5 / $4 : 0, $6, $7, $8, $9, $10, $11}' "$WORK/results"
