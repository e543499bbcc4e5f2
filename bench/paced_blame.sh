#!/usr/bin/env bash
# What Loupe costs the traced programs at a paced load, in figures a busy
# machine does not blur (issue 14): nginx (1 worker, `return 200`) under
# `wrk -t2 -c14` at ~1 ms between requests per connection (~10k req/s,
# overhead.sh's http_paced), untraced and traced by `loupe run` and by
# `loupe agent` (sending to a `loupe server` on the same host), alternating
# in rounds. Per mode, averaged over the rounds:
# - req/s, p50 and p99 (wrk; on a busy machine p99 follows the load);
# - Loupe's CPU without the profiler's threads, per second and per
#   exchange (two per request), and its threads' wakeups (voluntary and
#   involuntary context switches) per second, the pump's apart;
# - then the same per thread of Loupe;
# - from bench/sched_blame (a BPF program on sched_switch/sched_wakeup):
#   the times a second nginx or wrk, runnable, got the CPU from a thread of
#   Loupe (its `loupe server` too in agent mode) and how long they had
#   waited, and how often a thread of Loupe preempted them.
#
#   sudo LOUPE=build/loupe bench/paced_blame.sh [ROUNDS] [SECONDS]
#
# MODES (default "base run agent"; run_b and agent_b run $LOUPE_B).
# LOAD=saturated: overhead.sh's and floors.sh's http instead (`wrk -t1
# -c32`, unpaced: both cores busy). Then, per mode and round,
# sched_blame's lines per task name: whose runs ended the waits, and how
# long each thread of Loupe ran at a time.
set -euo pipefail
ROUNDS=${1:-3}
SECS=${2:-8}
MODES=${MODES:-base run agent}
LOAD=${LOAD:-paced}
WRK_ARGS=(-t2 -c14 -s "$(dirname "$0")/../tests/e2e/paced.lua")
[[ $LOAD == saturated ]] && WRK_ARGS=(-t1 -c32)
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../tests/e2e/lib.sh"
require_root
clang -O2 -g -target bpf -I"$HERE/../bpf/vmlinux/$(uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')" \
  -c "$HERE/sched_blame.bpf.c" -o "$WORK/sched_blame.bpf.o"
gcc -O2 -o "$WORK/sched_blame" "$HERE/sched_blame.c" -lbpf

HPORT=$(free_port)
NGINX_ACCESS_LOG=off start_nginx "$HPORT"
sleep 0.5
worker() { pgrep -P "$(cat "$WORK/nginx-$HPORT/nginx.pid")" | head -1; }
head -c 24 /dev/urandom | base64 > "$WORK/token"

# PID... -> per thread: tid comm run-ns voluntary nonvoluntary (run time
# from schedstat: utime+stime come in whole 10 ms ticks, coarse for threads
# that run ~100 µs at a time).
threads() {
  local p t
  for p in "$@"; do
    for t in /proc/"$p"/task/*; do
      echo "${t##*/} $(tr ' ' _ < "$t/comm") $(cut -d' ' -f1 "$t/schedstat")" \
        "$(awk '/^voluntary_ctxt/ {v = $2} /^nonvoluntary_ctxt/ {n = $2} END {print v, n}' "$t/status")"
    done 2> /dev/null
  done
}

