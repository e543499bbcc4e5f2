#!/usr/bin/env bash
# Resident memory of `loupe run` and `loupe agent` (sending to a `loupe
# server` on the same host) at saturation with many live connections
# (issue 14: RSS <= 64 MiB with 10k): nginx (one worker, `return 200`)
# under unpaced `wrk -t2 -c CONNS`, both ends traced, so the agent tracks
# 2 x CONNS connections. Modes alternate in rounds. Prints one markdown
# row per mode and round: the RSS before the load (2 s after start), the
# peak RSS, the RSS near the end of the load split into heap (anonymous
# memory), BPF maps mapped into the process (the ring buffer, whose data
# pages the kernel maps twice, and the profiler's unwind rows) and the rest
# (binary and libraries), the connections the tracker held, and the RSS
# 10 s after the load (what a burst leaves behind). Beside RSS, what is
# really used: PSS (shared library pages divided among the processes that
# map them) and the memory charged to a cgroup of its own that each
# instance starts in (what memcg limits and `kubectl top` count: its heap,
# the page cache it faulted in first, and kernel memory such as BPF maps,
# which RSS counts only where they are mapped into the process).
#
#   sudo LOUPE=build/loupe bench/rss_connections.sh [ROUNDS] [SECONDS] [CONNS]
#
# MODES (default "run agent"); LOUPE_B=other/loupe with MODES="run run_b"
# compares two builds (a mode ending in _b runs $LOUPE_B). LOUPE_FLAGS:
# flags added to every instance (e.g. --no-profile). SAMPLES_DIR: where
# to keep each round's RSS samples (ms into the load, RSS KiB, heap KiB),
# taken every 0.2 s through the load. Per-connection bytes: run it with
# CONNS=32 and CONNS=10000 and divide the difference in heap by 2 x the
# difference in connections.
set -euo pipefail
ROUNDS=${1:-1}
SECS=${2:-20}
CONNS=${3:-10000}
MODES=${MODES:-run agent}
read -r -a EXTRA <<< "${LOUPE_FLAGS:-}"
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../tests/e2e/lib.sh"
require_root
ulimit -n "$(ulimit -Hn)"  # wrk holds CONNS sockets

HPORT=$(free_port)
NGINX_ACCESS_LOG=off start_nginx "$HPORT"

LSPORT=$(free_port)
head -c 24 /dev/urandom | base64 > "$WORK/token"
"$LOUPE" server --listen "127.0.0.1:$LSPORT" --data-dir "$WORK/server-data" \
  --token-file "$WORK/token" > /dev/null 2> "$WORK/server.err" &
PIDS+=($!)
wait_for_port "$LSPORT"

kib() { awk -v k="$2" '$1 == k":" { print $2 }' "/proc/$1/${3:-status}"; }
# Each instance runs in a memory cgroup of its own, made under this shell's
# (v1: the memory hierarchy; v2: the unified one).
CG_PARENT=$(awk -F: '$2 == "memory" { print "/sys/fs/cgroup/memory" $3 }' /proc/self/cgroup)
[[ -n $CG_PARENT ]] || CG_PARENT=/sys/fs/cgroup$(awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup)
cg_kib() {  # CGROUP: KiB charged to it now
  if [[ -f $1/memory.usage_in_bytes ]]; then echo $(($(cat "$1/memory.usage_in_bytes") / 1024))
  else echo $(($(cat "$1/memory.current") / 1024)); fi
}
in_cgroup() {  # CGROUP CMD... &: CMD started in CGROUP (charged from its first page); run
  # in the background, where it execs, so that $! is CMD's pid
  exec sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' sh "$@"
}
# KiB of BPF maps mapped into PID (resident from the moment they are mapped).
bpf_maps_kib() {
  awk '/^[0-9a-f]+-[0-9a-f]+ / { bpf = ($6 == "anon_inode:bpf-map") }
    bpf && $1 == "Rss:" { kib += $2 } END { print kib + 0 }' "/proc/$1/smaps"
}

