#!/usr/bin/env bash
# The always-on profiler's cost (docs/benchmarks.md, "CPU profiling"):
# `loupe run` at --profile-hz (default 19) on an idle node and with N extra
# processes that each run 0.2 ms every 100 ms (so all of them get sampled,
# each a process of its own to name, built without frame pointers so its
# stacks are unwound from .eh_frame) plus two busy ones, for a while each.
# Cost = CPU time of the profiler's threads (loupe-profile: draining,
# naming, attributing, storing; loupe-unwind: unwind tables) + the BPF
# program's run time (kernel.bpf_stats_enabled), as a share of one core.
# Needs root.
# Usage: bench/profile_overhead.sh [build-dir] [seconds] [processes] [hz]
set -euo pipefail
build=${1:-build}
secs=${2:-60}
procs=${3:-300}
hz=${4:-19}
loupe="$build/loupe"
[[ -x $loupe ]] || { echo "build $loupe first" >&2; exit 1; }
dir=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done
  wait 2> /dev/null || true
  sysctl -qw kernel.bpf_stats_enabled="$stats_before" || true
  rm -rf "$dir"
}
stats_before=$(sysctl -n kernel.bpf_stats_enabled)
trap cleanup EXIT
sysctl -qw kernel.bpf_stats_enabled=1

thread_cpu_s() {  # utime + stime of the loupe-profile and loupe-unwind threads of $1
  local t sum=0
  for t in /proc/"$1"/task/*; do
    case $(cat "$t/comm" 2> /dev/null) in
      loupe-profile | loupe-unwind)
        sum=$(awk -v s="$sum" -v hz="$(getconf CLK_TCK)" '{ print s + ($14 + $15) / hz }' "$t/stat") ;;
    esac
  done
  echo "$sum"
}
bpf_run_s() {  # run time of the profile program(s), seconds
  bpftool prog show -j | jq '[(. // [])[] | select(.name // "" | startswith("loupe_profile")) | .run_time_ns // 0] | add // 0 | . / 1e9'
}

measure() {  # LABEL: one run of $secs seconds
  local label=$1 port run t0 c0 b0 t1 c1 b1
  port=$((20000 + RANDOM % 20000))
  "$loupe" run --listen "127.0.0.1:$port" --data-dir "$dir/data-$label" --metrics-interval 0 \
    --profile-hz "$hz" > "$dir/run.out" 2> "$dir/run.err" &
  run=$!
  for _ in $(seq 1 100); do grep -qs "Loupe is running" "$dir/run.out" && break; sleep 0.1; done
  sleep 6  # past the first collection: symbol tables loaded
  t0=$(date +%s.%N) c0=$(thread_cpu_s "$run") b0=$(bpf_run_s)
  sleep "$secs"
  t1=$(date +%s.%N) c1=$(thread_cpu_s "$run") b1=$(bpf_run_s)
  local samples
  samples=$(curl -s "127.0.0.1:$port/api/v1/status" | jq '.agent.profile.samples')
  kill -INT "$run"
  wait "$run" || true
  awk -v l="$label" -v w="$(echo "$t1 - $t0" | bc)" -v c="$(echo "$c1 - $c0" | bc)" \
    -v b="$(echo "$b1 - $b0" | bc)" -v s="$samples" \
    'BEGIN { printf "| %s | %.1f | %.3f | %.3f | %.2f%% | %s |\n", l, w, c, b, 100 * (c + b) / w, s }'
}

echo "# $(date -u +%FT%TZ) $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg), commit $(git rev-parse --short HEAD 2> /dev/null || echo '?'), ${hz} Hz"
echo "| node | wall s | profiler threads CPU s | BPF program CPU s | share of one core | samples |"
echo "|---|---|---|---|---|---|"
measure "idle"
cat > "$dir/ticker.c" << 'C'
#include <time.h>
int main(void) {  /* 0.2 ms of CPU every 100 ms, for ever */
  struct timespec nap = {0, 100000000}, t0, t;
  for (;;) {
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do clock_gettime(CLOCK_MONOTONIC, &t);
    while ((t.tv_sec - t0.tv_sec) * 1000000000L + t.tv_nsec - t0.tv_nsec < 200000);
    nanosleep(&nap, 0);
  }
}
C
gcc -O2 -fomit-frame-pointer -o "$dir/ticker" "$dir/ticker.c"
for _ in $(seq 1 "$procs"); do "$dir/ticker" & pids+=($!); done
for _ in 1 2; do (while :; do :; done) & pids+=($!); done
measure "$procs ticking + 2 busy processes"
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
