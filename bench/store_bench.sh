#!/usr/bin/env bash
# Store benchmark at the standard sizes: 1M and 10M records across 24h.
# Usage: bench/store_bench.sh [build-dir] [sizes...]   (default: build 1000000 10000000)
# Needs ~3 GB free under $TMPDIR for the 10M run. Results go to
# docs/benchmarks.md under "Store" by hand: the machine matters.
#
# A/B: bench/store_bench.sh --ab A_BIN B_BIN [rounds] [records] [batch]
# alternates two store_bench binaries (dense ingest only, a fresh store
# each run) and prints the writer's µs of CPU per record of each run, with
# the load average: on a shared machine only alternating runs compare.
set -euo pipefail
if [[ ${1:-} == --ab ]]; then
  a=$2 b=$3 rounds=${4:-5} records=${5:-500000} batch=${6:-50000}
  dir=${TMPDIR:-/tmp}/loupe-store-ab.$$
  trap 'rm -rf "$dir"' EXIT
  echo "# $(date -u +%FT%TZ) $(nproc) cores; $records records in batches of $batch"
  for ((i = 1; i <= rounds; i++)); do
    for side in B A; do
      bin=$a
      [[ $side == B ]] && bin=$b
      rm -rf "$dir"
      us=$("$bin" --records "$records" --batch "$batch" --dir "$dir" --dense-only 1 |
        awk '/^dense_ingest_us_per_record:/ {print $2}')
      echo "round $i $side: $us us/record (load $(cut -d' ' -f1 /proc/loadavg))"
    done
  done
  exit 0
fi
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
