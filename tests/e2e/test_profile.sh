#!/usr/bin/env bash
# `loupe profile` on a C program with two hot functions in known proportions
# (75% / 25%), built with frame pointers and again without (plain -O2, like
# most of Debian): the folded stacks show the split within 5 points and the
# whole call chain from _start through glibc (unwound from .eh_frame) and
# main to the hot function, the JSON tree agrees, and a process that exits
# while sampled is no crash. Meanwhile `loupe run`
# profiles continuously: /api/v1/profile shows the same split and chain for
# the process, as folded stacks, as a JSON tree with a function table, and
# as pprof read back by `go tool pprof` (Debian's golang-go), and as a
# differential profile against another window. A Node.js
# process started with --perf-basic-prof has its JavaScript functions named
# from the JIT map it writes.
source "$(dirname "$0")/lib.sh"
require_root
HERE=$(cd "$(dirname "$0")" && pwd)

gcc -O2 -fno-omit-frame-pointer -o "$WORK/hot" "$HERE/profile_hot.c"
gcc -O2 -fomit-frame-pointer -o "$WORK/hot_nofp" "$HERE/profile_hot.c"
# The second one really has no frame pointer: RBP is never set up.
assert_eq "hot_nofp: no frame set up in its functions" 0 \
  "$(objdump -d --no-show-raw-insn "$WORK/hot_nofp" | awk '/<(main|caller|hot_[a-z_]*)>:/,/^$/' | grep -c 'mov *%rsp,%rbp' || true)"
"$WORK/hot" &
HOT=$!
PIDS+=("$HOT")
API_PORT=$(free_port)
API="http://127.0.0.1:$API_PORT"
start_loupe_run --listen "127.0.0.1:$API_PORT" --data-dir "$WORK/data" --profile-hz 997 \
  --metrics-interval 0

# A high rate so the busy CI machine still yields hundreds of samples.
log "profiling pid $HOT for 10 s"
"$LOUPE" profile --pid "$HOT" --hz 997 --duration 10 >"$WORK/folded" 2>"$WORK/folded.err"
assert_eq "loupe profile exit code" 0 "$?"
cat "$WORK/folded.err"
# check_split WHAT FILE [COMM]: FILE's folded stacks hold the 75/25 split
# under main -> caller, in chains that start at the program's entry.
check_split() {
  local what=$1 file=$2 comm=${3:-hot}
  samples_of() { awk -v f="$1" 'index($0, f) { n += $NF } END { print n + 0 }' "$file"; }
  local three one total share
  three=$(samples_of ";main;caller;hot_three_quarters")
  one=$(samples_of ";main;caller;hot_one_quarter")
  # Samples taken after the last collection before the process exited
  # cannot be named ([process exited]): not part of the split.
  total=$(grep -v '^[^;]*;\[process exited\]' "$file" | awk '{ n += $NF } END { print n + 0 }')
  assert_ge "$what: samples of the two hot functions through main" 200 "$((three + one))"
  assert_ge "$what: their share of all samples (%)" 90 "$(((three + one) * 100 / (total > 0 ? total : 1)))"
  share=$(awk -v a="$three" -v b="$one" 'BEGIN { if (a + b) printf "%.1f", 100 * a / (a + b); else print "none" }')
  assert_ge "$what: hot_three_quarters share (%)" 70 "$share"
  assert_le "$what: hot_three_quarters share (%)" 80 "$share"
  assert_eq "$what: root frame is the process name" "$comm" "$(cut -d';' -f1 "$file" | sort -u | head -1)"
  assert_eq "$what: stacks through main marked truncated" 0 "$(grep ';main;' "$file" | grep -c '\[truncated\]' || true)"
  # Below main: glibc's frames (no frame pointers: .eh_frame), then _start.
  # A process's first moments, before its tables are loaded (within 0.2 s
  # of its first sample), are walked by frame pointers and stop in glibc.
  local full
  full=$(grep "^$comm;_start;__libc_start_main[^;]*;[^;]*;main;caller;hot_" "$file" |
    awk '{ n += $NF } END { print n + 0 }')
  assert_ge "$what: hot samples in the whole chain from _start through glibc (%)" 90 \
    "$((full * 100 / (three + one > 0 ? three + one : 1)))"
}
check_split "loupe profile" "$WORK/folded"

log "the same program without frame pointers, unwound from .eh_frame"
"$WORK/hot_nofp" &
HOT_NOFP=$!
PIDS+=("$HOT_NOFP")
"$LOUPE" profile --pid "$HOT_NOFP" --hz 997 --duration 5 >"$WORK/nofp.folded" 2>"$WORK/nofp.err"
assert_eq "loupe profile (no frame pointers) exit code" 0 "$?"
cat "$WORK/nofp.err"
kill "$HOT_NOFP"
check_split "no frame pointers" "$WORK/nofp.folded" hot_nofp

# The JSON tree: hot -> ... -> main -> hot_three_quarters, totals that add up.
# The process is killed late in the run: samples taken before the next
# collection stay as "[process exited]", the run ends normally.
(sleep 3 && kill "$HOT") &
"$LOUPE" profile --pid "$HOT" --hz 997 --duration 4 -o json >"$WORK/tree.json" 2>"$WORK/tree.err"
assert_eq "loupe profile -o json exit code (process exited mid-run)" 0 "$?"
main_total=$(jq '[.. | objects | select(.name == "main") | .total] | add // 0' "$WORK/tree.json")
hot_total=$(jq '[.. | objects | select(.name == "main") | .children[] | select(.name == "caller") | .children[] | select(.name | startswith("hot_")) | .total] | add // 0' "$WORK/tree.json")
assert_ge "JSON tree: samples under main" 50 "$main_total"
assert_ge "JSON tree: main's hot grandchildren (under caller) hold most of main (%)" 90 "$((hot_total * 100 / (main_total > 0 ? main_total : 1)))"
assert_eq "JSON tree: root total is the sum of its children" \
  "$(jq '.total' "$WORK/tree.json")" "$(jq '[.children[].total] | add' "$WORK/tree.json")"

