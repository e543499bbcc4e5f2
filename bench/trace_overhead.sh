#!/usr/bin/env bash
# Capture overhead on the hardest case: nginx (1 worker, `return 200`) under
# wrk on loopback, untraced vs traced by `loupe trace`, alternating runs in
# one session so machine noise hits both alike. Prints a markdown table.
# µs CPU / exchange: user+system CPU of the `loupe trace` process over the
# saturated wrk runs (read before and after each, not its start) divided by
# the exchanges it recorded; an exchange is one request seen on one side,
# so a request is two. It holds on a busy machine where ratios do not.
#
#   sudo [LOUPE_B=other/loupe] bench/trace_overhead.sh [ROUNDS] [SECONDS]
# With LOUPE_B, each round also traces with that build (right after
# $LOUPE's run): "(B)" lines of the saturated rows, to compare two builds
# in one run; the paced part runs $LOUPE only.
set -euo pipefail
ROUNDS=${1:-3}
SECS=${2:-8}
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../tests/e2e/lib.sh"
require_root

PORT=${PORT:-$(free_port)}  # PORT=...: a port of your own
start_nginx "$PORT"
sed -i 's|access_log .*;|access_log off;|' "$WORK/nginx-$PORT/nginx.conf"
kill -HUP "$(cat "$WORK/nginx-$PORT/nginx.pid")"; sleep 0.5

wrk_run() {  # -> "req_per_s p99_ms"
  wrk -t1 -c32 -d"${SECS}s" --latency "http://127.0.0.1:$PORT/a" > "$WORK/wrk.out"
  local rps p99
  rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.out")
  p99=$(awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub("us","",v); v/=1000} else if (v ~ /ms$/) sub("ms","",v); else if (v ~ /s$/) {sub("s","",v); v*=1000}; print v}' "$WORK/wrk.out")
  echo "$rps $p99"
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

hz=$(getconf CLK_TCK)
sysctl -qw kernel.bpf_stats_enabled=1
builds=(A); [[ -n "${LOUPE_B:-}" ]] && builds+=(B)
declare -A bin=([A]="$LOUPE" [B]="${LOUPE_B:-}") rps_of=() p99_of=() ratios=() ticks=() exchanges=()
base_rps=(); base_p99=()
for _ in $(seq "$ROUNDS"); do
  read -r rps p99 <<<"$(wrk_run)"; base_rps+=("$rps"); base_p99+=("$p99")
  for m in "${builds[@]}"; do
    LOUPE="${bin[$m]}" start_trace "$WORK/t.jsonl" --port "$PORT" > /dev/null
    c0=$(cpu_ticks "$TRACE_PID")
    read -r rps p99 <<<"$(wrk_run)"
    sleep 0.2  # the last drains
    c1=$(cpu_ticks "$TRACE_PID")
    kill -INT "$TRACE_PID"; wait "$TRACE_PID" || true
    tail -1 "$WORK/t.jsonl.err"
    ex=$(grep "loupe trace:" "$WORK/t.jsonl.err" | tail -1 | grep -o '[0-9]* exchanges' | cut -d' ' -f1)
    rps_of[$m]+="$rps "; p99_of[$m]+="$p99 "
    ratios[$m]+="$(awk -v t="$rps" -v b="${base_rps[-1]}" 'BEGIN {printf "%.2f", t/b}') "
    ticks[$m]=$((${ticks[$m]:-0} + c1 - c0)); exchanges[$m]=$((${exchanges[$m]:-0} + ex))
    rm -f "$WORK/t.jsonl"
  done
done
load=$(cut -d' ' -f1 /proc/loadavg)

# Paced 10k req/s: agent CPU, RSS, events/s, drops, BPF run time.
start_trace "$WORK/p.jsonl" --port "$PORT"
prog_id=$(bpftool prog show -j | jq '.[] | select(.name=="loupe_sys_exit") | .id' | head -1)
read -r cnt0 ns0 <<<"$(bpftool prog show id "$prog_id" -j | jq -r '"\(.run_cnt // 0) \(.run_time_ns // 0)"')"
t0=$(cpu_ticks "$TRACE_PID")
wrk -t2 -c14 -d"${SECS}s" -s "$HERE/../tests/e2e/paced.lua" "http://127.0.0.1:$PORT/a" > "$WORK/paced.out"
t1=$(cpu_ticks "$TRACE_PID")
read -r cnt1 ns1 <<<"$(bpftool prog show id "$prog_id" -j | jq -r '"\(.run_cnt // 0) \(.run_time_ns // 0)"')"
rss_mb=$(awk '/VmHWM/ {printf "%.1f", $2/1024}' "/proc/$TRACE_PID/status")
paced_rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/paced.out")
kill -INT "$TRACE_PID"; wait "$TRACE_PID" || true
summary=$(grep "loupe trace:" "$WORK/p.jsonl.err" | tail -1)
events=$(echo "$summary" | grep -o '[0-9]* events,' | cut -d' ' -f1)
drops=$(echo "$summary" | grep -o '[0-9]* events dropped' | cut -d' ' -f1)
sysctl -qw kernel.bpf_stats_enabled=0

mean() { printf '%s\n' "$@" | awk '{s+=$1} END {printf "%.1f", s/NR}'; }
b=$(mean "${base_rps[@]}")
echo
echo "| metric | value |"
echo "|---|---|"
echo "| nginx saturated, untraced (req/s, mean of $ROUNDS x ${SECS}s) | $b |"
echo "| p99 untraced (ms) | $(mean "${base_p99[@]}") |"
for m in "${builds[@]}"; do
  tag=""; [[ $m == B ]] && tag=" (B)"
  # shellcheck disable=SC2086  # the lists split into their values
  t=$(mean ${rps_of[$m]})
  echo "| nginx saturated, traced$tag (req/s) | $t |"
  echo "| throughput ratio traced/untraced$tag (rounds) | $(awk -v t="$t" -v b="$b" 'BEGIN {printf "%.3f", t/b}') (${ratios[$m]% }) |"
  # shellcheck disable=SC2086
  echo "| p99 traced$tag (ms) | $(mean ${p99_of[$m]}) |"
  echo "| loupe trace µs CPU / exchange, saturated$tag (${exchanges[$m]} exchanges) | $(awk -v c="${ticks[$m]}" -v hz="$hz" -v n="${exchanges[$m]}" 'BEGIN {printf "%.2f", n ? c/hz*1e6/n : 0}') |"
done
echo "| load average (1 min) at the end of the saturated rounds | $load |"
echo "| paced load (req/s) | $paced_rps |"
echo "| agent CPU at paced load (cores) | $(awk -v a="$t0" -v b="$t1" -v hz="$hz" -v s="$SECS" 'BEGIN {printf "%.3f", (b-a)/hz/s}') |"
echo "| agent peak RSS (MiB) | $rss_mb |"
echo "| events/s at paced load | $(awk -v e="$events" -v s="$SECS" 'BEGIN {printf "%.0f", e/s}') |"
echo "| events dropped at paced load | $drops |"
echo "| mean BPF run time, sys_exit program (ns/run, all syscalls) | $(awk -v c="$((cnt1-cnt0))" -v n="$((ns1-ns0))" 'BEGIN {printf "%.0f", c ? n/c : 0}') |"
