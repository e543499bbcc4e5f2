#!/usr/bin/env bash
# Cost of TLS capture on the hardest case: nginx (1 worker, HTTPS,
# `return 200`) under wrk over keep-alive TLS connections on loopback,
# untraced vs traced by `loupe trace` (OpenSSL uprobes attached), alternating
# runs in one session so machine noise hits both alike. Prints a markdown
# table with the throughput ratio and the BPF run time of the SSL programs.
#
#   sudo LOUPE=build/loupe bench/tls_bench.sh [ROUNDS] [SECONDS]
set -euo pipefail
ROUNDS=${1:-3}
SECS=${2:-8}
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../tests/e2e/lib.sh"
source "$HERE/../tests/e2e/tls/nginx_tls.sh"
require_root

make_cert
PORT=$(free_port)
start_tls_nginx "$PORT"
sed -i 's|access_log .*;|access_log off;|' "$WORK/nginx-$PORT/nginx.conf"
kill -HUP "$(cat "$WORK/nginx-$PORT/nginx.pid")"
sleep 0.5

wrk_run() {  # -> "req_per_s p99_ms"
  wrk -t1 -c32 -d"${SECS}s" --latency "https://127.0.0.1:$PORT/a" > "$WORK/wrk.out"
  local rps p99
  rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.out")
  p99=$(awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub("us","",v); v/=1000} else if (v ~ /ms$/) sub("ms","",v); else if (v ~ /s$/) {sub("s","",v); v*=1000}; print v}' "$WORK/wrk.out")
  echo "$rps $p99"
}

prog_stats() {  # NAME -> "run_cnt run_time_ns"
  local id
  id=$(bpf_prog_list | jq --arg n "$1" '[.[] | select(.name == $n) | .id] | last // empty')
  if [[ -z "$id" ]]; then echo "0 0"; return; fi
  bpftool_json prog show id "$id" | jq -r '"\(.run_cnt // 0) \(.run_time_ns // 0)"'
}

sysctl -qw kernel.bpf_stats_enabled=1
base_rps=(); traced_rps=(); base_p99=(); traced_p99=(); records=(); trap_rps=()
progs=(loupe_sys_exit loupe_ssl_read_enter loupe_ssl_write_enter loupe_ssl_return)
declare -A cnt ns
for r in $(seq "$ROUNDS"); do
  read -r rps p99 <<<"$(wrk_run)"; base_rps+=("$rps"); base_p99+=("$p99")
  start_trace "$WORK/t.jsonl" --port "$PORT" > /dev/null
  declare -A c0 n0
  for p in "${progs[@]}"; do read -r c0[$p] n0[$p] <<<"$(prog_stats "$p")"; done
  read -r rps p99 <<<"$(wrk_run)"; traced_rps+=("$rps"); traced_p99+=("$p99")
  for p in "${progs[@]}"; do
    read -r c n <<<"$(prog_stats "$p")"
    cnt[$p]=$(( ${cnt[$p]:-0} + c - c0[$p] )); ns[$p]=$(( ${ns[$p]:-0} + n - n0[$p] ))
  done
  kill -INT "$TRACE_PID"; wait "$TRACE_PID" || true
  records+=("$(jq -c 'select(.tls == true)' "$WORK/t.jsonl" | wc -l)")
  tail -1 "$WORK/t.jsonl.err"
  rm -f "$WORK/t.jsonl"
  # Probes attached but every program returns at its pid filter: what the
  # uprobe traps themselves cost, with no BPF work and no user space work.
  start_trace "$WORK/t.jsonl" --pid 1 > /dev/null
  read -r rps p99 <<<"$(wrk_run)"; trap_rps+=("$rps")
  kill -INT "$TRACE_PID"; wait "$TRACE_PID" || true
done
sysctl -qw kernel.bpf_stats_enabled=0

# One probed call with and without the probes (pid filter elsewhere, so the
# BPF programs return at once): the price of an uprobe + uretprobe pair.
gcc -O2 -o "$WORK/trap_cost" "$HERE/tls_trap_cost.c" -lssl -lcrypto
call_plain=$("$WORK/trap_cost")
start_trace "$WORK/t.jsonl" --pid 1 > /dev/null
call_probed=$("$WORK/trap_cost")
kill -INT "$TRACE_PID"; wait "$TRACE_PID" || true

mean() { printf '%s\n' "$@" | awk '{s+=$1} END {printf "%.1f", s/NR}'; }
b=$(mean "${base_rps[@]}"); t=$(mean "${traced_rps[@]}")
echo
echo "| metric | value |"
echo "|---|---|"
echo "| HTTPS nginx saturated, untraced (req/s, mean of $ROUNDS x ${SECS}s) | $b |"
echo "| HTTPS nginx saturated, traced (req/s) | $t |"
echo "| throughput ratio traced/untraced | $(awk -v t="$t" -v b="$b" 'BEGIN {printf "%.3f", t/b}') |"
echo "| per-round ratios | $(for i in "${!base_rps[@]}"; do awk -v t="${traced_rps[$i]}" -v b="${base_rps[$i]}" 'BEGIN {printf "%.3f ", t/b}'; done) |"
echo "| probes attached, other pid only (req/s; ratio) | $(mean "${trap_rps[@]}"); $(awk -v t="$(mean "${trap_rps[@]}")" -v b="$b" 'BEGIN {printf "%.3f", t/b}') |"
echo "| p99 untraced / traced (ms) | $(mean "${base_p99[@]}") / $(mean "${traced_p99[@]}") |"
echo "| TLS records per traced round (nginx and wrk sides) | $(mean "${records[@]}") |"
echo "| one OpenSSL call untraced / with uprobe+uretprobe (ns) | $call_plain / $call_probed |"
for p in "${progs[@]}"; do
  echo "| BPF $p: runs, mean ns/run | ${cnt[$p]} , $(awk -v c="${cnt[$p]}" -v n="${ns[$p]}" 'BEGIN {printf "%.0f", c ? n/c : 0}') |"
done