# The same process in loupe run's store. It has exited: once the profiler
# has shipped its last samples, every answer about it is final.
log "loupe run: /api/v1/profile?process=$HOT"
from=$(($(date +%s) - 300))
folded_total() { curl -sf "$API/api/v1/profile?process=$HOT&format=folded&from=$from" | tee "$WORK/api.folded" | awk '{ n += $NF } END { print n + 0 }'; }
last=-1
# Final once the profiler has collected since the exit (every 5 s) and
# holds nothing unshipped.
pending() { curl -sf "$API/api/v1/status" | jq '.agent.profile.pending_bytes'; }
for i in $(seq 1 30); do
  now=$(folded_total)
  [[ $i -ge 6 && $now -ge 1000 && $now -eq $last && $(pending) -eq 0 ]] && break
  last=$now
  sleep 1
done
check_split "API" "$WORK/api.folded"
curl -sf "$API/api/v1/profile?process=$HOT&from=$from" >"$WORK/api.json"
assert_ge "API JSON: samples under main" 200 \
  "$(jq '[.root | .. | objects | select(.name == "main") | .total] | add // 0' "$WORK/api.json")"
assert_eq "API JSON: busiest function by self samples" "hot_three_quarters" "$(jq -r '.functions[0].name' "$WORK/api.json")"
assert_eq "API JSON: samples are the folded stacks' total" "$now" "$(jq '.samples' "$WORK/api.json")"
assert_eq "API JSON: samples are the root's total" "$(jq '.root.total' "$WORK/api.json")" "$(jq '.samples' "$WORK/api.json")"
assert_eq "API by process name: the same samples" "$now" \
  "$(curl -sf "$API/api/v1/profile?process=hot&node=$(hostname)&from=$from" | jq '.samples')"
# pprof, read back by Go's own pprof: the same total and the same leaves.
curl -sf -o "$WORK/api.pb.gz" "$API/api/v1/profile?process=$HOT&from=$from&format=pprof"
go tool pprof -top -nodecount=5 "$WORK/api.pb.gz" >"$WORK/pprof.top" 2>&1
cat "$WORK/pprof.top"
assert_eq "go tool pprof: total samples" "$now" \
  "$(sed -n 's/.* of \([0-9]*\) total.*/\1/p' "$WORK/pprof.top")"
assert_eq "go tool pprof: flat top function" "hot_three_quarters" \
  "$(awk '$NF ~ /^hot_/ { print $NF; exit }' "$WORK/pprof.top")"
# A differential profile: the window against itself changes nothing; against
# minutes before the process started, everything it does is new.
curl -sf "$API/api/v1/profile?process=$HOT&from=$from&compare_from=$from&compare_to=$(date +%s)" >"$WORK/same.json"
assert_eq "diff against the same window: baseline samples" "$now" "$(jq '.baseline.samples' "$WORK/same.json")"
assert_eq "diff against the same window: every node unchanged" 0 \
  "$(jq '[.root | .. | objects | select(has("total")) | select(.total != .baseline_total)] | length' "$WORK/same.json")"
curl -sf "$API/api/v1/profile?process=$HOT&from=$from&compare_from=$((from - 600))&compare_to=$((from - 300))&format=folded" >"$WORK/diff.folded"
assert_eq "folded diff (difffolded.pl): before 0, after the total" "0 $now" \
  "$(awk '{ b += $(NF-1); a += $NF } END { print b, a }' "$WORK/diff.folded")"
assert_eq "a diff is not pprof: 400" 400 "$(curl -s -o /dev/null -w '%{http_code}' "$API/api/v1/profile?process=$HOT&from=$from&compare_from=$from&compare_to=$(date +%s)&format=pprof")"
assert_eq "profiler status: nothing dropped" 0 "$(curl -sf "$API/api/v1/status" | jq '.agent.profile.samples_dropped')"
log "Node.js with --perf-basic-prof: JavaScript functions named from its JIT map"
node --perf-basic-prof -e 'function hotJsLoop(n) { let x = 0; for (let i = 0; i < n; i++) x += Math.sqrt(i); return x; }
  for (;;) hotJsLoop(1e6);' &
NODE=$!
PIDS+=("$NODE")
sleep 1  # compiled and in the map
"$LOUPE" profile --pid "$NODE" --hz 997 --duration 3 >"$WORK/node.folded" 2>"$WORK/node.err"
kill "$NODE"
node_total=$(awk '{ n += $NF } END { print n + 0 }' "$WORK/node.folded")
node_js=$(awk 'index($0, "hotJsLoop") { n += $NF } END { print n + 0 }' "$WORK/node.folded")
assert_ge "node: samples" 200 "$node_total"
assert_ge "node: samples in hotJsLoop, named from /tmp/perf-$NODE.map (%)" 50 \
  "$((node_js * 100 / (node_total > 0 ? node_total : 1)))"
rm -f "/tmp/perf-$NODE.map"
assert_ge "loupe run --help lists --no-profile" 1 "$("$LOUPE" run --help | grep -c -- '--no-profile')"
finish
