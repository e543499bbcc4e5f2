#!/usr/bin/env bash
# ClickHouseStore at scale: a day of records (100 M by default) in the
# product's tables on Debian's clickhouse-server started here, then the
# product's query code timed cold and warm, the answers checked, and the
# compressed bytes per record per table (bench/clickhouse_scale_bench.cpp
# says how the data is made). Loads the machine for a while (one thread of
# clickhouse-server for the raw rows, one of this for the rollups) and
# needs ~10 GB of disk in /tmp. Not part of CI.
# Usage: bench/clickhouse_scale.sh [build-dir] [records]   (default: build 100000000)
#   The tables in docs/storage-clickhouse.md ("Measured") and
#   docs/benchmarks.md come from one run. KEEP_WORK=1 keeps the server's data;
#   REUSE_WORK=<that dir> starts the server on it and runs the queries again
#   without loading (same records count). RAW=0 makes only the rollup cells
#   of the records (what services, endpoints, latency and the map read;
#   minutes instead of hours for 100 M) and skips the raw-row queries.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
records=${2:-100000000}
bin="$build/bench/clickhouse_scale_bench"
[[ -x $bin ]] || { echo "build $bin first: cmake --build $build --target clickhouse_scale_bench" >&2; exit 1; }
source "$HERE/../tests/e2e/lib.sh"
source "$HERE/../tests/e2e/db_servers.sh"
load=1
if [[ -n ${REUSE_WORK:-} ]]; then
  rm -rf "$WORK"
  WORK=$REUSE_WORK
  load=0
fi
port=$(free_port)
start_clickhouse "$port"
echo "# $(date -u +%FT%TZ) $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg)"
"$bin" --url "clickhouse://127.0.0.1:$port/loupe_scale?user=loupe&password_file=$CH/loupe.password" \
  --records "$records" --data-dir "$CH/data" --load "$load" --raw "${RAW:-1}"
echo "# $(date -u +%FT%TZ) done, load: $(cut -d' ' -f1-3 /proc/loadavg)"
