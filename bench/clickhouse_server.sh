#!/usr/bin/env bash
# `loupe server` ingest CPU per record: the embedded store against
# `--store clickhouse://...` (Debian's clickhouse-server started here), the
# same gzip JSON agent batches posted to each by `senders` concurrent
# senders (each posts one batch at a time, as an agent does; 1 by
# default). CPU is read from /proc (utime + stime) of the server process,
# and of clickhouse-server for the ClickHouse run, so the neighbours on a
# busy machine count less than in wall time.
# Usage: bench/clickhouse_server.sh [build-dir] [batches] [records-per-batch] [senders]
#   (default: build 100 5000 1). The tables in docs/benchmarks.md come from one run each.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
batches=${2:-100}
per_batch=${3:-5000}
senders=${4:-1}
LOUPE=$(cd "$build" && pwd)/loupe
source "$HERE/../tests/e2e/lib.sh"
source "$HERE/../tests/e2e/db_servers.sh"
ch_port=$(free_port)
start_clickhouse "$ch_port"
echo "bench-token-$RANDOM" > "$WORK/token"
token=$(cat "$WORK/token")
total=$((batches * per_batch))

/usr/bin/python3 - "$WORK" "$batches" "$per_batch" <<'PY'
import gzip, json, sys, time
work, batches, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
now = time.time_ns() - 600 * 10**9
for b in range(batches):
    recs = []
    for i in range(per):
        start = now + (b * per + i) * 100_000
        recs.append({"start_ns": start, "end_ns": start + (1 + i % 97) * 100_000,
                     "protocol": "http1", "role": "server", "comm": f"svc{i % 8}", "pid": 1000 + i % 8,
                     "local_addr": f"10.0.0.{i % 8}:80{i % 8}0", "remote_addr": f"10.1.0.{i % 50}:4{i % 1000:04d}",
                     "method": "GET" if i % 4 else "POST", "path": f"/api/v1/items{i % 25}/{i}",
                     "route": f"/api/v1/items{i % 25}/{{id}}", "status": 500 if i % 50 == 0 else 200,
                     "req_bytes": 200 + i % 300, "resp_bytes": 1000 + i % 5000})
    body = json.dumps({"batch": {"agent": "bench", "seq": b + 1}, "records": recs}).encode()
    open(f"{work}/batch{b}.json.gz", "wb").write(gzip.compress(body, 1))
PY

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# run NAME [server flags...]: posts every batch, waits until all are written,
# prints records/s (wall), server and clickhouse-server CPU per record.
run() {
  local name=$1 port; shift
  port=$(free_port)
  rm -rf "$WORK/data"
  "$LOUPE" server --listen "127.0.0.1:$port" --data-dir "$WORK/data" --token-file "$WORK/token" \
    --queue-records 2000000 "$@" > /dev/null 2>> "$WORK/server.err" &
  local pid=$!
  PIDS+=($pid)
  wait_for_port "$port"
  local s0 c0 t0 written=0
  s0=$(cpu_ticks "$pid"); c0=$(cpu_ticks "$CH_PID"); t0=$(date +%s.%N)
  local sender senders_pids=()
  for ((sender = 0; sender < senders; sender++)); do
    (
      for ((b = sender; b < batches; b += senders)); do
        curl -sf -o /dev/null -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
          -H 'Content-Encoding: gzip' --data-binary @"$WORK/batch$b.json.gz" "http://127.0.0.1:$port/api/v1/ingest"
      done
    ) &
    senders_pids+=($!)
  done
  wait "${senders_pids[@]}"
  until [[ $written -ge $total ]]; do
    written=$(curl -sf -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/status" | jq .store.ingest.written)
    sleep 0.1
  done
  local s1 c1 t1 hz
  s1=$(cpu_ticks "$pid"); c1=$(cpu_ticks "$CH_PID"); t1=$(date +%s.%N); hz=$(getconf CLK_TCK)
  kill -INT "$pid"; wait "$pid" || true
  awk -v n="$total" -v s="$((s1 - s0))" -v c="$((c1 - c0))" -v t0="$t0" -v t1="$t1" -v hz="$hz" -v name="$name" 'BEGIN {
    printf "%s: %d records, %.0f records/s (wall), loupe server CPU %.2f us/record, clickhouse-server CPU %.2f us/record\n",
      name, n, n / (t1 - t0), s / hz / n * 1e6, c / hz / n * 1e6 }'
}
echo "# $(date -u +%FT%TZ) $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg), $batches batches of $per_batch, $senders senders"
run "embedded (SQLite)"
STORE="clickhouse://127.0.0.1:$ch_port/loupe_bench?user=loupe&password_file=$CH/loupe.password"
run "ClickHouse (--store)" --store "$STORE" --migrate
run "embedded (SQLite), again" 
finish > /dev/null
