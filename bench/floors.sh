#!/usr/bin/env bash
# The floors under Loupe's capture cost on this machine, in one alternating
# run (issue 14): nginx (1 worker, `return 200`) under `wrk -t1 -c32`, over
# plain HTTP and over HTTPS (OpenSSL on both ends), and at bench/overhead.sh's
# paced ~10k req/s (scenario http_paced, where the p99 column is the figure), with
#   base      nothing attached;
#   bare_sys  a sys_exit raw tracepoint whose program returns at once
#             (bench/hook_cost.bpf.c): what the hook itself costs;
#   bare_ssl  the same plus do-nothing uprobes/uretprobes on the OpenSSL
#             functions Loupe probes: what the traps cost;
#   pid1      `loupe run --pid 1`: Loupe's own programs, every event
#             filtered in the kernel (user space idle);
#   emit      Loupe's own programs tracing the ports, every event sent to
#             the ring buffer, a consumer that drains it and discards
#             (bench/emit_floor: no parser, no store): the best any user
#             space behind these programs can reach;
#   run       `loupe run --port P`: everything.
#   base2     nothing attached, like base: an A/A pair, whose difference is
#             what this machine cannot resolve (its "added p99" is the
#             spread between two identical setups; with base2 the script
#             also prints how far apart the medians of two identical
#             setups fall by chance, from random splits of their rounds).
#   budget    emit, with a consumer that also burns BURN_NS of CPU per
#             event drained, one event at a time (emit_floor --burn-ns),
#             so that user space costs exactly BUDGET_NS (default 1000:
#             issue 14's 1 µs) per captured exchange and nothing else;
#             budget_nice19, budget_idle, budget_slice100, budget_yield:
#             the same CPU scheduled otherwise (emit_floor --sched).
#             Without BURN_NS the script measures it first: emit_floor
#             under the saturating load for WARMUP+SECS seconds gives the
#             events per exchange and the drain's own CPU per event, and
#             BURN_NS = BUDGET_NS / (events per exchange) - that.
# PACED_CONNS and PACED_DELAY_MS (default 14 and 1) set http_paced's wrk
# connections and each one's wait between requests: ~CONNS*1000/(DELAY+0.35)
# req/s (e.g. 56 and 5 for the same ~10k req/s over four times the
# connections). The column "µs CPU / exchange" is the traced mode's process
# CPU (utime + stime, /proc, 10 ms ticks) over the scenario's exchanges
# (two per request: wrk's and nginx's), as bench/overhead.sh counts them.
# "CPU µs / request" adds wrk's, nginx's workers' and the tracer's CPU (the
# BPF programs run in wrk's and nginx's time) over the requests; at
# saturation, where they keep both cores busy, throughput is the CPU they
# get over that, so base's figure over a mode's is the ratio that the CPU
# alone predicts: load changes how much CPU they get, which makes the
# measured ratio swing, much more than what a request costs.
# Then the raw price of one syscall, one uprobe and one uretprobe here
# (`hook_cost costs`; COSTS=0 skips it), and what each piece of a traced
# sys_exit costs on its own (`bpf_parts`; PARTS=0 skips it): a clock read,
# a hash lookup, a copy from user memory, a ring-buffer output or
# reservation. Prints markdown tables; bpf_stats
# stays on in every mode alike (it adds ~2 clock reads per program run).
# To compare two builds in the same run: LOUPE_B=other/loupe and modes
# pid1_b / run_b; emit_b runs EMIT_FLOOR_B (emit runs EMIT_FLOOR, by
# default the emit_floor built beside $LOUPE).
#
#   sudo LOUPE=build/loupe bench/floors.sh [ROUNDS] [SECONDS]
set -euo pipefail
ROUNDS=${1:-3}
SECS=${2:-5}
MODES=${MODES:-base bare_sys bare_ssl pid1 run}
SCENARIOS=${SCENARIOS:-http http_paced https}
WARMUP=${WARMUP:-2}  # seconds of the HTTP load after each start, not measured
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../tests/e2e/lib.sh"
source "$HERE/../tests/e2e/tls/nginx_tls.sh"
require_root
START=$(date +%s)
load1() { cut -d' ' -f1 /proc/loadavg; }
LOAD0=$(load1)

