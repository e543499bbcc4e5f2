#!/usr/bin/env bash
# Capture overhead on the hardest case: nginx (1 worker, `return 200`) under
# wrk on loopback, untraced vs traced by `loupe trace`, alternating runs in
# one session so machine noise hits both alike. Prints a markdown table.
# µs CPU / exchange: user+system CPU of the `loupe trace` process over the
# saturated wrk runs (read before and after each, not its start) divided by
# the exchanges it recorded; an exchange is one request seen on one side,
# so a request is two. It holds on a busy machine where ratios do not.
# Beside it, for each traced mode and the untraced runs, what load changes
# little: the CPU of the host's kernel threads (kworkers: writeback, page
# cache) per exchange, the CPU of wrk + nginx per request, the share of
# the CPUs left idle and stolen by the hypervisor, the output's bytes per
# exchange, and the tracer's context switches per second (voluntary: its
# waits; involuntary: preempted) beside nginx's involuntary ones.
#
#   sudo [LOUPE_B=other/loupe [LOUPE_C=...]] [OUTS="file null tmpfs"] [FLOOR=1] [PACED=0] [BLAME=1] [PORT=P] \
#     bench/trace_overhead.sh [ROUNDS] [SECONDS]
# With LOUPE_B (and LOUPE_C), each round also traces with that build
# (right after $LOUPE's run): "B:" rows, to compare builds in one run; the paced part (PACED=0: none) runs $LOUPE only. OUTS lists where the
# saturated rounds' JSON goes, each a mode of its own in every round:
# `file` (default: a file in the work directory, /tmp), `null` (/dev/null:
# no page cache), `tmpfs` (a file in /dev/shm: page cache, no block device).
# BLAME=1: bench/sched_blame over each round (but its first and last
# second): how often a thread of the tracer preempted nginx or wrk, and
# the waits for a CPU of nginx and wrk that ended when the tracer gave it
# up (a second each, and their ms a second).
# FLOOR=1: two more modes each round, bench/emit_floor (Loupe's BPF programs
# and ring, drained as the pump drains; no tracker, parser or JSON):
# `floor:none` writes nothing; `floor:<out>` for each of OUTS writes there
# as many bytes per event as $LOUPE's trace wrote this round (its bytes over
# its events), one write(2) a drain as trace does. What a consumer keeps
# that only captures, and that only captures and writes the same bytes.
# Its exchanges are its events over the round's events per exchange of
# $LOUPE's trace. EMIT_FLOOR=: its path (default: beside $LOUPE, bench/).
set -euo pipefail
ROUNDS=${1:-3}
SECS=${2:-8}
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../tests/e2e/lib.sh"
require_root

PORT=${PORT:-$(free_port)}  # PORT=...: a port of your own
NGINX_ACCESS_LOG=off start_nginx "$PORT"

