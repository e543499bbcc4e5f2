#!/usr/bin/env bash
# Two `loupe server` replicas sharing one ClickHouse (--store clickhouse://,
# each with its own --data-dir): metrics posted to one replica are answered
# by the other, with the same values (and a batch posted twice counted once).
# What lives where: docs/storage-clickhouse.md.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/db_servers.sh"
command -v clickhouse-server > /dev/null || { echo "clickhouse-server missing: scripts/setup.sh --test" >&2; exit 1; }

ch_port=$(free_port)
start_clickhouse "$ch_port"
STORE="clickhouse://127.0.0.1:$ch_port/loupe_signals?user=loupe&password_file=$CH/loupe.password"
echo "signals-e2e-token" > "$WORK/token"
PORT_A=$(free_port)
start_loupe_server "$PORT_A" "$WORK/token" --store "$STORE" --migrate
PORT_B=$(free_port)
"$LOUPE" server --listen "127.0.0.1:$PORT_B" --data-dir "$WORK/data-b" --token-file "$WORK/token" \
  --store "$STORE" > /dev/null 2>> "$WORK/server-b.err" &
PIDS+=($!)
wait_for_port "$PORT_B"
api() {  # api PORT PATH
  curl -sf -H 'Authorization: Bearer signals-e2e-token' "http://127.0.0.1:$1$2"
}
# settle WANT CMD...: until CMD prints WANT (ingest writes asynchronously), at most 5 s.
settle() {
  local want=$1 i
  shift
  for i in $(seq 1 50); do [[ "$("$@" 2> /dev/null)" == "$want" ]] && return; sleep 0.1; done
}
post() {  # post PORT PATH FILE
  curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer signals-e2e-token' \
    -H 'Content-Type: application/json' --data-binary @"$3" "http://127.0.0.1:$1$2"
}

# Two minutes of 10 s node samples ending at least two minutes ago:
# node_load1 = i (i = 0..11) and two CPU modes.
T0=$(( ($(date +%s) / 120 - 2) * 120 ))
/usr/bin/python3 - "$WORK" "$T0" <<'PY'
import json, sys
work, t0 = sys.argv[1], int(sys.argv[2])
samples = []
for i in range(12):
    t = (t0 + i * 10) * 1_000_000_000
    samples.append({"time_ns": t, "entity": "node", "name": "e2e-node", "metric": "node_load1", "value": i})
    for mode, v in (("user", 1.5), ("system", 0.5)):
        samples.append({"time_ns": t, "entity": "node", "name": "e2e-node", "label": mode,
                        "metric": "node_cpu_cores", "value": v})
json.dump({"samples": samples}, open(f"{work}/metrics.json", "w"))
PY
assert_eq "metrics posted to replica A" 200 "$(post "$PORT_A" /api/v1/metrics/ingest "$WORK/metrics.json")"
assert_eq "the same batch posted again to replica B" 200 "$(post "$PORT_B" /api/v1/metrics/ingest "$WORK/metrics.json")"

metric() {  # metric PORT QUERY -> "t value,..." relative to T0
  api "$1" "/api/v1/metrics?entity=node&name=e2e-node&from=$T0&to=$((T0 + 120))&$2" |
    jq -r --argjson t0 "$T0" '[.[] | "\(.t - $t0) \(.value)"] | join(",")'
}
settle "0 2.5,60 8.5" metric "$PORT_B" 'metric=node_load1&step=60'
for port in "$PORT_A" "$PORT_B"; do
  assert_eq "replica :$port: node_load1 per minute (means)" "0 2.5,60 8.5" "$(metric "$port" 'metric=node_load1&step=60')"
  assert_eq "replica :$port: node_load1 raw, 30 s steps" "0 1,30 4,60 7,90 10" "$(metric "$port" 'metric=node_load1&step=30')"
  assert_eq "replica :$port: CPU, both modes summed" "0 2,60 2" "$(metric "$port" 'metric=node_cpu_cores&step=60')"
  assert_eq "replica :$port: CPU, one mode" "0 1.5" "$(metric "$port" 'metric=node_cpu_cores&label=user&step=120')"
  assert_eq "replica :$port: series" "node_cpu_cores system,node_cpu_cores user,node_load1 " \
    "$(api "$port" '/api/v1/metrics/series?name=e2e-node' | jq -r '[.[] | "\(.metric) \(.label)"] | join(",")')"
done
finish
