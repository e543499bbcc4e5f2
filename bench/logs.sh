#!/usr/bin/env bash
# The log path's speed (docs/benchmarks.md, "Logs"): lines one core reads,
# parses, attributes and encodes for shipping; the collector's CPU at 1,000
# lines/s; full-text search over a store of N lines.
# Usage: bench/logs.sh [build-dir] [store-lines]   (default: build 1000000)
# The target is 10M stored lines; 1M keeps a run to minutes on a
# shared 2-core machine (10M needs ~3 GB and most of an hour there).
set -euo pipefail
build=${1:-build}
store_lines=${2:-1000000}
bin="$build/bench/log_bench"
[[ -x $bin ]] || { echo "build $bin first: cmake --build $build --target log_bench" >&2; exit 1; }
dir=${TMPDIR:-/tmp}/loupe-log-bench.$$
trap 'rm -rf "$dir"' EXIT
echo "# $(date -u +%FT%TZ) $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg), commit $(git rev-parse --short HEAD 2> /dev/null || echo '?')"
"$bin" --lines 1000000 --paced-seconds 20 --store-lines "$store_lines" --dir "$dir"
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
