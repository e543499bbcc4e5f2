#!/usr/bin/env bash
# Two `loupe server` replicas sharing one ClickHouse (--store clickhouse://,
# each with its own --data-dir): metrics posted to one replica are answered
# by the other, with the same values (and a batch posted twice counted once);
# so are logs (search, histogram, patterns), an OOM kill event and a CPU
# profile minute posted in two parts, one to each replica (and a keyed part
# posted three times, added once). Then ClickHouse
# is killed and restarted: what replica A acknowledged meanwhile (logs
# included, sent twice while it was down) is stored once.
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
# Logs: entries posted to replica A (and again to B), searched, counted and
# grouped into patterns through either replica.
/usr/bin/python3 - "$WORK" "$T0" <<'PY'
import json, sys
work, t0 = sys.argv[1], int(sys.argv[2])
entries = []
for i in range(30):
    entries.append({"time_ns": (t0 + i * 2) * 1_000_000_000 + 7, "source": "e2e-src", "offset": i * 100,
                    "node": "e2e-node", "file": "/var/log/e2e.log",
                    "level": "error" if i % 3 == 0 else "info",
                    "text": f"payment {i} declined: card expired" if i % 3 == 0 else f"user u{i} logged in from 10.0.0.{i}"})
json.dump({"entries": entries}, open(f"{work}/logs.json", "w"))
PY
assert_eq "logs posted to replica A" 200 "$(post "$PORT_A" /api/v1/logs/ingest "$WORK/logs.json")"
assert_eq "the same logs posted again to replica B" 200 "$(post "$PORT_B" /api/v1/logs/ingest "$WORK/logs.json")"
logq() {  # logq PORT PATH QUERY
  api "$1" "$2?node=e2e-node&from=$T0&to=$((T0 + 120))&$3"
}
entries() { logq "$1" /api/v1/logs 'limit=100' | jq '.entries | length'; }
settle 30 entries "$PORT_B"
for port in "$PORT_A" "$PORT_B"; do
  assert_eq "replica :$port: entries, each once" 30 "$(entries "$port")"
  assert_eq "replica :$port: search 'declined card'" "27 24 21 18 15 12 9 6 3 0" \
    "$(logq "$port" /api/v1/logs 'q=declined%20card' | jq -r '[.entries[].offset / 100] | join(" ")')"
  assert_eq "replica :$port: search a prefix and an address" "user u7 logged in from 10.0.0.7" \
    "$(logq "$port" /api/v1/logs 'q=logg*%2010.0.0.7' | jq -r '[.entries[].text] | join(",")')"
  assert_eq "replica :$port: histogram of errors" 10 \
    "$(logq "$port" /api/v1/logs/histogram 'step=60&level=error' | jq '[.points[].counts.error // 0] | add')"
  assert_eq "replica :$port: patterns" "payment <*> declined: card expired 10,user <*> logged in from <*> 20" \
    "$(logq "$port" /api/v1/logs/patterns 'step=60' | jq -r '[.patterns[] | "\(.pattern) \(.count)"] | sort | join(",")')"
done

# Kubernetes events: an OOM kill posted to replica A (with its metrics) is an
# event replica B lists.
cat > "$WORK/oom.json" <<JSON
{"samples": [], "oom_kills": [{"time_ns": $(( (T0 + 30) * 1000000000 )), "pid": 4242, "command": "e2e-hog",
  "cgroup": "/system.slice/e2e-hog.service", "node": "e2e-node", "memory_limit_bytes": 104857600,
  "memory_usage_bytes": 104857600}]}
JSON
assert_eq "an OOM kill posted to replica A" 200 "$(post "$PORT_A" /api/v1/metrics/ingest "$WORK/oom.json")"
oom_events() {
  api "$1" "/api/v1/events?from=$T0&to=$((T0 + 120))&reason=OOMKilled" |
    jq -r '[.[] | "\(.reason) \(.name) \(.details.pid)"] | join(",")'
}
settle "OOMKilled /system.slice/e2e-hog.service 4242" oom_events "$PORT_B"
for port in "$PORT_A" "$PORT_B"; do
  assert_eq "replica :$port: the OOM kill event" "OOMKilled /system.slice/e2e-hog.service 4242" "$(oom_events "$port")"
