#!/usr/bin/env bash
# Symbols of stripped binaries in `loupe profile`: a Go program built with
# Debian's golang-go and `-ldflags=-s -w` (no .symtab) is named from its
# .gopclntab, and a C program split the way distributions split packages
# (objcopy --only-keep-debug, strip, objcopy --add-gnu-debuglink) is named
# from its debug file in the binary's .debug/ folder; with a debug file of
# another build in its place, it is not.
source "$(dirname "$0")/lib.sh"
require_root
HERE=$(cd "$(dirname "$0")" && pwd)

# samples FILE [PATTERN]: the samples of FILE's folded stacks (holding PATTERN).
samples() { awk -v f="${2:-}" 'index($0, f) { n += $NF } END { print n + 0 }' "$1"; }
# profile_of BINARY OUT: runs BINARY, profiles it for 3 s into OUT, kills it.
profile_of() {
  "$1" &
  local pid=$!
  PIDS+=("$pid")
  sleep 0.5
  "$LOUPE" profile --pid "$pid" --hz 997 --duration 3 >"$2" 2>"$2.err"
  assert_eq "loupe profile of $(basename "$1"): exit code" 0 "$?"
  cat "$2.err"
  kill "$pid"
}

log "Go: a stripped binary named from .gopclntab"
mkdir -p "$WORK/go"
cp "$HERE/profile_hot.go" "$WORK/go/main.go"
(cd "$WORK/go" && GOCACHE="$WORK/gocache" GOPATH="$WORK/gopath" GO111MODULE=off GOFLAGS= \
  go build -ldflags='-s -w' -o hotgo main.go)
assert_eq "go build exit code" 0 "$?"
assert_eq "the Go binary has no .symtab" 0 "$(readelf -SW "$WORK/go/hotgo" | grep -c ' .symtab ' || true)"
profile_of "$WORK/go/hotgo" "$WORK/go.folded"
total=$(samples "$WORK/go.folded")
assert_ge "go: samples" 200 "$total"
assert_ge "go: samples in main.hotLoop (%)" 80 \
  "$(($(samples "$WORK/go.folded" ";main.hotLoop") * 100 / (total > 0 ? total : 1)))"
assert_ge "go: samples under runtime.main (%)" 80 \
  "$(($(samples "$WORK/go.folded" ";runtime.main;") * 100 / (total > 0 ? total : 1)))"

log "C: a stripped binary named from its .gnu_debuglink debug file"
mkdir -p "$WORK/c/.debug"
gcc -O2 -g -fno-omit-frame-pointer -o "$WORK/c/full" "$HERE/profile_hot.c"
(cd "$WORK/c" && objcopy --only-keep-debug full .debug/hot.debug &&
  strip --strip-debug --strip-unneeded -o hot full &&
  objcopy --add-gnu-debuglink=.debug/hot.debug hot)
assert_eq "the stripped C binary has no .symtab" 0 "$(readelf -SW "$WORK/c/hot" | grep -c ' .symtab ' || true)"
profile_of "$WORK/c/hot" "$WORK/c.folded"
total=$(samples "$WORK/c.folded")
assert_ge "c: samples" 200 "$total"
assert_ge "c: samples in hot_three_quarters and hot_one_quarter, named from the debug file (%)" 80 \
  "$((($(samples "$WORK/c.folded" ";hot_three_quarters") + $(samples "$WORK/c.folded" ";hot_one_quarter")) * 100 / (total > 0 ? total : 1)))"
# debug_files FILE: "read refused" from the summary of a loupe profile run.
debug_files() { sed -n 's/.* \([0-9]*\) debug files read (\([0-9]*\) of another build).*/\1 \2/p' "$1"; }
assert_ge "c: debug files read (the summary)" 1 "$(debug_files "$WORK/c.folded.err" | cut -d' ' -f1)"

# The debug file of another build (same name, other contents): its CRC does
# not match the debuglink's, so its names are not used.
echo "another build" >>"$WORK/c/.debug/hot.debug"
profile_of "$WORK/c/hot" "$WORK/c-mismatch.folded"
assert_ge "c, wrong debug file: samples" 200 "$(samples "$WORK/c-mismatch.folded")"
assert_eq "c, wrong debug file: no names from it" 0 "$(samples "$WORK/c-mismatch.folded" "hot_")"
assert_ge "c, wrong debug file: frames shown as hot+0x..." 100 "$(samples "$WORK/c-mismatch.folded" ";hot+0x")"
assert_ge "c, wrong debug file: candidates of another build (the summary)" 1 "$(debug_files "$WORK/c-mismatch.folded.err" | cut -d' ' -f2)"
finish