measure() {  # MODE ROUND: one result line
  local mode=$1 bin=$LOUPE dir="$WORK/$1-data" pid idle peak rss anon maps after conns rps status_port
  local tracked=- table=- pss cg=$CG_PARENT/loupe-rss-$$-$1-$2 charged
  mkdir "$cg"
  [[ $mode == *_b ]] && bin=${LOUPE_B:?"mode $mode needs LOUPE_B"}
  rm -rf "$dir"
  : > "$WORK/loupe.out"
  : > "$WORK/loupe.err"
  case ${mode%_b} in
    run)
      status_port=$(free_port)
      in_cgroup "$cg" "$bin" run --listen "127.0.0.1:$status_port" --data-dir "$dir" --metrics-interval 0 \
        --port "$HPORT" "${EXTRA[@]}" > "$WORK/loupe.out" 2> "$WORK/loupe.err" &
      pid=$!
      wait_for_line "$WORK/loupe.out" "Loupe is running" "$pid"
      ;;
    agent)
      in_cgroup "$cg" "$bin" agent --server "http://127.0.0.1:$LSPORT" --token-file "$WORK/token" \
        --spool-dir "$dir" --metrics-interval 0 -o json --port "$HPORT" "${EXTRA[@]}" \
        > "$WORK/loupe.out" 2> "$WORK/loupe.err" &
      pid=$!
      wait_for_line "$WORK/loupe.err" "sending to" "$pid"
      ;;
  esac
  sleep 2
  idle=$(kib "$pid" VmRSS)
  wrk -t2 -c"$CONNS" -d"${SECS}s" --timeout 10s "http://127.0.0.1:$HPORT/a" > "$WORK/wrk.txt" &
  local wrk=$!
  # RSS and heap every 0.2 s from the load's start: when the peak came (the
  # connection ramp or the steady state) and how much of it was heap.
  local samples=$WORK/samples-$1-$2-$EPOCHSECONDS
  (t0=${EPOCHREALTIME/./}
    while kill -0 "$wrk" 2> /dev/null; do  # builtins only: a loaded host delays forks
      local vmrss=0 anon=0 k v _
      while read -r k v _; do
        case $k in VmRSS:) vmrss=$v ;; RssAnon:) anon=$v ;; esac
      done < "/proc/$pid/status"
      echo "$(((${EPOCHREALTIME/./} - t0) / 1000)) $vmrss $anon"
      sleep 0.2
    done) > "$samples" 2> /dev/null &
  local sampler=$!
  # Sampled while wrk still holds its connections (it closes them when done).
  sleep $((SECS - 2))
  rss=$(kib "$pid" VmRSS)
  peak=$(kib "$pid" VmHWM)
  anon=$(kib "$pid" RssAnon)
  pss=$(kib "$pid" Pss smaps_rollup)
  charged=$(cg_kib "$cg")
  maps=$(bpf_maps_kib "$pid")
  conns=$(ss -Htn state established "( sport = :$HPORT )" | wc -l)
  if [[ ${mode%_b} == run ]]; then  # the tracker's own count of what its table holds
    read -r tracked table < <(curl -s "http://127.0.0.1:$status_port/api/v1/status" |
      jq -r '[.. | objects | select(has("connection_table_bytes"))][0]
        | "\(.live_connections) \(.connection_table_bytes)"')
  fi
  wait "$wrk" || true
  wait "$sampler" || true
  [[ -z ${SAMPLES_DIR:-} ]] || cp "$samples" "$SAMPLES_DIR/"
  local peak_at peak_anon  # when RSS was highest; the most heap sampled
  peak_at=$(sort -k2,2n "$samples" | tail -1 | awk '{ printf "%.1f", $1 / 1000 }')
  peak_anon=$(sort -k3,3n "$samples" | tail -1 | awk '{ print $3 }')
  rps=$(awk '/Requests\/sec/ { print int($2) }' "$WORK/wrk.txt")
  sleep 10  # what the process keeps once the load is over
  after=$(kib "$pid" VmRSS)
  kill -INT "$pid"
  wait "$pid" || true
  rmdir "$cg" 2> /dev/null || true
  echo "$mode $2 $rps $conns $idle $peak $rss $anon $maps $tracked $table $after $pss $charged ${peak_at:-0} ${peak_anon:-0}"
}

: > "$WORK/results"
for r in $(seq "$ROUNDS"); do
  for mode in $MODES; do
    measure "$mode" "$r" | tee -a "$WORK/results" >&2
    sleep 2  # wrk's sockets in TIME_WAIT go before the next mode starts
  done
done

echo
echo "$(date -u +%F) $(nproc) CPUs, $ROUNDS rounds x ${SECS}s, wrk -t2 -c$CONNS, load $(cut -d' ' -f1 /proc/loadavg)"
echo
echo "| mode | round | req/s | live connections (server side) | idle RSS MiB | peak RSS MiB | RSS at end MiB | of it heap MiB | BPF maps MiB | binary, libraries MiB | PSS at end MiB | cgroup at end MiB | tracked connections | table bytes / connection | RSS 10 s after the load MiB | highest RSS sampled: s into the load | peak heap sampled MiB |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
awk '{ label = $1; sub(/_b$/, " (B)", label)
  printf "| loupe %s | %d | %d | %d | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %s | %s | %.1f | %.1f | %.1f |\n", label, $2, $3,
    $4, $5 / 1024, $6 / 1024, $7 / 1024, $8 / 1024, $9 / 1024, ($7 - $8 - $9) / 1024, $13 / 1024,
    $14 / 1024, $10, $10 == "-" || $10 == 0 ? "-" : sprintf("%.0f", $11 / $10), $12 / 1024, $15, $16 / 1024 }' "$WORK/results"
