#!/usr/bin/env bash
# Store benchmark at the standard sizes: 1M and 10M records across 24h.
# Usage: bench/store_bench.sh [build-dir] [sizes...]   (default: build 1000000 10000000)
# Needs ~3 GB free under $TMPDIR for the 10M run. Results go to
# docs/benchmarks.md under "Store" by hand: the machine matters.
set -euo pipefail
build=${1:-build}
shift || true
sizes=("${@:-1000000 10000000}")
bin="$build/bench/store_bench"
[[ -x $bin ]] || { echo "build $bin first: cmake --build $build --target store_bench" >&2; exit 1; }
dir=${TMPDIR:-/tmp}/loupe-store-bench.$$
trap 'rm -rf "$dir"' EXIT
echo "# $(date -u +%FT%TZ) $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg)"
for n in ${sizes[@]}; do
  echo "## $n records over 24h"
  "$bin" --records "$n" --hours 24 --dir "$dir"
  rm -rf "$dir"
done