LIBSSL=$(ldconfig -p | awk '/libssl\.so\.3 .*x86-64|libssl\.so\.3 \(libc6,AArch64\)/ {print $NF; exit}')
[[ -n $LIBSSL ]] || LIBSSL=$(ldconfig -p | awk '/libssl\.so\.3 / {print $NF; exit}')
clang -O2 -g -target bpf -I"/usr/include/$(uname -m)-linux-gnu" -c "$HERE/hook_cost.bpf.c" \
  -o "$WORK/hook_cost.bpf.o"
gcc -O2 -o "$WORK/hook_cost" "$HERE/hook_cost.c" -lbpf

HPORT=$(free_port)
start_nginx "$HPORT"
make_cert
SPORT=$(free_port)
start_tls_nginx "$SPORT"
for p in "$HPORT" "$SPORT"; do
  sed -i 's|access_log .*;|access_log off;|' "$WORK/nginx-$p/nginx.conf"
  kill -HUP "$(cat "$WORK/nginx-$p/nginx.pid")"
done
sleep 0.5

load() {  # SCENARIO -> "req/s p99_ms requests wrk_cpu_ns"
  local url="http://127.0.0.1:$HPORT/a" args=(-t1 -c32) TIMEFORMAT='%3U %3S'
  [[ $1 == https ]] && url="https://127.0.0.1:$SPORT/a"
  # The paced load of bench/overhead.sh: ~10k req/s, where p99 is the figure.
  [[ $1 == http_paced ]] && args=(-t2 "-c${PACED_CONNS:-14}" -s "$PACED_LUA")
  { time wrk "${args[@]}" -d"${SECS}s" --latency "$url" > "$WORK/wrk.out"; } 2> "$WORK/wrk.time"
  awk -v t="$(tail -1 "$WORK/wrk.time" | awk '{printf "%.0f", ($1 + $2) * 1e9}')" '/requests in/ {n = $1} /Requests\/sec/ {r = $2}
    $1 == "99%" {v = $2; if (v ~ /us$/) {sub("us", "", v); v /= 1000} else if (v ~ /ms$/) sub("ms", "", v)
                 else if (v ~ /s$/) {sub("s", "", v); v *= 1000}; p = v}
    END {print r, p, n, t}' "$WORK/wrk.out"
}
PACED_LUA=$HERE/../tests/e2e/paced.lua
if [[ ${PACED_DELAY_MS:-1} != 1 ]]; then  # tests/e2e/paced.lua with another wait
  PACED_LUA=$WORK/paced.lua
  printf 'wrk.path = "/a"\nfunction delay()\n  return %d\nend\n' "$PACED_DELAY_MS" > "$PACED_LUA"
fi
TICK_NS=$((1000000000 / $(getconf CLK_TCK)))
cpu_ticks() { [[ -n $1 ]] && awk '{print $14 + $15}' "/proc/$1/stat" || echo 0; }
nginx_ticks() {  # SCENARIO -> CPU ticks of that nginx's workers
  local port=$HPORT t=0 w
  [[ $1 == https ]] && port=$SPORT
  for w in $(pgrep -P "$(cat "$WORK/nginx-$port/nginx.pid")"); do t=$((t + $(cpu_ticks "$w"))); done
  echo "$t"
}
prog_ids() { bpf_prog_list | jq -r --arg n "$1" '.[] | select(.name == $n) | .id'; }
prog_runs() {  # NAME -> "run_cnt run_time_ns" summed over the programs of that name
  local c=0 n=0 id rc rn
  for id in $(prog_ids "$1"); do
    read -r rc rn <<< "$(bpftool_json prog show id "$id" | jq -r '"\(.run_cnt // 0) \(.run_time_ns // 0)"')"
    c=$((c + rc)) n=$((n + rn))
  done
  echo "$c $n"
}

# Other processes' tracepoints and uprobes (another loupe on a shared
# machine) slow every syscall, and their OpenSSL uprobes trap in the
# "untraced" runs too: each measurement waits up to FOREIGN_WAIT seconds
# (default 60) for them to go and notes whether any were attached (such
# rounds are left out of the ratio).
foreign_hooks() {
  bpftool perf show -j 2> /dev/null | jq --arg me "${HPID:-0}" '[.[] | select((.pid | tostring) != $me)
    | select(.fd_type == "raw_tracepoint" or .fd_type == "uprobe" or .fd_type == "uretprobe")
    | .pid] | unique | length'
}
wait_no_foreign() {
  local i
  for i in $(seq "${FOREIGN_WAIT:-60}"); do
    [[ $(foreign_hooks) == 0 ]] && return
    sleep 1
  done
}

