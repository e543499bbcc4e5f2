#!/usr/bin/env bash
# What capture costs, on every workload of issue 14, in one run: each
# scenario untraced, then traced by `loupe run` and by `loupe agent`
# (sending to a `loupe server` on the same host), alternating in rounds so
# machine noise hits all modes alike. Prints one markdown table per run:
# - throughput, and its ratio to the untraced runs (per round in brackets);
# - p99 latency (pgbench: mean, it prints no p99);
# - agent CPU per exchange: the run time of the loupe process's threads
#   (/proc/PID/task/*/schedstat, in ns; its threads live as long as it
#   does) over the scenario's window, divided by the exchanges of that
#   window (the wrk scenarios) or by the records stored (the others, whose
#   window lasts until the store stops moving): a figure robust to a busy
#   machine, unlike throughput; and the same
#   without the continuous profiler's threads (their work follows what runs
#   on the host, not what is captured). See WARMUP for the window;
# - BPF run time of the sys_exit program (bpf_stats), over every syscall;
# - events lost to a full ring buffer, and records stored against the
#   exchanges the load generator made (1.000: every exchange recorded),
#   both once the store stops moving;
# - the loupe process's RSS at the end of the load;
# - for `loupe agent`: the CPU of the `loupe server` it sends to (on the
#   same host, so it shares the cores) per exchange: what receiving,
#   decoding and storing a record costs there.
#
#   sudo LOUPE=build/loupe bench/overhead.sh [ROUNDS] [SECONDS]
#
# SCENARIOS (default "http http_paced redis pgbench https"; also "http2":
# h2load, 8 connections of 10 concurrent streams, against nginx over h2c,
# to set HTTP/2's cost per exchange beside HTTP/1's "http"; and
# "http_pipe": wrk pipelining 16 requests per write on 32 connections, the
# HTTP counterpart of redis -P 16) and MODES
# (default "run agent") pick a subset. To compare two builds in one run,
# alternating like the modes: LOUPE_B=other/loupe and MODES="run run_b ..."
# (a mode ending in _b runs $LOUPE_B). An exchange is one request/response
# seen on one side: every scenario has both sides on this host, so a
# request is two exchanges. Capture only: --metrics-interval 0.
# WARMUP (default 2) seconds of load, not measured, before each window
# (untraced too): the first seconds of a process fault in its batch
# vectors and queues (~26% of a fresh agent's samples were the first
# writes to never-touched batch pages), which a running agent paid once at
# start, and the continuous profiler names (reads the maps of) a load
# generator the first time it samples it. The wrk scenarios (http,
# http_paced, http_pipe, https) run one wrk for WARMUP + SECONDS and
# measure its last SECONDS, so their window holds no process start:
# throughput and exchanges are nginx's request count over the window
# (stub_status on a port Loupe does not trace), while p99 is wrk's over its
# whole run (wrk reports a run only as a whole), warm-up included. The
# others (redis, pgbench, http2) run their own load generator in their
# window, after WARMUP seconds of the saturated HTTP load when one of them
# comes first. WARMUP=0 measures from the start.
set -euo pipefail
ROUNDS=${1:-2}
SECS=${2:-4}
SCENARIOS=${SCENARIOS:-http http_paced redis pgbench https}
MODES=${MODES:-run agent}
WARMUP=${WARMUP:-2}
REDIS_N=${REDIS_N:-100000}  # SET and GET each: traced runs take 2-10x longer (the 5-minute budget)
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../tests/e2e/lib.sh"
source "$HERE/../tests/e2e/tls/nginx_tls.sh"
source "$HERE/../tests/e2e/db_servers.sh"
require_root
for tool in wrk h2load redis-server redis-benchmark pgbench nginx bpftool jq curl; do
  command -v "$tool" > /dev/null || { echo "overhead.sh: needs $tool" >&2; exit 1; }
done
START=$(date +%s)
load1() { cut -d' ' -f1 /proc/loadavg; }
LOAD0=$(load1)