wrk_run() {  # -> "req_per_s p99_ms"
  wrk -t1 -c32 -d"${SECS}s" --latency "http://127.0.0.1:$PORT/a" > "$WORK/wrk.out"
  local rps p99
  rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.out")
  p99=$(awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub("us","",v); v/=1000} else if (v ~ /ms$/) sub("ms","",v); else if (v ~ /s$/) {sub("s","",v); v*=1000}; print v}' "$WORK/wrk.out")
  echo "$rps $p99"
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
sys_ticks() { awk '{print $15}' "/proc/$1/stat"; }
# nginx's worker: ns on a CPU and ns runnable but waiting for one
# (schedstat); the rest of the wall time it slept, i.e. had no request.
sched_ns() { awk '{print $1, $2}' "/proc/$1/schedstat"; }
# "pid ticks" of every kernel thread (children of kthreadd): kworkers
# writing dirty pages back, ksoftirqd, jbd2. comm may hold spaces, so the
# fields are counted after its closing parenthesis.
kthread_ticks() {
  { cat /proc/[0-9]*/stat 2>/dev/null || true; } |
    awk '{ pid = $1; s = $0; sub(/^.*\) /, "", s); split(s, f, " "); if (f[2] == 2) print pid, f[12] + f[13] }'
}
# Their CPU between two kthread_ticks lists: kworkers come and go, so a
# thread's ticks count from its first list, or all of them if it is new.
kthread_delta() {
  awk 'NR == FNR {t0[$1] = $2; next} {d += $2 - ($1 in t0 ? t0[$1] : 0)} END {print d + 0}' "$1" "$2"
}
nginx_pids() { pgrep -P "$(cat "$WORK/nginx-$PORT/nginx.pid")"; }
nginx_ticks() { local t=0 w; for w in $(nginx_pids); do t=$((t + $(cpu_ticks "$w"))); done; echo "$t"; }
# Context switches of all threads of a process: "voluntary involuntary".
switches() {
  { cat /proc/"$1"/task/*/status 2>/dev/null || true; } |
    awk '/^voluntary_ctxt/ {v += $2} /^nonvoluntary_ctxt/ {n += $2} END {print v + 0, n + 0}'
}
# /proc/stat's all-CPU line: "busy idle steal" ticks (idle with iowait).
cpu_split() { awk '$1 == "cpu" {print $2 + $3 + $4 + $7 + $8, $5 + $6, $9}' /proc/stat; }

trace_to() {  # OUT ERR ARGS...: `loupe trace -o json` writing OUT, attached
  local out=$1 err=$2
  shift 2
  : > "$err"
  "$LOUPE" trace --format json "$@" > "$out" 2> "$err" &
  TRACE_PID=$!
  PIDS+=("$TRACE_PID")
  for _ in $(seq 1 100); do
    grep -q "tracing" "$err" 2>/dev/null && return 0
    if ! kill -0 "$TRACE_PID" 2>/dev/null; then cat "$err" >&2; return 1; fi
    sleep 0.1
  done
  echo "loupe trace did not start" >&2
  return 1
}

# Made here, not in out_path: that runs in a subshell.
TMPFS_DIR=""
if [[ " ${OUTS:-file} " == *" tmpfs "* ]]; then
  TMPFS_DIR=$(mktemp -d /dev/shm/loupe-trace-overhead.XXXXXX)
  trap 'rm -rf "$TMPFS_DIR"; cleanup' EXIT  # also when a round stops the script
fi
out_path() {  # OUT -> the path the JSON goes to
  case $1 in
    file) echo "$WORK/t.jsonl" ;;
    null) echo /dev/null ;;
    tmpfs) echo "$TMPFS_DIR/t.jsonl" ;;
    *) echo "OUTS: file, null or tmpfs, not '$1'" >&2; exit 2 ;;
  esac
}

if [[ ${BLAME:-0} == 1 ]]; then
  clang -O2 -g -target bpf -I"$HERE/../bpf/vmlinux/$(uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')" \
    -c "$HERE/sched_blame.bpf.c" -o "$WORK/sched_blame.bpf.o"
  gcc -O2 -o "$WORK/sched_blame" "$HERE/sched_blame.c" -lbpf
fi

EMIT_FLOOR=${EMIT_FLOOR:-$(dirname "$LOUPE")/bench/emit_floor}
if [[ ${FLOOR:-0} == 1 && ! -x $EMIT_FLOOR ]]; then
  echo "trace_overhead.sh: FLOOR=1 needs bench/emit_floor: set EMIT_FLOOR=" >&2
  exit 2
fi
floor_to() {  # OUT BYTES_PER_EVENT: emit_floor attached, writing OUT unless it is empty
  local write=()
  [[ -n $1 ]] && write=(--write "$1" --write-bytes "$2")
  : > "$WORK/emit.out"
  "$EMIT_FLOOR" --port "$PORT" "${write[@]}" > "$WORK/emit.out" 2> "$WORK/emit.err" &
  TRACE_PID=$!
  PIDS+=("$TRACE_PID")
  wait_for_line "$WORK/emit.out" "attached" "$TRACE_PID"
}

hz=$(getconf CLK_TCK)
sysctl -qw kernel.bpf_stats_enabled=1
read -r -a outs <<<"${OUTS:-file}"
builds=(A); [[ -n "${LOUPE_B:-}" ]] && builds+=(B); [[ -n "${LOUPE_C:-}" ]] && builds+=(C)
declare -A bin=([A]="$LOUPE" [B]="${LOUPE_B:-}" [C]="${LOUPE_C:-}")
modes=(untraced)
for m in "${builds[@]}"; do for o in "${outs[@]}"; do modes+=("$m:$o"); done; done
if [[ ${FLOOR:-0} == 1 ]]; then
  modes+=(floor:none)
  for o in "${outs[@]}"; do modes+=("floor:$o"); done
fi
# $LOUPE's trace in the last round: bytes per event written, events per
# exchange (the floor's measures; until a round has them, a traced HTTP
# exchange's 608 bytes over its two events).
bytes_per_event=304 events_per_exchange=2
# One line per mode and round: mode rps p99 requests wrk+nginx_ticks
# trace_ticks kthread_ticks exchanges bytes busy idle steal tracer_vol
# tracer_invol nginx_invol seconds load base_rps trace_sys_ticks
# nginx_on_ns nginx_wait_ns wall_ns blamed_waits blamed_ms preemptions
ROWS=$WORK/rows
: > "$ROWS"
base_rps=0
for _ in $(seq "$ROUNDS"); do
  for mode in "${modes[@]}"; do
    m=${mode%%:*} o=${mode#*:} tpid="" out=""
    if [[ $mode == floor:none ]]; then
      floor_to "" 0
      tpid=$TRACE_PID
    elif [[ $m == floor ]]; then
      out=$(out_path "$o")
      floor_to "$out" "$bytes_per_event"
      tpid=$TRACE_PID
    elif [[ $mode != untraced ]]; then
      out=$(out_path "$o")
      LOUPE="${bin[$m]}" trace_to "$out" "$WORK/t.err" --port "$PORT"
      tpid=$TRACE_PID
    fi
    c0=0 y0=0; [[ -n $tpid ]] && c0=$(cpu_ticks "$tpid") && y0=$(sys_ticks "$tpid")
    worker=$(nginx_pids | head -1)
    read -r on0 wait0 <<<"$(sched_ns "$worker")"
    w0=$(date +%s%N)
    kthread_ticks > "$WORK/k0"; n0=$(nginx_ticks)
    read -r b0 i0 s0 <<<"$(cpu_split)"
    read -r _ ni0 <<<"$(switches "$(nginx_pids | head -1)")"
    sv0=0 si0=0; [[ -n $tpid ]] && read -r sv0 si0 <<<"$(switches "$tpid")"
    TIMEFORMAT='%3U %3S'
    { time wrk -t1 -c32 -d"${SECS}s" --latency "http://127.0.0.1:$PORT/a" > "$WORK/wrk.out"; } 2> "$WORK/wrk.time" &
    wpid=$!
    blame="- - -"
    if [[ ${BLAME:-0} == 1 ]]; then
      sleep 1
      # "culprit-ended waits/s, their ms/s, preemptions/s" of nginx and wrk
      # (wrk's pid: the child of the subshell that times it).
      blame=$("$WORK/sched_blame" "$WORK/sched_blame.bpf.o" $((SECS - 2)) \
        --target "$worker,$(pgrep -P "$wpid" wrk || pgrep -n -x wrk)" --culprit "${tpid:-1}" |
        sed -n 's/.*ended by culprit \([0-9.]*\) (\([0-9.]*\) ms).*culprit preemptions \([0-9.]*\)$/\1 \2 \3/p')
      [[ -n $blame ]] || blame="- - -"
    fi
    wait "$wpid"
    read -r b1 i1 s1 <<<"$(cpu_split)"
    w1=$(date +%s%N)
    read -r on1 wait1 <<<"$(sched_ns "$worker")"
    kthread_ticks > "$WORK/k1"; n1=$(nginx_ticks)
    read -r _ ni1 <<<"$(switches "$(nginx_pids | head -1)")"
    sv1=0 si1=0 c1=0 y1=0 ex=0 bytes=0
    if [[ -n $tpid ]]; then
      read -r sv1 si1 <<<"$(switches "$tpid")"
      sleep 0.2  # the last drains
      c1=$(cpu_ticks "$tpid") y1=$(sys_ticks "$tpid")
      kill -INT "$tpid"; wait "$tpid" || true
      if [[ $m == floor ]]; then
        # "events E bytes B lost L ... written W"
        read -r events written < <(tail -1 "$WORK/emit.out" | awk '{print $2, $NF}')
        echo "$mode: $(tail -1 "$WORK/emit.out")"
        ex=$(awk -v e="$events" -v x="$events_per_exchange" 'BEGIN {printf "%.0f", e / x}')
        bytes=$written
      else
        tail -1 "$WORK/t.err"
        ex=$(grep "loupe trace:" "$WORK/t.err" | tail -1 | grep -o '[0-9]* exchanges' | cut -d' ' -f1)
        [[ -f $out ]] && bytes=$(stat -c %s "$out")
        events=$(grep "loupe trace:" "$WORK/t.err" | tail -1 | grep -o '[0-9]* events,' | cut -d' ' -f1)
        if [[ $m == A && ${bytes:-0} -gt 0 && ${events:-0} -gt 0 ]]; then
          bytes_per_event=$((bytes / events))
          events_per_exchange=$(awk -v e="$events" -v x="$ex" 'BEGIN {printf "%.4f", e / x}')
        fi
      fi
      [[ -n $out && -f $out ]] && rm -f "$out"
    fi
    wrk_ticks=$(awk -v hz="$hz" '{printf "%.0f", ($1 + $2) * hz}' "$WORK/wrk.time")
    read -r rps p99 reqs < <(awk '/requests in/ {n = $1} /Requests\/sec/ {r = $2}
      $1 == "99%" {v = $2; if (v ~ /us$/) {sub("us", "", v); v /= 1000} else if (v ~ /ms$/) sub("ms", "", v)
                   else if (v ~ /s$/) {sub("s", "", v); v *= 1000}; p = v}
      END {print r, p, n}' "$WORK/wrk.out")
    [[ $mode == untraced ]] && base_rps=$rps
    echo "$mode $rps $p99 $reqs $((wrk_ticks + n1 - n0)) $((c1 - c0)) $(kthread_delta "$WORK/k0" "$WORK/k1") ${ex:-0} $bytes" \
      "$((b1 - b0)) $((i1 - i0)) $((s1 - s0)) $((sv1 - sv0)) $((si1 - si0)) $((ni1 - ni0)) $SECS" \
      "$(cut -d' ' -f1 /proc/loadavg) $base_rps $((y1 - y0)) $((on1 - on0)) $((wait1 - wait0)) $((w1 - w0)) $blame" >> "$ROWS"
  done
done
if [[ ${PACED:-1} == 1 ]]; then
  # Paced 10k req/s: agent CPU, RSS, events/s, drops, BPF run time.
  start_trace "$WORK/p.jsonl" --port "$PORT"
  prog_id=$(bpf_prog_list | jq '.[] | select(.name=="loupe_sys_exit") | .id' | head -1)
  read -r cnt0 ns0 <<<"$(bpftool_json prog show id "$prog_id" | jq -r '"\(.run_cnt // 0) \(.run_time_ns // 0)"')"
  t0=$(cpu_ticks "$TRACE_PID")
  wrk -t2 -c14 -d"${SECS}s" -s "$HERE/../tests/e2e/paced.lua" "http://127.0.0.1:$PORT/a" > "$WORK/paced.out"
  t1=$(cpu_ticks "$TRACE_PID")
  read -r cnt1 ns1 <<<"$(bpftool_json prog show id "$prog_id" | jq -r '"\(.run_cnt // 0) \(.run_time_ns // 0)"')"
  rss_mb=$(awk '/VmHWM/ {printf "%.1f", $2/1024}' "/proc/$TRACE_PID/status")
  paced_rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/paced.out")
  kill -INT "$TRACE_PID"; wait "$TRACE_PID" || true
  summary=$(grep "loupe trace:" "$WORK/p.jsonl.err" | tail -1)
  events=$(echo "$summary" | grep -o '[0-9]* events,' | cut -d' ' -f1)
  drops=$(echo "$summary" | grep -o '[0-9]* events dropped' | cut -d' ' -f1)
fi
sysctl -qw kernel.bpf_stats_enabled=0

mean() { printf '%s\n' "$@" | awk '{s+=$1} END {printf "%.1f", s/NR}'; }
echo
echo "| mode | req/s | ratio (rounds) | p99 ms | trace µs CPU / exchange (of it system) | kernel threads µs CPU / exchange | wrk + nginx µs CPU / request | with the tracer (ratio it predicts) | CPUs idle / stolen | bytes / exchange | tracer switches /s (voluntary, involuntary) | nginx preempted /s | nginx on CPU / waiting for one / asleep | waits of nginx + wrk ended by the tracer /s (ms/s); its preemptions of them /s | exchanges | load (rounds) |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
awk -v hz="$hz" '
  { k = $1; if (!(k in n)) order[++nk] = k; n[k]++; rps[k] += $2; p99[k] += $3; req[k] += $4; wn[k] += $5
    tr[k] += $6; kt[k] += $7; ex[k] += $8; by[k] += $9; busy[k] += $10; idle[k] += $11; steal[k] += $12
    sv[k] += $13; si[k] += $14; ni[k] += $15; secs[k] += $16; ts[k] += $19; on[k] += $20; wt[k] += $21; wall[k] += $22
    if ($23 != "-") { bl[k] += $23; blms[k] += $24; bp[k] += $25; nb[k]++ }
    loads[k] = loads[k] (n[k] > 1 ? ", " : "") $17; rr[k] = rr[k] (n[k] > 1 ? ", " : "") sprintf("%.2f", $2 / $18) }
  END {
    base = rps["untraced"] / n["untraced"]
    # At saturation nginx and wrk keep the CPUs busy, so throughput is the
    # CPU they and the tracer get over what a request costs the three:
    # load moves the first far more than the second (docs/benchmarks.md,
    # "cpufloor"), so this ratio holds where the measured one does not.
    base_cpu = (wn["untraced"] + tr["untraced"]) / req["untraced"]
    for (i = 1; i <= nk; i++) {
      k = order[i]; tick = 1e6 / hz; all = busy[k] + idle[k] + steal[k]
      e = ex[k] ? ex[k] : 2 * req[k]  # untraced: two exchanges a request
      cpu = (wn[k] + tr[k]) / req[k]
      printf "| %s | %.0f | %s | %.2f | %s | %.3f | %.1f | %.1f (%.3f) | %.1f%% / %.1f%% | %s | %s | %.0f | %.1f%% / %.1f%% / %.1f%% | %s | %d | %s |\n",
        k, rps[k] / n[k], k == "untraced" ? "1.000" : sprintf("%.3f (%s)", rps[k] / n[k] / base, rr[k]), p99[k] / n[k],
        ex[k] ? sprintf("%.2f (%.2f)", tr[k] * tick / ex[k], ts[k] * tick / ex[k]) : "", kt[k] * tick / e,
        wn[k] * tick / req[k], cpu * tick, base_cpu / cpu,
        100 * idle[k] / all, 100 * steal[k] / all, by[k] && ex[k] ? sprintf("%.0f", by[k] / ex[k]) : "",
        ex[k] ? sprintf("%.0f, %.0f", sv[k] / secs[k], si[k] / secs[k]) : "", ni[k] / secs[k],
        100 * on[k] / wall[k], 100 * wt[k] / wall[k], 100 * (wall[k] - on[k] - wt[k]) / wall[k],
        nb[k] && ex[k] ? sprintf("%.0f (%.1f); %.1f", bl[k] / nb[k], blms[k] / nb[k], bp[k] / nb[k]) : "", ex[k], loads[k]
    }
  }' "$ROWS"
if [[ ${PACED:-1} == 1 ]]; then
  echo
  echo "| paced (\$LOUPE, to a file) | value |"
  echo "|---|---|"
  echo "| paced load (req/s) | $paced_rps |"
  echo "| agent CPU at paced load (cores) | $(awk -v a="$t0" -v b="$t1" -v hz="$hz" -v s="$SECS" 'BEGIN {printf "%.3f", (b-a)/hz/s}') |"
  echo "| agent peak RSS (MiB) | $rss_mb |"
  echo "| events/s at paced load | $(awk -v e="$events" -v s="$SECS" 'BEGIN {printf "%.0f", e/s}') |"
  echo "| events dropped at paced load | $drops |"
  echo "| mean BPF run time, sys_exit program (ns/run, all syscalls) | $(awk -v c="$((cnt1-cnt0))" -v n="$((ns1-ns0))" 'BEGIN {printf "%.0f", c ? n/c : 0}') |"
fi
