#!/usr/bin/env bash
# The traced path of the sys_exit program on its own (issue 14, kernel
# side): `hook_cost pair` writes BYTES on one end of a loopback TCP
# connection and reads them on the other (two traced syscalls per pair:
# write or writev, and read), with nothing attached, then traced by
# `loupe trace --port` of build A ($LOUPE) and of build B ($LOUPE_B, when
# given), alternating in rounds. Prints, per payload size, the CPU time of
# the pair's thread per pair and the bpf_stats ns/run of this run's
# sys_exit program over the window (every syscall of the host in that
# window, most of them the pair's: 280,000 traced ones in a few seconds).
#
#   sudo LOUPE=build/loupe [LOUPE_B=other/loupe] bench/traced_path.sh [ROUNDS]
set -euo pipefail
ROUNDS=${1:-3}
CASES=${CASES:-"64 1024 4096 4096x4"}  # BYTES, or BYTESxIOVECS for a writev
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../tests/e2e/lib.sh"
require_root
load1() { cut -d' ' -f1 /proc/loadavg; }
LOAD0=$(load1)
gcc -O2 -o "$WORK/hook_cost" "$HERE/hook_cost.c" -lbpf
MODES="none A"
[[ -n ${LOUPE_B:-} ]] && MODES="none A B"
PORT=$(free_port)

sys_exit_ids() { bpf_prog_list | jq -r '.[] | select(.name == "loupe_sys_exit") | .id' | sort; }
prog_runs() {  # IDS -> "run_cnt run_time_ns" summed over those programs
  local c=0 n=0 id rc rn
  for id in $1; do
    read -r rc rn <<< "$(bpftool_json prog show id "$id" | jq -r '"\(.run_cnt // 0) \(.run_time_ns // 0)"')"
    c=$((c + rc)) n=$((n + rn))
  done
  echo "$c $n"
}

sysctl -qw kernel.bpf_stats_enabled=1
: > "$WORK/results"
for r in $(seq "$ROUNDS"); do
  for mode in $MODES; do
    pid="" ids=""
    if [[ $mode != none ]]; then
      bin=$LOUPE
      [[ $mode == B ]] && bin=$LOUPE_B
      before=$(sys_exit_ids)
      LOUPE=$bin start_trace "$WORK/trace.jsonl" --port "$PORT"
      pid=$TRACE_PID
      # This run's program: other sessions' loupes have theirs too.
      ids=$(comm -13 <(echo "$before") <(sys_exit_ids))
    fi
    for c in $CASES; do
      bytes=${c%x*} iov=0
      [[ $c == *x* ]] && iov=${c#*x}
      read -r c0 n0 <<< "$(prog_runs "$ids")"
      us=$("$WORK/hook_cost" pair "$PORT" "$bytes" "$iov")
      read -r c1 n1 <<< "$(prog_runs "$ids")"
      echo "$c $mode $r $us $((c1 - c0)) $((n1 - n0)) $(load1)" >> "$WORK/results"
    done
    if [[ -n $pid ]]; then kill -INT "$pid"; wait "$pid" || true; fi
  done
  echo "round $r done (load $(load1))" >&2
done
sysctl -qw kernel.bpf_stats_enabled=0

echo
echo "$(date -u '+%F %H:%M') UTC, $ROUNDS rounds, load $LOAD0 at start, $(load1) at end;" \
  "A: $LOUPE${LOUPE_B:+, B: $LOUPE_B}"
echo
echo "| payload | mode | ns per write+read pair (median of rounds) | added by tracing | sys_exit ns/run | load |"
echo "|---|---|---|---|---|---|"
awk -v cases="$CASES" -v modes="$MODES" '
  { k = $1 SUBSEP $2; n[k]++; v[k, n[k]] = $4; runs[k] += $5; ns[k] += $6; load[k] += $7 }
  function median(k,   i, j, t, a) {
    for (i = 1; i <= n[k]; i++) a[i] = v[k, i]
    for (i = 1; i <= n[k]; i++) for (j = i + 1; j <= n[k]; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return a[int((n[k] + 1) / 2)]
  }
  END {
    nc = split(cases, C, " "); nm = split(modes, M, " ")
    for (i = 1; i <= nc; i++) {
      base = median(C[i] SUBSEP "none")
      for (j = 1; j <= nm; j++) {
        k = C[i] SUBSEP M[j]
        med = median(k)
        printf "| %s | %s | %.0f | %s | %s | %.1f |\n", C[i], M[j], med,
          M[j] == "none" ? "" : sprintf("%+.0f", med - base),
          runs[k] ? sprintf("%.0f", ns[k] / runs[k]) : "", load[k] / n[k]
      }
    }
  }' "$WORK/results"
