#!/usr/bin/env bash
# `loupe profile` on a C program with two hot functions in known proportions
# (75% / 25%), built with frame pointers: the folded stacks show the split
# within 5 points and the call chain through main, the JSON tree agrees, and
# a process that exits while sampled is no crash.
source "$(dirname "$0")/lib.sh"
require_root
HERE=$(cd "$(dirname "$0")" && pwd)

gcc -O2 -fno-omit-frame-pointer -o "$WORK/hot" "$HERE/profile_hot.c"
"$WORK/hot" &
HOT=$!
PIDS+=("$HOT")

# A high rate so the busy CI machine still yields hundreds of samples.
log "profiling pid $HOT for 10 s"
"$LOUPE" profile --pid "$HOT" --hz 997 --duration 10 >"$WORK/folded" 2>"$WORK/folded.err"
assert_eq "loupe profile exit code" 0 "$?"
cat "$WORK/folded.err"
samples_of() { awk -v f="$1" 'index($0, f) { n += $NF } END { print n + 0 }' "$WORK/folded"; }
three=$(samples_of ";main;hot_three_quarters")
one=$(samples_of ";main;hot_one_quarter")
total=$(awk '{ n += $NF } END { print n + 0 }' "$WORK/folded")
assert_ge "samples of the two hot functions through main" 200 "$((three + one))"
assert_ge "their share of all samples (%)" 90 "$(((three + one) * 100 / (total > 0 ? total : 1)))"
share=$(awk -v a="$three" -v b="$one" 'BEGIN { if (a + b) printf "%.1f", 100 * a / (a + b); else print "none" }')
assert_ge "hot_three_quarters share (%)" 70 "$share"
assert_le "hot_three_quarters share (%)" 80 "$share"
assert_eq "root frame is the process name" "hot" "$(cut -d';' -f1 "$WORK/folded" | sort -u | head -1)"
assert_eq "stacks through main marked truncated" 0 "$(grep ';main;' "$WORK/folded" | grep -c '\[truncated\]' || true)"

# The JSON tree: hot -> ... -> main -> hot_three_quarters, totals that add up.
# The process is killed late in the run: samples taken before the next
# collection stay as "[process exited]", the run ends normally.
(sleep 3 && kill "$HOT") &
"$LOUPE" profile --pid "$HOT" --hz 997 --duration 4 -o json >"$WORK/tree.json" 2>"$WORK/tree.err"
assert_eq "loupe profile -o json exit code (process exited mid-run)" 0 "$?"
main_total=$(jq '[.. | objects | select(.name == "main") | .total] | add // 0' "$WORK/tree.json")
hot_total=$(jq '[.. | objects | select(.name == "main") | .children[] | select(.name | startswith("hot_")) | .total] | add // 0' "$WORK/tree.json")
assert_ge "JSON tree: samples under main" 50 "$main_total"
assert_ge "JSON tree: main's hot children hold most of main (%)" 90 "$((hot_total * 100 / (main_total > 0 ? main_total : 1)))"
assert_eq "JSON tree: root total is the sum of its children" \
  "$(jq '.total' "$WORK/tree.json")" "$(jq '[.children[].total] | add' "$WORK/tree.json")"
finish