HPID="" PROGNAME=""
start_mode() {
  HPID="" PROGNAME=""
  case $1 in
    base | base2) return ;;
    bare_sys | bare_ssl)
      local args=(--sys-exit)
      [[ $1 == bare_ssl ]] && args+=(--ssl "$LIBSSL")
      : > "$WORK/hook.out"
      "$WORK/hook_cost" attach "$WORK/hook_cost.bpf.o" "${args[@]}" > "$WORK/hook.out" &
      HPID=$!
      wait_for_line "$WORK/hook.out" "attached" "$HPID"
      PROGNAME=bare_sys_exit
      ;;
    emit | emit_b)
      local bin=${EMIT_FLOOR:-$(dirname "$LOUPE")/bench/emit_floor}
      [[ $1 == emit_b ]] && bin=${EMIT_FLOOR_B:?"mode emit_b needs EMIT_FLOOR_B"}
      : > "$WORK/emit.out"
      "$bin" --port "$HPORT,$SPORT" > "$WORK/emit.out" 2> "$WORK/emit.err" &
      HPID=$!
      wait_for_line "$WORK/emit.out" "attached" "$HPID"
      PROGNAME=loupe_sys_exit
      ;;
    budget*)
      local sched=()
      [[ $1 == budget_* ]] && sched=(--sched "${1#budget_}")
      : > "$WORK/emit.out"
      "$EMIT_BIN" --port "$HPORT,$SPORT" --burn-ns "$BURN_NS" "${sched[@]}" > "$WORK/emit.out" \
        2> "$WORK/emit.err" &
      HPID=$!
      wait_for_line "$WORK/emit.out" "attached" "$HPID"
      PROGNAME=loupe_sys_exit
      ;;
    pid1 | run | pid1_b | run_b)
      local filter=(--port "$HPORT,$SPORT") bin=$LOUPE
      [[ $1 == pid1* ]] && filter=(--pid 1)
      [[ $1 == *_b ]] && bin=${LOUPE_B:?"mode $1 needs LOUPE_B"}
      rm -rf "$WORK/data"
      : > "$WORK/loupe.out"
      "$bin" run --listen "127.0.0.1:$(free_port)" --data-dir "$WORK/data" --metrics-interval 0 \
        "${filter[@]}" > "$WORK/loupe.out" 2> "$WORK/loupe.err" &
      HPID=$!
      wait_for_line "$WORK/loupe.out" "Loupe is running" "$HPID"
      sleep 1  # TLS discovery attaches the uprobes after the ready line
      PROGNAME=loupe_sys_exit
      ;;
  esac
}
stop_mode() {  # MODE ROUND
  [[ -n $HPID ]] || return 0
  kill -INT "$HPID"
  wait "$HPID" || true
  # emit_floor's last line: what it drained and what the kernel lost.
  [[ $1 == emit* || $1 == budget* ]] && echo "$1 round $2: $(tail -1 "$WORK/emit.out")" >> "$WORK/emit_counts"
  return 0
}

EMIT_BIN=${EMIT_FLOOR:-$(dirname "$LOUPE")/bench/emit_floor}
if [[ " $MODES" == *" emit"* || " $MODES" == *" budget"* ]] && [[ ! -x $EMIT_BIN ]]; then
  echo "floors.sh: no emit_floor at $EMIT_BIN (modes emit and budget run it): set EMIT_FLOOR=build/bench/emit_floor" >&2
  exit 2