# --- servers ---------------------------------------------------------------
HPORT=$(free_port)
start_nginx "$HPORT"
make_cert
SPORT=$(free_port)
start_tls_nginx "$SPORT"
H2PORT=$(free_port)  # the same nginx site, HTTP/2 with prior knowledge (h2c)
start_nginx "$H2PORT"
sed -i "s|listen 127.0.0.1:$H2PORT;|listen 127.0.0.1:$H2PORT http2;|" "$WORK/nginx-$H2PORT/nginx.conf"
# Each nginx also answers its request count on a port Loupe does not trace.
declare -A NGINX_STATUS
for p in "$HPORT" "$SPORT" "$H2PORT"; do
  NGINX_STATUS[$p]=$(free_port)
  sed -i -e 's|access_log .*;|access_log off;|' \
    -e "s|^  server {|  server { listen 127.0.0.1:${NGINX_STATUS[$p]}; location = /count { stub_status; } }\n  server {|" \
    "$WORK/nginx-$p/nginx.conf"
  kill -HUP "$(cat "$WORK/nginx-$p/nginx.pid")"
  wait_for_port "${NGINX_STATUS[$p]}"
done

RPORT=$(free_port)
start_redis "$RPORT"
PGPORT=$(free_port)
start_postgres "$PGPORT" max_connections=50
pgbench -h 127.0.0.1 -p "$PGPORT" -U postgres -i -s 2 -q postgres > "$PG/init.log" 2>&1

# The server `loupe agent` sends to (idle in the other modes).
LSPORT=$(free_port)
head -c 24 /dev/urandom | base64 > "$WORK/token"
"$LOUPE" server --listen "127.0.0.1:$LSPORT" --data-dir "$WORK/server-data" \
  --token-file "$WORK/token" > /dev/null 2> "$WORK/server.err" &
SERVER_PID=$!
PIDS+=($!)
wait_for_port "$LSPORT"
sleep 0.5

# --- load generators ----------------------------------------------------
# wrk_SCENARIO SECONDS: the load, its output in $WORK/wrk.out; the others
# print "throughput p99_ms exchanges".
wrk_p99() {  # wrk's latency figure in ms
  awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub("us","",v); v/=1000} else if (v ~ /ms$/) sub("ms","",v);
       else if (v ~ /s$/) {sub("s","",v); v*=1000}; print v}' "$1"
}
wrk_http() {
  wrk -t1 -c32 -d"$1s" --latency "http://127.0.0.1:$HPORT/a" > "$WORK/wrk.out"
}
wrk_http_paced() {  # ~10k req/s: 14 connections, 1 ms apart
  wrk -t2 -c14 -d"$1s" --latency -s "$HERE/../tests/e2e/paced.lua" \
    "http://127.0.0.1:$HPORT/a" > "$WORK/wrk.out"
}
wrk_http_pipe() {  # HTTP/1.1 pipelining: 16 GETs per write (tests/e2e/pipeline.lua)
  wrk -t1 -c32 -d"$1s" --latency -s "$HERE/../tests/e2e/pipeline.lua" \
    "http://127.0.0.1:$HPORT/a" -- 16 > "$WORK/wrk.out"
}
wrk_https() {
  wrk -t1 -c32 -d"$1s" --latency "https://127.0.0.1:$SPORT/a" > "$WORK/wrk.out"
}
nginx_count() {  # PORT -> "requests seconds": the nginx serving PORT's count, and now
  echo "$(curl -sf "http://127.0.0.1:${NGINX_STATUS[$1]}/count" | awk 'NR == 3 {print $3}') \
$(date +%s.%N)"
}
load_http2() {  # h2load prints no p99: the mean request time stands in
  h2load -c 8 -m 10 -D "$SECS" "http://127.0.0.1:$H2PORT/a" > "$WORK/h2load.out" 2>&1
  awk '/^finished in/ {t = $4} /^requests:/ {n = $8}
    /^time for request:/ {m = $6; if (m ~ /us$/) {sub("us", "", m); m /= 1000} else if (m ~ /ms$/) sub("ms", "", m)
      else if (m ~ /s$/) {sub("s", "", m); m *= 1000}}
    END {printf "%.0f %s %d\n", t, m, 2 * n}' "$WORK/h2load.out"
}
load_redis() {  # pipelined: 16 commands per read/write syscall
  redis-benchmark -h 127.0.0.1 -p "$RPORT" -P 16 -c 50 -n "$REDIS_N" -t set,get --csv \
    2> /dev/null > "$WORK/redis.out"
  awk -F'"' -v n="$REDIS_N" '$2=="SET" || $2=="GET" {s += $4; p = $14 > p ? $14 : p; k++}
    END {printf "%.0f %s %d\n", s / k, p, 2 * k * n}' "$WORK/redis.out"
}
load_pgbench() {  # select-only; pgbench prints no p99: the mean latency stands in
  pgbench -h 127.0.0.1 -p "$PGPORT" -U postgres -n -S -c 8 -j 2 -T "$SECS" postgres \
    2> /dev/null > "$WORK/pg.out"
  awk '/^tps/ {t = $3} /^latency average/ {l = $4} /actually processed/ {split($NF, a, "/"); n = a[1]}
    END {printf "%.0f %s %d\n", t, l, 2 * n}' "$WORK/pg.out"
}
port_of() {
  case $1 in
    http | http_paced | http_pipe) echo "$HPORT" ;;
    https) echo "$SPORT" ;;
    http2) echo "$H2PORT" ;;
    redis) echo "$RPORT" ;;
    pgbench) echo "$PGPORT" ;;
  esac
}