: > "$WORK/results"
: > "$WORK/threads"
: > "$WORK/culprits"
run_mode() {  # MODE ROUND
  local mode=$1 bin=$LOUPE lpid="" spid="" dir="$WORK/data"
  [[ $mode == *_b ]] && bin=${LOUPE_B:?"mode $mode needs LOUPE_B"}
  rm -rf "$dir" "$WORK/spool"
  case ${mode%_b} in
    agent)
      local sport
      sport=$(free_port)
      "$bin" server --listen "127.0.0.1:$sport" --data-dir "$dir" --token-file "$WORK/token" \
        > /dev/null 2> "$WORK/server.err" &
      spid=$!
      wait_for_port "$sport"
      "$bin" agent --server "http://127.0.0.1:$sport" --token-file "$WORK/token" \
        --spool-dir "$WORK/spool" --metrics-interval 0 -o json --port "$HPORT" \
        > "$WORK/loupe.out" 2> "$WORK/loupe.err" &
      lpid=$!
      wait_for_line "$WORK/loupe.err" "sending to" "$lpid"
      ;;
    run)
      "$bin" run --listen "127.0.0.1:$(free_port)" --data-dir "$dir" --metrics-interval 0 \
        --port "$HPORT" > "$WORK/loupe.out" 2> "$WORK/loupe.err" &
      lpid=$!
      wait_for_line "$WORK/loupe.out" "Loupe is running" "$lpid"
      ;;
  esac
  wrk -t1 -c32 -d2s "http://127.0.0.1:$HPORT/a" > /dev/null  # warm-up, as overhead.sh
  sleep 1
  wrk "${WRK_ARGS[@]}" -d"${SECS}s" --latency "http://127.0.0.1:$HPORT/a" > "$WORK/wrk.out" &
  local wpid=$! window=$((SECS - 2)) culprits
  sleep 1
  threads $lpid > "$WORK/t0"
  [[ -n $spid ]] && threads "$spid" | sed 's/^\([0-9]*\) /\1 server:/' > "$WORK/s0"
  culprits=$(echo $lpid $spid | tr ' ' ,)
  "$WORK/sched_blame" "$WORK/sched_blame.bpf.o" "$window" --target "$(worker),$wpid" \
    --culprit "${culprits:-1}" > "$WORK/blame"
  threads $lpid > "$WORK/t1"
  [[ -n $spid ]] && threads "$spid" | sed 's/^\([0-9]*\) /\1 server:/' > "$WORK/s1"
  # mode thread waits-ended/s ms/s preemptions/s (sched_blame, per culprit thread)
  [[ -z $lpid ]] || awk -v m="$mode" '/^culprit threads/ {for (i = 6; i <= NF; i++) {
      n = split($i, a, /[:\/]/); if (n == 4) print m, a[1], a[2], a[3], a[4]}}' "$WORK/blame" \
    >> "$WORK/culprits"
  [[ -n $spid ]] && awk -v m="$mode" -v w="$window" 'FNR == NR {t[$1] = $3; v[$1] = $4 + $5; next}
    {c[$2] += ($3 - t[$1]) / 1e6 / w; s[$2] += ($4 + $5 - v[$1]) / w}
    END {for (k in c) printf "%s %s %.2f %.0f\n", m, k, c[k], s[k]}' "$WORK/s0" "$WORK/s1" \
    >> "$WORK/threads"

  sed -n "3,\$s/^/$mode $2: /p" "$WORK/blame" >> "$WORK/by_comm"
  wait "$wpid"
  # mode thread ms/s wakeups/s, per thread name (same-named threads summed)
  awk -v m="$mode" -v w="$window" 'FNR == NR {t[$1] = $3; v[$1] = $4 + $5; next}
    {c[$2] += ($3 - t[$1]) / 1e6 / w; s[$2] += ($4 + $5 - v[$1]) / w}
    END {for (k in c) printf "%s %s %.2f %.0f\n", m, k, c[k], s[k]}' "$WORK/t0" "$WORK/t1" \
    >> "$WORK/threads"
  # mode round req/s p50 p99 load cpu_ns wakeups pump_wakeups blame_n blame_ms preempt window
  echo "$mode $2 $(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.out")" \
    "$(awk '$1 == "50%" || $1 == "99%" {v = $2; if (v ~ /us$/) {sub("us", "", v); v /= 1000}
       else if (v ~ /ms$/) sub("ms", "", v); else if (v ~ /s$/) {sub("s", "", v); v *= 1000}
       printf "%s ", v}' "$WORK/wrk.out")$(cut -d' ' -f1 /proc/loadavg)" \
    "$(awk -v w="$window" 'FNR == NR {t[$1] = $3; v[$1] = $4 + $5; next}
       $2 != "loupe-profile" && $2 != "loupe-unwind" {c += $3 - t[$1]}
       {s += $4 + $5 - v[$1]} $2 == "loupe-pump" {p = $4 + $5 - v[$1]}
       END {printf "%.0f %.0f %.0f", c, s / w, p / w}' "$WORK/t0" "$WORK/t1")" \
    "$(awk '/^per s/ {match($0, /ended by culprit ([0-9]+) \(([0-9.]+) ms\)/, a)
       match($0, /culprit preemptions ([0-9]+)/, b); print a[1], a[2], b[1]}' "$WORK/blame")" \
    "$window" >> "$WORK/results"
  [[ -n $lpid ]] && { kill -INT "$lpid"; wait "$lpid" || true; }
  [[ -n $spid ]] && { kill -INT "$spid"; wait "$spid" || true; }
  return 0
}
for r in $(seq "$ROUNDS"); do
  for m in $MODES; do
    run_mode "$m" "$r"
    echo "round $r $m: $(tail -1 "$WORK/results")" >&2
  done