fi
BUDGET_NS=${BUDGET_NS:-1000}
EPX=${EPX:-}
CALIBRATION=""
if [[ " $MODES" == *" budget"* && -z ${BURN_NS:-} ]]; then
  # What the drain alone costs per event, and how many events an exchange
  # makes, under the saturating load: the burn is the rest of the budget.
  : > "$WORK/emit.out"
  "$EMIT_BIN" --port "$HPORT,$SPORT" > "$WORK/emit.out" 2> "$WORK/emit.err" &
  HPID=$!
  wait_for_line "$WORK/emit.out" "attached" "$HPID"
  reqs=$(wrk -t1 -c32 -d"$((WARMUP + SECS))s" "http://127.0.0.1:$HPORT/a" | awk '/requests in/ {print $1}')
  kill -INT "$HPID"
  wait "$HPID" || true
  read -r EPX own BURN_NS <<< "$(tail -1 "$WORK/emit.out" | awk -v n="$reqs" -v b="$BUDGET_NS" '{
    e = $2; c = $12; epx = e / (2 * n); own = c / e; burn = b / epx - own
    printf "%.3f %.0f %.0f\n", epx, own, burn < 0 ? 0 : burn }')"
  CALIBRATION="Budget: $(tail -1 "$WORK/emit.out" | awk '{print $2}') events for $reqs requests under wrk -t1 -c32"
  CALIBRATION+=" ($((WARMUP + SECS)) s, load $(load1)): $EPX events per exchange; the drain alone"
  CALIBRATION+=" $own ns CPU per event; burn $BURN_NS ns per event = $BUDGET_NS ns per exchange in all."
  HPID=""
  echo "$CALIBRATION" >&2
fi

sysctl -qw kernel.bpf_stats_enabled=1
: > "$WORK/results"
: > "$WORK/emit_counts"
for r in $(seq "$ROUNDS"); do
  for mode in $MODES; do
    start_mode "$mode"
    # As in bench/overhead.sh: a fresh process's first seconds fault in its
    # queues and batches, a cost a running one paid once.
    ((WARMUP > 0)) && wrk -t1 -c32 -d"${WARMUP}s" "http://127.0.0.1:$HPORT/a" > /dev/null
    for sc in $SCENARIOS; do
      r0=(0 0) r1=(0 0)
      wait_no_foreign
      f0=$(foreign_hooks)
      [[ -n $PROGNAME ]] && read -r -a r0 <<< "$(prog_runs "$PROGNAME")"
      c0=$(cpu_ticks "$HPID") n0=$(nginx_ticks "$sc")
      read -r rps p99 reqs wrk_ns <<< "$(load "$sc")"
      c1=$(cpu_ticks "$HPID") n1=$(nginx_ticks "$sc")
      [[ -n $PROGNAME ]] && read -r -a r1 <<< "$(prog_runs "$PROGNAME")"
      f=$(($(foreign_hooks) + f0))
      echo "$sc $mode $r $rps $((r1[0] - r0[0])) $((r1[1] - r0[1])) $(load1) $f $p99 $(((c1 - c0) * TICK_NS)) $reqs \
        $((wrk_ns + (n1 - n0 + c1 - c0) * TICK_NS))" \
        >> "$WORK/results"
    done
    stop_mode "$mode" "$r"
    echo "round $r $mode: $(awk -v m="$mode" -v r="$r" '$2 == m && $3 == r {printf "%s %s  ", $1, $4}' \
      "$WORK/results")(load $(load1), $(($(date +%s) - START)) s)" >&2
  done
done
sysctl -qw kernel.bpf_stats_enabled=0

echo
echo "$(date -u '+%F %H:%M') UTC, $(uname -r), $(nproc) CPUs, $ROUNDS rounds x ${SECS}s after ${WARMUP}s of warm-up, load average" \
  "$LOAD0 at start, $(load1) at end"