done

# CPU profiles: one minute posted in two parts, one to each replica, is one
# profile through either.
for part in a b; do
  n=$([[ $part == a ]] && echo 30 || echo 12)
  cat > "$WORK/profile-$part.json" <<JSON
{"frames": ["main", "serve", "gc"], "profiles": [{"minute": $T0, "node": "e2e-node", "pid": 77,
  "process": "e2e-api", "stacks": [[[0, 1], $n], [[0, 2], 1]]}]}
JSON
done
assert_eq "profile part posted to replica A" 200 "$(post "$PORT_A" /api/v1/profile/ingest "$WORK/profile-a.json")"
assert_eq "profile part posted to replica B" 200 "$(post "$PORT_B" /api/v1/profile/ingest "$WORK/profile-b.json")"
folded() { api "$1" "/api/v1/profile?node=e2e-node&from=$T0&to=$((T0 + 60))&format=folded" | paste -sd,; }
settle "e2e-api;main;gc 2,e2e-api;main;serve 42" folded "$PORT_B"
for port in "$PORT_A" "$PORT_B"; do
  assert_eq "replica :$port: the minute's profile, both parts" "e2e-api;main;gc 2,e2e-api;main;serve 42" "$(folded "$port")"
done

# A profile part an agent sends again after a lost answer (same batch key),
# to the same replica and to the other: added once.
cat > "$WORK/profile-keyed.json" <<JSON
{"frames": ["main", "poll"], "profiles": [{"minute": $T0, "node": "e2e-keyed", "pid": 79,
  "process": "e2e-keyed", "stacks": [[[0, 1], 5]]}], "batch": {"agent": "e2e-agent/profile", "seq": 1}}
JSON
keyed_samples() {  # keyed_samples PORT: samples the post stored
  curl -sf -H 'Authorization: Bearer signals-e2e-token' -H 'Content-Type: application/json' \
    --data-binary @"$WORK/profile-keyed.json" "http://127.0.0.1:$1/api/v1/profile/ingest" | jq .samples
}
assert_eq "a keyed profile part posted to replica A: stored" 5 "$(keyed_samples "$PORT_A")"
assert_eq "the same part again to replica A: recognised" 0 "$(keyed_samples "$PORT_A")"
assert_eq "the same part again to replica B: recognised" 0 "$(keyed_samples "$PORT_B")"
for port in "$PORT_A" "$PORT_B"; do
  assert_eq "replica :$port: the part sent three times, added once" "e2e-keyed;main;poll 5" \
    "$(api "$port" "/api/v1/profile?node=e2e-keyed&from=$T0&to=$((T0 + 60))&format=folded" | paste -sd,)"
done

# ClickHouse down (SIGKILLed, restarted): metrics, an OOM kill event and a
# profile minute posted to replica A meanwhile are acknowledged (spooled by
# A, stored once when ClickHouse is back: docs/storage-clickhouse.md,
# "Writes, spool and exactly once"); so are logs, sent twice while it is
# down (an agent whose answer was lost) and again to each replica once it
# is back: each entry stored once (the spool's replay asks loupe_logs as
# it sends).
/usr/bin/python3 - "$WORK" "$T0" <<'PY'
import json, sys
work, t0 = sys.argv[1], int(sys.argv[2])
json.dump({"samples": [{"time_ns": (t0 + i * 10) * 1_000_000_000, "entity": "node", "name": "e2e-down",
                        "metric": "node_load1", "value": 2 * i} for i in range(12)],
           "oom_kills": [{"time_ns": (t0 + 40) * 1_000_000_000, "pid": 4343, "command": "e2e-down-hog",
                          "cgroup": "/system.slice/e2e-down-hog.service", "node": "e2e-down",
                          "memory_limit_bytes": 1048576, "memory_usage_bytes": 1048576}]},
          open(f"{work}/metrics-down.json", "w"))