done

echo
echo "$(date -u +%F) $(uname -r), $(nproc) CPUs, $ROUNDS rounds x ${SECS}s, $LOAD load"
[[ -n ${LOUPE_B:-} ]] && echo "(B): $LOUPE_B; the others: $LOUPE"
echo
echo "| mode | req/s | p50 ms | p99 ms (rounds) | load | Loupe CPU ms/s | µs / exchange | Loupe wakeups/s | pump wakeups/s |" \
  "waits ended by Loupe /s | their ms/s | preempted by Loupe /s |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
awk -v modes="base $MODES" '
  { k = $1; n[k]++; rps[k] += $3; p50[k] += $4; p99[k] += $5; ld[k] += $6
    cpu[k] += $7 / 1e6 / $13; wk[k] += $8; pw[k] += $9; bn[k] += $10; bm[k] += $11; pr[k] += $12
    r99[k] = r99[k] (n[k] > 1 ? ", " : "") $5 }
  END { m = split(modes, M, " ")
    for (i = 1; i <= m; i++) { k = M[i]; if (!n[k] || seen[k]++) continue
      label = k == "base" ? "untraced" : "loupe " k; sub(/_b$/, " (B)", label)
      if (k == "base") { printf "| %s | %.0f | %.3f | %.2f (%s) | %.1f | | | | | | | |\n", label,
        rps[k] / n[k], p50[k] / n[k], p99[k] / n[k], r99[k], ld[k] / n[k]; continue }
      printf "| %s | %.0f | %.3f | %.2f (%s) | %.1f | %.1f | %.2f | %.0f | %.0f | %.1f | %.2f | %.1f |\n", label,
        rps[k] / n[k], p50[k] / n[k], p99[k] / n[k], r99[k], ld[k] / n[k], cpu[k] / n[k],
        cpu[k] / n[k] * 1000 / (2 * rps[k] / n[k]), wk[k] / n[k], pw[k] / n[k], bn[k] / n[k], bm[k] / n[k], pr[k] / n[k] } }' \
  "$WORK/results"
echo
echo "Per thread of Loupe, ms of CPU and wakeups a second (mean over the rounds):"
echo
awk -v r="$ROUNDS" '{c[$1 " " $2] += $3 / r; s[$1 " " $2] += $4 / r}
  END {for (k in c) if (c[k] >= 0.05 || s[k] >= 1) printf "%s %.1f ms/s %.0f/s\n", k, c[k], s[k]}' \
  "$WORK/threads" | sort
echo
echo "Whose runs the traced programs waited behind, per thread (bench/sched_blame; waits ended a second," \
  "their ms a second, preemptions a second; mean over the rounds; server: the agent's \`loupe server\`):"
echo
awk -v r="$ROUNDS" '{k = $1 " " $2; n[k] += $3 / r; t[k] += $4 / r; p[k] += $5 / r}
  END {for (k in n) if (n[k] >= 0.5 || p[k] >= 0.5) printf "%s %.1f/s %.2f ms/s %.1f/s\n", k, n[k], t[k], p[k]}' \
  "$WORK/culprits" | sort

echo "Per mode and round, from sched_blame, per task name:"
echo
cat "$WORK/by_comm"
