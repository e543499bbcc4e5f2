#!/usr/bin/env bash
# Two builds' pump threads on the same events: `loupe agent` A and B
# tracing one nginx at once (each with its own `loupe server`), so both
# pumps handle every event of the same load at the same time, whatever
# else the machine runs. Per window of the load: each pump thread's CPU
# (schedstat) per exchange, A / B, and its wakeups a second. Run it again
# with the builds swapped: the one started first may differ.
#
#   sudo LOUPE=A/loupe LOUPE_B=B/loupe bench/pump_ab.sh [WINDOWS] [SECONDS] [paced|http]
#
# paced: overhead.sh's http_paced (~10k req/s, 14 connections 1 ms
# apart); http: wrk -c32 at saturation. LOUPE_PORTS=first-last bounds the
# ports it takes (tests/e2e/lib.sh).
set -euo pipefail
WINDOWS=${1:-4}
SECS=${2:-8}
LOAD=${3:-paced}
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../tests/e2e/lib.sh"
require_root
HPORT=$(free_port)
NGINX_ACCESS_LOG=off start_nginx "$HPORT"
head -c 24 /dev/urandom | base64 > "$WORK/token"
declare -A AGENT PUMP
for m in A B; do
  bin=$LOUPE
  [[ $m == B ]] && bin=${LOUPE_B:?"needs LOUPE_B"}
  port=$(free_port)
  "$bin" server --listen "127.0.0.1:$port" --data-dir "$WORK/server-$m" \
    --token-file "$WORK/token" > /dev/null 2> "$WORK/server-$m.err" &
  PIDS+=($!)
  wait_for_port "$port"
  "$bin" agent --server "http://127.0.0.1:$port" --token-file "$WORK/token" \
    --spool-dir "$WORK/spool-$m" --metrics-interval 0 -o json --port "$HPORT" \
    > "$WORK/agent-$m.out" 2> "$WORK/agent-$m.err" &
  AGENT[$m]=$!
  PIDS+=($!)
  wait_for_line "$WORK/agent-$m.err" "sending to" "${AGENT[$m]}"
done
wrk -t1 -c32 -d3s "http://127.0.0.1:$HPORT/a" > /dev/null  # warm-up
for m in A B; do
  for t in /proc/"${AGENT[$m]}"/task/*; do
    if [[ $(cat "$t/comm") == loupe-pump ]]; then PUMP[$m]=$(basename "$t"); fi
  done
done
pump_ns() { awk '{print $1}' "/proc/${AGENT[$1]}/task/${PUMP[$1]}/schedstat"; }
pump_wakeups() { awk '/^voluntary_ctxt_switches/ {print $2}' "/proc/${AGENT[$1]}/task/${PUMP[$1]}/status"; }
echo "window load exchanges pumpA_us pumpB_us A/B wakeupsA/s wakeupsB/s"
for w in $(seq "$WINDOWS"); do
  a0=$(pump_ns A) b0=$(pump_ns B) wa0=$(pump_wakeups A) wb0=$(pump_wakeups B)
  if [[ $LOAD == paced ]]; then
    wrk -t2 -c14 -d"${SECS}s" -s "$HERE/../tests/e2e/paced.lua" \
      "http://127.0.0.1:$HPORT/a" > "$WORK/wrk.out"
  else
    wrk -t1 -c32 -d"${SECS}s" "http://127.0.0.1:$HPORT/a" > "$WORK/wrk.out"
  fi
  sleep 0.3  # the last drains
  a1=$(pump_ns A) b1=$(pump_ns B) wa1=$(pump_wakeups A) wb1=$(pump_wakeups B)
  exchanges=$(awk '/requests in/ {print 2 * $1}' "$WORK/wrk.out")
  awk -v w="$w" -v avg="$(cut -d' ' -f1 /proc/loadavg)" -v ex="$exchanges" \
    -v a=$((a1 - a0)) -v b=$((b1 - b0)) -v wa=$((wa1 - wa0)) -v wb=$((wb1 - wb0)) -v s="$SECS" \
    'BEGIN {printf "%d %s %d %.3f %.3f %.3f %.0f %.0f\n", w, avg, ex, a / 1000 / ex, b / 1000 / ex, a / b, wa / s, wb / s}'
done