json.dump({"entries": [{"time_ns": (t0 + i * 3) * 1_000_000_000, "source": "e2e-down-src", "offset": i * 10,
                        "node": "e2e-down", "file": "/var/log/down.log", "level": "info",
                        "text": f"request {i} served while the database was away"} for i in range(20)]},
          open(f"{work}/logs-down.json", "w"))
json.dump({"frames": ["main", "wait"], "profiles": [{"minute": t0, "node": "e2e-down", "pid": 78,
           "process": "e2e-down-api", "stacks": [[[0, 1], 17]]}]}, open(f"{work}/profile-down.json", "w"))
PY
kill -KILL "$CH_PID"; wait "$CH_PID" 2> /dev/null || true
assert_eq "metrics and an OOM kill while ClickHouse is down: acknowledged" 200 \
  "$(post "$PORT_A" /api/v1/metrics/ingest "$WORK/metrics-down.json")"
assert_eq "a profile minute while ClickHouse is down: acknowledged" 200 \
  "$(post "$PORT_A" /api/v1/profile/ingest "$WORK/profile-down.json")"
assert_eq "logs while ClickHouse is down: acknowledged" 200 \
  "$(post "$PORT_A" /api/v1/logs/ingest "$WORK/logs-down.json")"
assert_eq "the same logs again while ClickHouse is down (a lost answer): acknowledged" 200 \
  "$(post "$PORT_A" /api/v1/logs/ingest "$WORK/logs-down.json")"
spool_writes() { api "$PORT_A" /api/v1/status | jq .store.backend.spool.writes; }
assert_eq "writes waiting in replica A's spool (samples, event, profile, log patterns, logs twice)" 6 \
  "$(spool_writes)"
clickhouse-server --config-file="$CH/config.xml" > "$CH/stdout" 2>&1 &
CH_PID=$!
PIDS+=($CH_PID)
wait_for_port "$ch_port"
settle 0 spool_writes
assert_eq "replica A's spool replayed once ClickHouse is back" 0 "$(spool_writes)"
for port in "$PORT_A" "$PORT_B"; do
  assert_eq "the logs sent again to replica :$port: none stored again" 0 \
    "$(curl -sf -H 'Authorization: Bearer signals-e2e-token' -H 'Content-Type: application/json' \
      --data-binary @"$WORK/logs-down.json" "http://127.0.0.1:$port/api/v1/logs/ingest" | jq .stored)"
done
down_metric() {
  api "$1" "/api/v1/metrics?entity=node&name=e2e-down&metric=node_load1&from=$T0&to=$((T0 + 120))&step=60" |
    jq -r --argjson t0 "$T0" '[.[] | "\(.t - $t0) \(.value)"] | join(",")'
}
down_logs() {
  api "$1" "/api/v1/logs?node=e2e-down&from=$T0&to=$((T0 + 120))&limit=100" | jq '.entries | length'
}
settle 20 down_logs "$PORT_B"
for port in "$PORT_A" "$PORT_B"; do
  assert_eq "replica :$port: samples acknowledged during the outage, per minute" "0 5,60 17" "$(down_metric "$port")"
  assert_eq "replica :$port: the OOM kill of the outage, once" "OOMKilled /system.slice/e2e-down-hog.service 4343" \
    "$(api "$port" "/api/v1/events?from=$T0&to=$((T0 + 120))&reason=OOMKilled" |
      jq -r '[.[] | select(.details.pid == 4343) | "\(.reason) \(.name) \(.details.pid)"] | join(",")')"
  assert_eq "replica :$port: the outage's profile minute, once" "e2e-down-api;main;wait 17" \
    "$(api "$port" "/api/v1/profile?node=e2e-down&from=$T0&to=$((T0 + 60))&format=folded" | paste -sd,)"
  assert_eq "replica :$port: the logs of the outage, sent four times, each once" 20 "$(down_logs "$port")"
done
finish