# --- measurements ----------------------------------------------------------
# One `loupe run` or `loupe agent` per mode and round, tracing every
# scenario's port (starting one costs seconds of BPF verification on a busy
# machine); each scenario is measured in its own window of that process.
# CPU in ns: the run time of every thread, from the scheduler's own count
# (/proc/PID/stat's utime and stime come in 10 ms ticks: up to a tenth of
# a paced window's CPU). Loupe's threads start with it and end with it, so
# the sum over the live ones is the process's.
cpu_ns() {
  cat /proc/"$1"/task/*/schedstat 2> /dev/null | awk '{t += $1} END {printf "%.0f\n", t}'
}
# The same without the continuous profiler's threads, whose work follows
# the processes running on the host (on a machine busy compiling, the
# unwinder loads every new compiler's tables), not the exchanges captured.
capture_ns() {
  local task t=0 comm ns
  for task in /proc/"$1"/task/*; do
    { read -r comm < "$task/comm" && read -r ns _ < "$task/schedstat"; } 2> /dev/null || continue
    [[ $comm == loupe-profile || $comm == loupe-unwind ]] || t=$((t + ns))
  done
  echo "$t"
}
rss_mib() { awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }
# Ours is the sys_exit program that appears when loupe starts (this bpftool
# cannot say which process holds a program).
sys_exit_ids() { bpf_prog_list | jq -r '.[] | select(.name == "loupe_sys_exit") | .id'; }
bpf_runs() {  # PROG_ID -> "run_cnt run_time_ns"
  bpftool_json prog show id "$1" | jq -r '"\(.run_cnt // 0) \(.run_time_ns // 0)"'
}
ring_drops() {  # STATS_MAP_ID -> events lost to a full ring buffer (LOUPE_STAT_RB_DROPS)
  bpftool_json map lookup id "$1" key 0 0 0 0 | jq '(.formatted.values // []) | map(.value) | add // 0'
}
stored() {  # records the store committed: loupe run's own, or the server's
  curl -sf -H "Authorization: Bearer $(cat "$WORK/token")" "http://127.0.0.1:$1/api/v1/status" |
    jq '.store.ingest.written'
}
settle() {  # STATUS_PORT: until the store's count holds for 0.9 s (at most 15 s: the 5-minute budget)
  local prev=-1 now same=0 i
  for i in $(seq 50); do
    now=$(stored "$1")
    if [[ $now == "$prev" ]]; then
      same=$((same + 1))
      if ((same >= 3)); then return; fi
    else
      same=0
    fi
    prev=$now
    sleep 0.3
  done
}

LPID="" PROG="" STATS_MAP="" STATUS_PORT=""
start_loupe() {  # MODE (run, agent; run_b, agent_b: the same with $LOUPE_B)
  local dir="$WORK/$1-data" before i
  rm -rf "$dir"
  # Emptied before the child starts: the previous instance's ready line
  # must not pass for this one's (BPF verification takes seconds here).
  : > "$WORK/loupe.out"
  : > "$WORK/loupe.err"
  before=$(sys_exit_ids)
  local bin=$LOUPE
  if [[ $1 == *_b ]]; then bin=${LOUPE_B:?"mode $1 needs LOUPE_B"}; fi
  case ${1%_b} in
    run)
      STATUS_PORT=$(free_port)
      "$bin" run --listen "127.0.0.1:$STATUS_PORT" --data-dir "$dir" --metrics-interval 0 \
        --port "$HPORT,$SPORT,$H2PORT,$RPORT,$PGPORT" > "$WORK/loupe.out" 2> "$WORK/loupe.err" &
      LPID=$!
      wait_for_line "$WORK/loupe.out" "Loupe is running" "$LPID"
      ;;
    agent)
      STATUS_PORT=$LSPORT
      "$bin" agent --server "http://127.0.0.1:$LSPORT" --token-file "$WORK/token" \
        --spool-dir "$dir" --metrics-interval 0 -o json \
        --port "$HPORT,$SPORT,$H2PORT,$RPORT,$PGPORT" > "$WORK/loupe.out" 2> "$WORK/loupe.err" &
      LPID=$!
      wait_for_line "$WORK/loupe.err" "sending to" "$LPID"
      ;;
  esac
  settle "$STATUS_PORT"  # what another mode left in the server's queue
  PROG=$(comm -13 <(echo "$before" | sort) <(sys_exit_ids | sort) | tail -1)
  for i in $(bpftool_json prog show id "$PROG" | jq '(.map_ids // [])[]'); do
    if [[ $(bpftool_json map show id "$i" | jq -r .name) == stats ]]; then STATS_MAP=$i; fi
  done
}
stop_loupe() {
  kill -INT "$LPID"
  wait "$LPID" || true
  cat "$WORK/loupe.out" >> "$WORK/loupe.log"
}

is_wrk() { [[ $1 == http || $1 == http_paced || $1 == http_pipe || $1 == https ]]; }

# A results line: 1 scenario 2 mode 3 round 4 throughput 5 p99 6 exchanges
# 7 cpu ns 8 bpf runs 9 bpf ns 10 records stored 11 ring-buffer drops 12 rss
# 13 load 14 cpu ns of the threads other than the profiler's 15 cpu ns of
# the loupe server 16 the exchanges the CPU was spent on.
cpu_read() {  # -> "process without-profiler server" CPU ns
  echo "$(cpu_ns "$LPID") $(capture_ns "$LPID") $(cpu_ns "$SERVER_PID")"
}

# measure_window SCENARIO MODE ROUND (wrk scenarios): one wrk for WARMUP +
# SECS seconds; CPU, BPF runs and throughput over its last SECS seconds,
# taken as a steady state: CPU divided by the exchanges nginx answered in
# them (a round in the store writer's hands at either end, ~0.2 s at the
# paced rate, moves it by a few percent). Stored records and lost events
# are counted over the whole run, once the store stops moving, against
# nginx's count over the same run: every exchange of it recorded or not.
measure_window() {
  local sc=$1 mode=$2 round=$3 port load_pid q_start s_start d0 q0 t0 q1 t1 c0 k0 v0 c1 k1 v1
  local r0 n0 r1 n1 thr p99 rss s_end
  port=$(port_of "$sc")
  read -r q_start _ <<< "$(nginx_count "$port")"
  if [[ $mode != base ]]; then
    s_start=$(stored "$STATUS_PORT")
    d0=$(ring_drops "$STATS_MAP")
  fi
  "wrk_$sc" $((WARMUP + SECS)) &
  load_pid=$!
  sleep "$WARMUP"
  read -r q0 t0 <<< "$(nginx_count "$port")"
  if [[ $mode != base ]]; then
    read -r r0 n0 <<< "$(bpf_runs "$PROG")"
    read -r c0 k0 v0 <<< "$(cpu_read)"
  fi
  wait "$load_pid"
  if [[ $mode != base ]]; then
    read -r c1 k1 v1 <<< "$(cpu_read)"
    read -r r1 n1 <<< "$(bpf_runs "$PROG")"
  fi
  read -r q1 t1 <<< "$(nginx_count "$port")"
  thr=$(awk -v q="$((q1 - q0))" -v t="$t1" -v t0="$t0" 'BEGIN {printf "%.0f", q / (t - t0)}')
  p99=$(wrk_p99 "$WORK/wrk.out")
  if [[ $mode == base ]]; then
    echo "$sc $mode $round $thr $p99 0 0 0 0 0 0 0 $(load1) 0 0 0" >> "$WORK/results"
    return
  fi
  rss=$(rss_mib "$LPID")
  settle "$STATUS_PORT"
  s_end=$(stored "$STATUS_PORT")
  echo "$sc $mode $round $thr $p99 $((2 * (q1 - q_start))) $((c1 - c0)) $((r1 - r0)) $((n1 - n0)) \
$((s_end - s_start)) $(($(ring_drops "$STATS_MAP") - d0)) $rss $(load1) $((k1 - k0)) $((v1 - v0)) \
$((2 * (q1 - q0)))" >> "$WORK/results"
}

# measure_run SCENARIO MODE ROUND (the others): the window is the load
# generator's whole run and what the pipeline still held after it.
measure_run() {
  local sc=$1 mode=$2 round=$3 thr p99 ex c0 k0 v0 c1 k1 v1 r0 n0 r1 n1 d0 s0 s1 rss
  if [[ $mode == base ]]; then
    read -r thr p99 ex <<< "$("load_$sc")"
    echo "$sc $mode $round $thr $p99 $ex 0 0 0 0 0 0 $(load1) 0 0 0" >> "$WORK/results"
    return
  fi
  s0=$(stored "$STATUS_PORT")
  d0=$(ring_drops "$STATS_MAP")
  read -r r0 n0 <<< "$(bpf_runs "$PROG")"
  read -r c0 k0 v0 <<< "$(cpu_read)"
  read -r thr p99 ex <<< "$("load_$sc")"
  rss=$(rss_mib "$LPID")
  # Records still in the pipeline (ring buffer, batches, store writer or
  # exporter) are part of the cost: let them through before reading CPU.
  settle "$STATUS_PORT"
  read -r c1 k1 v1 <<< "$(cpu_read)"
  read -r r1 n1 <<< "$(bpf_runs "$PROG")"
  s1=$(stored "$STATUS_PORT")
  echo "$sc $mode $round $thr $p99 $ex $((c1 - c0)) $((r1 - r0)) $((n1 - n0)) $((s1 - s0)) \
$(($(ring_drops "$STATS_MAP") - d0)) $rss $(load1) $((k1 - k0)) $((v1 - v0)) $((s1 - s0))" >> "$WORK/results"
}

measure() {  # SCENARIO MODE ROUND: appends one line to $WORK/results
  if is_wrk "$1"; then measure_window "$@"; else measure_run "$@"; fi
}

warm_up() {  # MODE: WARMUP seconds of the HTTP load, then what it left let through
  ((WARMUP > 0)) || return 0
  wrk -t1 -c32 -d"${WARMUP}s" "http://127.0.0.1:$HPORT/a" > /dev/null
  [[ $1 == base ]] || settle "$STATUS_PORT"
}
read -r FIRST_SCENARIO _ <<< "$SCENARIOS"

sysctl -qw kernel.bpf_stats_enabled=1
: > "$WORK/results"
for r in $(seq "$ROUNDS"); do
  for mode in base $MODES; do
    [[ $mode == base ]] || start_loupe "$mode"
    is_wrk "$FIRST_SCENARIO" || warm_up "$mode"  # a wrk scenario warms up in its own run
    for sc in $SCENARIOS; do measure "$sc" "$mode" "$r"; done
    [[ $mode == base ]] || stop_loupe
    echo "round $r $mode: $(awk -v m="$mode" -v r="$r" '$2 == m && $3 == r {printf "%s %s  ", $1, $4}' \
      "$WORK/results")(load $(load1), $(($(date +%s) - START)) s)" >&2
  done
done
sysctl -qw kernel.bpf_stats_enabled=0

# --- the table -----------------------------------------------------------
echo
echo "$(date -u +%F) $(uname -r), $(nproc) CPUs, $ROUNDS rounds x ${SECS}s after ${WARMUP}s of warm-up, load average" \
  "$LOAD0 at start, $(load1) at end, $(($(date +%s) - START)) s in all"
if [[ -n ${LOUPE_B:-} ]]; then echo; echo "(B): $LOUPE_B; the others: $LOUPE"; fi
echo
echo "| scenario | mode | throughput | ratio (rounds) | p99 ms | µs CPU / exchange | µs without profiler |" \
  "BPF ns / run | events lost | stored / exchanges | RSS MiB | load | server µs / exchange |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
# The fields of a results line are listed above cpu_read.
awk -v scen="$SCENARIOS" -v modes="base $MODES" '
  { key = $1 SUBSEP $2; n[key]++; thr[key] += $4; p99[key] += $5; ex[key] += $6; cpu[key] += $7
    runs[key] += $8; ns[key] += $9; rec[key] += $10; drop[key] += $11; load[key] += $13
    cap[key] += $14; srv[key] += $15; per[key] += $16
    if ($12 > rss[key]) rss[key] = $12
    round_thr[$1, $2, $3] = $4 }
  END {
    ns_ = split(scen, S, " "); nm = split(modes, M, " ")
    units["http"] = "req/s"; units["http_paced"] = "req/s"; units["http_pipe"] = "req/s"; units["https"] = "req/s"; units["http2"] = "req/s"
    units["redis"] = "req/s"; units["pgbench"] = "tps"
    for (i = 1; i <= ns_; i++) for (j = 1; j <= nm; j++) {
      s = S[i]; m = M[j]; k = s SUBSEP m; b = s SUBSEP "base"
      if (!n[k]) continue
      if (m == "base") {
        printf "| %s | untraced | %.0f %s | | %.2f | | | | | | | %.1f | |\n", s, thr[k] / n[k], units[s],
          p99[k] / n[k], load[k] / n[k]
        continue
      }
      rounds = ""
      for (r = 1; (s, m, r) in round_thr; r++)
        rounds = rounds (r > 1 ? ", " : "") sprintf("%.2f", round_thr[s, m, r] / round_thr[s, "base", r])
      label = m; sub(/_b$/, " (B)", label)
      server = m ~ /^agent/ && per[k] ? sprintf("%.2f", srv[k] / 1e3 / per[k]) : ""
      printf "| %s | loupe %s | %.0f %s | **%.2f** (%s) | %.2f | **%.2f** | %.2f | %.0f | %d | %.3f | %.1f | %.1f | %s |\n",
        s, label, thr[k] / n[k], units[s], thr[k] / thr[b], rounds, p99[k] / n[k],
        per[k] ? cpu[k] / 1e3 / per[k] : 0, per[k] ? cap[k] / 1e3 / per[k] : 0,
        runs[k] ? ns[k] / runs[k] : 0, drop[k],
        ex[k] ? rec[k] / ex[k] : 0, rss[k], load[k] / n[k], server
    }
  }' "$WORK/results"
