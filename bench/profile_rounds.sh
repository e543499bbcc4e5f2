#!/usr/bin/env bash
# What the continuous profiler's threads cost at overhead.sh's paced load
# (`wrk -t2 -c14` with tests/e2e/paced.lua against nginx, ~10k req/s), in
# `loupe agent` sending to a `loupe server`: the CPU of loupe-profile and
# loupe-unwind from their schedstat (ns, not 10 ms clock ticks), in two
# windows of 10 s (two collections and one ship each):
# - "new": from the start of a paced `wrk`, a process new to the agent
#   (its binary and libraries were already named in an 8 s warm-up `wrk`,
#   as in overhead.sh with WARMUP=8): the rounds that first see it;
# - "steady": the next 10 s of the same `wrk`.
# Builds alternate round by round (LOUPE and, when set, LOUPE_B), so the
# machine's noise hits both alike; one line per (build, round, window).
#
#   sudo LOUPE=build/loupe LOUPE_B=/tmp/loupe-B bench/profile_rounds.sh [ROUNDS]
#
# LOUPE_PORTS=FIRST-LAST keeps every port in a range (tests/e2e/lib.sh).
set -euo pipefail
ROUNDS=${1:-3}
WINDOW=${WINDOW:-10}
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../tests/e2e/lib.sh"
require_root
for tool in wrk nginx; do
  command -v "$tool" > /dev/null || { echo "profile_rounds.sh: needs $tool" >&2; exit 1; }
done

HPORT=$(free_port)
NGINX_ACCESS_LOG=off start_nginx "$HPORT"
LSPORT=$(free_port)
head -c 24 /dev/urandom | base64 > "$WORK/token"
start_loupe_server "$LSPORT" "$WORK/token"

# ns of CPU of the thread named $2 in process $1 (0 when there is none).
thread_ns() {
  local t
  for t in /proc/"$1"/task/*; do
    if [[ $(cat "$t/comm" 2> /dev/null) == "$2" ]]; then
      awk '{print $1}' "$t/schedstat"
      return
    fi
  done
  echo 0
}

# window LABEL BUILD ROUND PID: WINDOW seconds, each thread's ms of CPU.
window() {
  local p0 u0 p1 u1
  p0=$(thread_ns "$4" loupe-profile) u0=$(thread_ns "$4" loupe-unwind)
  sleep "$WINDOW"
  p1=$(thread_ns "$4" loupe-profile) u1=$(thread_ns "$4" loupe-unwind)
  awk -v l="$1" -v b="$2" -v r="$3" -v p=$((p1 - p0)) -v u=$((u1 - u0)) -v avg="$(cut -d' ' -f1 /proc/loadavg)" \
    'BEGIN { printf "| %s | %s | %s | %.2f | %.2f | %s |\n", b, r, l, p / 1e6, u / 1e6, avg }'
}

echo "# $(date -u +%FT%TZ) $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), windows of ${WINDOW}s"
echo "| build | round | window | loupe-profile ms | loupe-unwind ms | load |"
echo "|---|---|---|---|---|---|"
for r in $(seq "$ROUNDS"); do
  for build in A ${LOUPE_B:+B}; do
    bin=$LOUPE
    [[ $build == B ]] && bin=$LOUPE_B
    rm -rf "$WORK/spool"
    : > "$WORK/agent.err"
    "$bin" agent --server "http://127.0.0.1:$LSPORT" --token-file "$WORK/token" \
      --spool-dir "$WORK/spool" --metrics-interval 0 -o json --port "$HPORT" \
      > /dev/null 2> "$WORK/agent.err" &
    agent=$!
    wait_for_line "$WORK/agent.err" "sending to" "$agent"
    wrk -t1 -c32 -d8s "http://127.0.0.1:$HPORT/a" > /dev/null
    wrk -t2 -c14 -d$((2 * WINDOW + 1))s -s "$HERE/../tests/e2e/paced.lua" \
      "http://127.0.0.1:$HPORT/a" > /dev/null &
    load=$!
    window new "$build" "$r" "$agent"
    window steady "$build" "$r" "$agent"
    wait "$load"
    kill -INT "$agent"
    wait "$agent" || true
  done
done
