#!/usr/bin/env bash
# Capture overhead on database traffic: redis-benchmark (pipelined, -P 16,
# SET and GET) against a redis-server of our own, and pgbench select-only
# (-S, 8 clients) against a PostgreSQL cluster of our own, each untraced and
# traced by `loupe trace --format json` (both roles recorded), alternating
# in one session so machine noise hits both alike. Records/s and drops come
# from loupe trace's summary line. Prints a markdown table.
#
#   sudo bench/db_overhead.sh [ROUNDS] [SECONDS] [REDIS_REQUESTS]
set -euo pipefail
ROUNDS=${1:-3}
SECS=${2:-8}
REDIS_N=${3:-1000000}
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../tests/e2e/lib.sh"
source "$HERE/../tests/e2e/db_servers.sh"
require_root

# --- servers ---------------------------------------------------------------
RPORT=$(free_port)
start_redis "$RPORT"
PGPORT=$(free_port)
start_postgres "$PGPORT" max_connections=50
pgbench -h 127.0.0.1 -p "$PGPORT" -U postgres -i -s 10 -q postgres > "$PG/init.log" 2>&1

# --- runs --------------------------------------------------------------------
redis_run() {  # -> requests/s over SET and GET
  redis-benchmark -h 127.0.0.1 -p "$RPORT" -P 16 -c 50 -n "$REDIS_N" -t set,get --csv 2> /dev/null |
    awk -F'"' '$2=="SET" || $2=="GET" {s += $4; n++} END {printf "%.0f", s / n}'
}
pgbench_run() {  # -> transactions/s
  pgbench -h 127.0.0.1 -p "$PGPORT" -U postgres -n -S -c 8 -j 2 -T "$SECS" postgres 2> /dev/null |
    awk '/^tps/ {printf "%.0f", $3; exit}'
}

# traced CMD...: runs CMD under `loupe trace` (output discarded); prints
# "result records_per_s drops".
traced() {
  : > "$WORK/t.err"  # the previous round's "tracing" line must not pass for this one's
  "$LOUPE" trace --format json --port "$RPORT,$PGPORT" > /dev/null 2> "$WORK/t.err" &
  TRACE_PID=$!
  local i
  for i in $(seq 100); do grep -q tracing "$WORK/t.err" && break; sleep 0.1; done
  local t0 t1 res summary
  t0=$(date +%s.%N)
  res=$("$@")
  t1=$(date +%s.%N)
  kill -INT "$TRACE_PID"; wait "$TRACE_PID" || true
  summary=$(grep "loupe trace:" "$WORK/t.err" | tail -1)
  echo "$summary" >&2
  local recs drops
  # "printed": exchanges on the benchmark's ports (the port filter is
  # applied in user space; other traffic on the host is parsed, not printed).
  recs=$(echo "$summary" | grep -o '[0-9]* printed' | cut -d' ' -f1)
  drops=$(echo "$summary" | grep -o '[0-9]* events dropped' | cut -d' ' -f1)
  echo "$res $(awk -v r="$recs" -v a="$t0" -v b="$t1" 'BEGIN {printf "%.0f", r / (b - a)}') $drops"
}

load0=$(cut -d' ' -f1 /proc/loadavg)
r_base=(); r_tr=(); r_rec=(); r_drop=(); p_base=(); p_tr=(); p_rec=(); p_drop=()
for r in $(seq "$ROUNDS"); do
  r_base+=("$(redis_run)")
  read -r v rec drop <<<"$(traced redis_run)"; r_tr+=("$v"); r_rec+=("$rec"); r_drop+=("$drop")
  p_base+=("$(pgbench_run)")
  read -r v rec drop <<<"$(traced pgbench_run)"; p_tr+=("$v"); p_rec+=("$rec"); p_drop+=("$drop")
  echo "round $r: redis ${r_base[-1]} / ${r_tr[-1]} req/s, pgbench ${p_base[-1]} / ${p_tr[-1]} tps" >&2
done

load1=$(cut -d' ' -f1 /proc/loadavg)
rounds() {  # per-round ratios "a, b, c"
  local -n b=$1 t=$2
  local i out=""
  for i in "${!b[@]}"; do out+="${out:+, }$(awk -v t="${t[$i]}" -v b="${b[$i]}" 'BEGIN {printf "%.2f", t/b}')"; done
  echo "$out"
}
mean() { printf '%s\n' "$@" | awk '{s+=$1} END {printf "%.0f", s/NR}'; }
sum() { printf '%s\n' "$@" | awk '{s+=$1} END {printf "%.0f", s}'; }
ratio() { awk -v t="$1" -v b="$2" 'BEGIN {printf "%.3f", t/b}'; }
rb=$(mean "${r_base[@]}"); rt=$(mean "${r_tr[@]}"); pb=$(mean "${p_base[@]}"); pt=$(mean "${p_tr[@]}")
echo
echo "load average at start / end: $load0 / $load1 ($(nproc) CPUs)"
echo "per-round ratios: redis $(rounds r_base r_tr); pgbench $(rounds p_base p_tr)"
echo
echo "| workload (mean of $ROUNDS alternating rounds) | untraced | traced | ratio | records/s traced | events dropped |"
echo "|---|---|---|---|---|---|"
echo "| redis-benchmark -P 16 -c 50 -n $REDIS_N -t set,get (req/s) | $rb | $rt | $(ratio "$rt" "$rb") | $(mean "${r_rec[@]}") | $(sum "${r_drop[@]}") |"
echo "| pgbench -S -c 8 -j 2 -T $SECS, scale 10 (tps) | $pb | $pt | $(ratio "$pt" "$pb") | $(mean "${p_rec[@]}") | $(sum "${p_drop[@]}") |"