if [[ -n ${LOUPE_B:-} ]]; then echo; echo "*_b modes: $LOUPE_B; the others: $LOUPE"; fi
if [[ -n $CALIBRATION ]]; then echo; echo "$CALIBRATION"; fi
if [[ " $MODES" == *" budget"* ]]; then echo; echo "budget modes: --burn-ns $BURN_NS"; fi
if [[ $SCENARIOS == *http_paced* ]]; then
  echo
  echo "http_paced: wrk -t2 -c${PACED_CONNS:-14}, ${PACED_DELAY_MS:-1} ms between a connection's requests"
fi
echo
echo "Ratio: mean over the rounds where no other process had a tracepoint or uprobe attached during"
echo "this mode's or the untraced measurement (* marks the others; all rounds when none was clean)."
echo
echo "p99: the median of the rounds' wrk p99 (one round's p99 swings more than the ratio);"
echo "added p99 is against the untraced median."
echo
echo "| scenario | mode | req/s | ratio to untraced (rounds) | p99 ms (rounds) | added p99 | sys_exit program ns / run | µs CPU / exchange | CPU µs / request (ratio it predicts) | load |"
echo "|---|---|---|---|---|---|---|---|---|---|"
awk -v scen="$SCENARIOS" -v modes="$MODES" '
  { k = $1 SUBSEP $2; n[k]++; thr[k] += $4; runs[k] += $5; ns[k] += $6; load[k] += $7; cpu[k] += $10; ex[k] += 2 * $11; all[k] += $12
    round_thr[$1, $2, $3] = $4; dirty[$1, $2, $3] = $8 > 0; round_p99[$1, $2, $3] = $9 }
  function median_p99(s, m,    v, c, r, i, j, t) {
    c = 0
    for (r = 1; (s, m, r) in round_p99; r++) v[++c] = round_p99[s, m, r] + 0
    for (i = 2; i <= c; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
    return c % 2 ? v[(c + 1) / 2] : (v[c / 2] + v[c / 2 + 1]) / 2
  }
  END {
    ns_ = split(scen, S, " "); nm = split(modes, M, " ")
    for (i = 1; i <= ns_; i++) for (j = 1; j <= nm; j++) {
      s = S[i]; m = M[j]; k = s SUBSEP m
      if (!n[k]) continue
      rounds = ""; ct = 0; cb = 0; at = 0; ab = 0; p99s = ""
      for (r = 1; (s, m, r) in round_thr; r++) {
        p99s = p99s (r > 1 ? ", " : "") sprintf("%.2f", round_p99[s, m, r])
        d = dirty[s, m, r] || dirty[s, "base", r]
        rounds = rounds (r > 1 ? ", " : "") sprintf("%.2f%s", round_thr[s, m, r] / round_thr[s, "base", r], d ? "*" : "")
        at += round_thr[s, m, r]; ab += round_thr[s, "base", r]
        if (!d) { ct += round_thr[s, m, r]; cb += round_thr[s, "base", r] }
      }
      ratio = cb ? ct / cb : at / ab
      p = median_p99(s, m); pb = median_p99(s, "base"); added = ""
      if (m != "base" && pb > 0) added = sprintf("%+.0f%%", 100 * p / pb - 100)
      kb = s SUBSEP "base"; per = ex[k] ? 2000 * all[k] / ex[k] / 1000000 : 0
      perb = ex[kb] ? 2000 * all[kb] / ex[kb] / 1000000 : 0
      printf "| %s | %s | %.0f | **%.2f** (%s) | %.2f (%s) | %s | %s | %s | %.1f (%.2f) | %.1f |\n", s, m, thr[k] / n[k],
        ratio, rounds, p, p99s, added, runs[k] ? sprintf("%.0f", ns[k] / runs[k]) : "",
        cpu[k] && ex[k] ? sprintf("%.2f", cpu[k] / ex[k] / 1000) : "", per, per ? perb / per : 0, load[k] / n[k]
    }
  }' "$WORK/results"
if [[ " $MODES " == *" base2 "* ]]; then
  echo
  echo "A/A: base and base2 are the same setup (nothing attached). \"differs\" is base2's median"
  echo "p99 against base's; \"by chance\" is the 95th percentile of that difference over 2,000"
  echo "random splits of the pooled rounds into groups of the same sizes: the smallest added"
  echo "p99 that this many rounds can tell from this machine's noise."
  echo
  echo "| scenario | rounds | untraced p99 ms, all rounds | median p99 ms, base / base2 | differs | by chance (95%) |"
  echo "|---|---|---|---|---|---|"
  awk -v scen="$SCENARIOS" -v TRIES=2000 '
  # Fields: 1 scenario 2 mode 3 round ... 9 p99 ms.
  $2 == "base" { a[$1, ++na[$1]] = $9 + 0 }
  $2 == "base2" { b[$1, ++nb[$1]] = $9 + 0 }
  function median(v, c,    i, j, t) {
    for (i = 2; i <= c; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
    return c % 2 ? v[(c + 1) / 2] : (v[c / 2] + v[c / 2 + 1]) / 2
  }
  function reldiff(x, y) { d = x / y - 1; return d < 0 ? -d : d }
  END {
    srand(14)
    ns_ = split(scen, S, " ")
    for (i = 1; i <= ns_; i++) {
      s = S[i]; p = na[s]; q = nb[s]
      if (!p || !q) continue
      n = 0
      for (r = 1; r <= p; r++) { x[r] = a[s, r]; all[++n] = a[s, r] }
      for (r = 1; r <= q; r++) { y[r] = b[s, r]; all[++n] = b[s, r] }
      lo = 1e9; hi = 0
      for (r = 1; r <= n; r++) { if (all[r] < lo) lo = all[r]; if (all[r] > hi) hi = all[r] }
      obs = median(y, q) / median(x, p) - 1
      # Splits of the pooled rounds into p and q at random: how far apart
      # two medians of identical setups fall by chance alone.
      for (t = 1; t <= TRIES; t++) {
        for (r = 1; r <= n; r++) sh[r] = all[r]
        for (r = n; r > 1; r--) { k = int(rand() * r) + 1; tmp = sh[r]; sh[r] = sh[k]; sh[k] = tmp }
        for (r = 1; r <= p; r++) u[r] = sh[r]
        for (r = 1; r <= q; r++) w[r] = sh[p + r]
        dd[t] = reldiff(median(w, q), median(u, p))
      }
      m95 = 0
      # The 95th percentile of the split differences.
      for (r = 2; r <= TRIES; r++) for (j = r; j > 1 && dd[j - 1] > dd[j]; j--) { tmp = dd[j]; dd[j] = dd[j - 1]; dd[j - 1] = tmp }
      printf "| %s | %d + %d | %.2f-%.2f | %.2f / %.2f | %+.0f%% | %.0f%% |\n", s, p, q, lo, hi,
        median(x, p), median(y, q), 100 * obs, 100 * dd[int(0.95 * TRIES)]
    }
  }
  ' "$WORK/results"
fi
if [[ -s $WORK/emit_counts ]]; then
  echo
  echo "emit_floor's consumer over each round (warm-up and every scenario: events drained,"
  echo "ring-buffer events lost, CPU from attach to exit and per event drained):"
  echo
  awk '{ printf "    %s; %.0f ns CPU per event\n", $0, $15 / ($5 ? $5 : 1) }' "$WORK/emit_counts"
fi
if [[ ${COSTS:-1} != 0 ]]; then
  echo
  echo "One operation on this machine (CPU time of the calling thread; load $(load1)):"
  echo
  "$WORK/hook_cost" costs "$WORK/hook_cost.bpf.o"
fi
if [[ ${PARTS:-1} != 0 ]]; then
  clang -O2 -g -target bpf -I"/usr/include/$(uname -m)-linux-gnu" -c "$HERE/bpf_parts.bpf.c" \
    -o "$WORK/bpf_parts.bpf.o"
  gcc -O2 -o "$WORK/bpf_parts" "$HERE/bpf_parts.c" -lbpf
  echo
  echo "The pieces of a traced sys_exit, one at a time (bpf_stats; load $(load1)):"
  echo
  "$WORK/bpf_parts" "$WORK/bpf_parts.bpf.o"
fi
echo "($(($(date +%s) - START)) s in all, load $(load1) at end)"
