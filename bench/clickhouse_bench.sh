#!/usr/bin/env bash
# The ClickHouse layer's inserts, footprint and queries against Debian's
# clickhouse-server started here (own config and data dir in a temp dir).
# Runs once with gzip request bodies and once without.
# Usage: bench/clickhouse_bench.sh [build-dir] [records] [hours] [batch]
#   (default: build 1000000 24 50000). Prints "key: value" lines; the table in
#   docs/storage-clickhouse.md ("Measured") comes from one run.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
records=${2:-1000000}
hours=${3:-24}
batch=${4:-50000}
bin="$build/bench/clickhouse_bench"
[[ -x $bin ]] || { echo "build $bin first: cmake --build $build --target clickhouse_bench" >&2; exit 1; }
source "$HERE/../tests/e2e/lib.sh"
source "$HERE/../tests/e2e/db_servers.sh"
port=$(free_port)
start_clickhouse "$port"
echo "# $(date -u +%FT%TZ) $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg)"
for compress in 1 0; do
  "$bin" --url "clickhouse://127.0.0.1:$port/loupe_bench?user=loupe&password_file=$CH/loupe.password" \
    --records "$records" --hours "$hours" --batch "$batch" --server-pid "$CH_PID" --compress $compress
done
