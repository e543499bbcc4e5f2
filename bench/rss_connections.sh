#!/usr/bin/env bash
# Resident memory of `loupe run` and `loupe agent` (sending to a `loupe
# server` on the same host) at saturation with many live connections
# (issue 14: RSS <= 64 MiB with 10k): nginx (one worker, `return 200`)
# under unpaced `wrk -t2 -c CONNS`, both ends traced, so the agent tracks
# 2 x CONNS connections. Modes alternate in rounds. Prints one markdown
# row per mode and round: the peak RSS and the RSS near the end of the load,
# split into heap (anonymous memory) and the rest (the mapped ring buffer,
# binary and libraries), with the connections the tracker held.
#
#   sudo LOUPE=build/loupe bench/rss_connections.sh [ROUNDS] [SECONDS] [CONNS]
#
# MODES (default "run agent"); LOUPE_B=other/loupe with MODES="run run_b"
# compares two builds (a mode ending in _b runs $LOUPE_B). Per-connection
# bytes: run it with CONNS=32 and CONNS=10000 and divide the difference in
# heap by 2 x the difference in connections.
set -euo pipefail
ROUNDS=${1:-1}
SECS=${2:-20}
CONNS=${3:-10000}
MODES=${MODES:-run agent}
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../tests/e2e/lib.sh"
require_root
ulimit -n "$(ulimit -Hn)"  # wrk holds CONNS sockets

HPORT=$(free_port)
start_nginx "$HPORT"
sed -i 's|access_log .*;|access_log off;|' "$WORK/nginx-$HPORT/nginx.conf"
kill -HUP "$(cat "$WORK/nginx-$HPORT/nginx.pid")"

LSPORT=$(free_port)
head -c 24 /dev/urandom | base64 > "$WORK/token"
"$LOUPE" server --listen "127.0.0.1:$LSPORT" --data-dir "$WORK/server-data" \
  --token-file "$WORK/token" > /dev/null 2> "$WORK/server.err" &
PIDS+=($!)
wait_for_port "$LSPORT"

kib() { awk -v k="$2" '$1 == k":" { print $2 }' "/proc/$1/${3:-status}"; }

measure() {  # MODE ROUND: one result line
  local mode=$1 bin=$LOUPE dir="$WORK/$1-data" pid peak rss anon conns rps status_port
  local tracked=- table=-
  [[ $mode == *_b ]] && bin=${LOUPE_B:?"mode $mode needs LOUPE_B"}
  rm -rf "$dir"
  : > "$WORK/loupe.out"
  : > "$WORK/loupe.err"
  case ${mode%_b} in
    run)
      status_port=$(free_port)
      "$bin" run --listen "127.0.0.1:$status_port" --data-dir "$dir" --metrics-interval 0 \
        --port "$HPORT" > "$WORK/loupe.out" 2> "$WORK/loupe.err" &
      pid=$!
      wait_for_line "$WORK/loupe.out" "Loupe is running" "$pid"
      ;;
    agent)
      "$bin" agent --server "http://127.0.0.1:$LSPORT" --token-file "$WORK/token" \
        --spool-dir "$dir" --metrics-interval 0 -o json --port "$HPORT" \
        > "$WORK/loupe.out" 2> "$WORK/loupe.err" &
      pid=$!
      wait_for_line "$WORK/loupe.err" "sending to" "$pid"
      ;;
  esac
  wrk -t2 -c"$CONNS" -d"${SECS}s" --timeout 10s "http://127.0.0.1:$HPORT/a" > "$WORK/wrk.txt" &
  local wrk=$!
  # Sampled while wrk still holds its connections (it closes them when done).
  sleep $((SECS - 2))
  rss=$(kib "$pid" VmRSS)
  peak=$(kib "$pid" VmHWM)
  anon=$(kib "$pid" RssAnon)
  conns=$(ss -Htn state established "( sport = :$HPORT )" | wc -l)
  if [[ ${mode%_b} == run ]]; then  # the tracker's own count of what its table holds
    read -r tracked table < <(curl -s "http://127.0.0.1:$status_port/api/v1/status" |
      jq -r '[.. | objects | select(has("connection_table_bytes"))][0]
        | "\(.live_connections) \(.connection_table_bytes)"')
  fi
  wait "$wrk" || true
  rps=$(awk '/Requests\/sec/ { print int($2) }' "$WORK/wrk.txt")
  kill -INT "$pid"
  wait "$pid" || true
  echo "$mode $2 $rps $conns $peak $rss $anon $tracked $table"
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
echo "| mode | round | req/s | live connections (server side) | peak RSS MiB | RSS at end MiB | of it heap MiB | rest MiB | tracked connections | table bytes / connection |"
echo "|---|---|---|---|---|---|---|---|---|---|"
awk '{ label = $1; sub(/_b$/, " (B)", label)
  printf "| loupe %s | %d | %d | %d | %.1f | %.1f | %.1f | %.1f | %s | %s |\n", label, $2, $3, $4,
    $5 / 1024, $6 / 1024, $7 / 1024, ($6 - $7) / 1024, $8,
    $8 == "-" || $8 == 0 ? "-" : sprintf("%.0f", $9 / $8) }' "$WORK/results"
