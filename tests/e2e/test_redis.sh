#!/usr/bin/env bash
# Redis: a redis-server of our own on a free loopback port; redis-cli
# commands (one connection each) and pipelined redis-benchmark. Server-side
# record counts per command must equal what Redis itself counted (INFO
# commandstats) and what was sent; errors carry their prefix; durations are
# consistent with Redis's own usec_per_call.
source "$(dirname "$0")/lib.sh"
require_root

PORT=$(free_port)
mkdir -p "$WORK/redis"
redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$WORK/redis" \
  --daemonize no --logfile "$WORK/redis/redis.log" &
PIDS+=($!)
wait_for_port "$PORT"
cli() { redis-cli -h 127.0.0.1 -p "$PORT" "$@"; }
cli PING > /dev/null
cli CONFIG RESETSTAT > /dev/null

OUT="$WORK/trace.jsonl"
# redis-benchmark -P 16 makes ~100k records/s in bursts; a larger ring than
# the default keeps a busy shared machine from dropping events, so counts
# test the parser, not capacity (bench/db_overhead.sh measures that).
start_trace "$OUT" --port "$PORT" --ring-buffer-size 64M

log "redis-cli: 5 SET, 7 GET, 3 HSET, 4 LPUSH, 2 WRONGTYPE errors"
for i in $(seq 5); do cli SET "user:$i" "v$i" > /dev/null; done
for i in $(seq 7); do cli GET "user:$((i % 5 + 1))" > /dev/null; done
for i in $(seq 3); do cli HSET "h:1" "f$i" "$i" > /dev/null; done
for i in $(seq 4); do cli LPUSH "list:1" "$i" > /dev/null; done
for i in $(seq 2); do cli LPUSH "user:1" x > /dev/null; done
log "a 200 KiB value (larger than the captured prefix), set and read back"
head -c 204800 /dev/zero | tr '\0' 'x' | cli -x SET big > /dev/null
cli GET big | wc -c > /dev/null

N=20000
log "redis-benchmark -P 16 -n $N -t set,get"
redis-benchmark -h 127.0.0.1 -p "$PORT" -P 16 -n "$N" -t set,get -q > "$WORK/bench.out"
cat "$WORK/bench.out" | tr '\r' '\n' | grep -v '^$' | tail -2
stats=$(cli INFO commandstats | tr -d '\r')
stop_trace
grep "loupe trace:" "$OUT.err" | tail -1

srv='.protocol=="redis" and .role=="server" and .comm=="redis-server"'
calls() { echo "$stats" | awk -F'[:=,]' -v c="cmdstat_$1" '$1==c {print $3}'; }
usec() { echo "$stats" | awk -F'[:=,]' -v c="cmdstat_$1" '$1==c {print $7}'; }

for c in set get hset lpush; do
  C=${c^^}
  assert_eq "server records $C == INFO commandstats calls" "$(calls "$c")" \
    "$(count "$OUT" "$srv and .method==\"$C\"")"
done
assert_eq "server SET records (5 cli + 1 big + $N benchmark)" $((N + 6)) "$(count "$OUT" "$srv and .method==\"SET\"")"
assert_eq "server GET records (7 cli + 1 big + $N benchmark)" $((N + 8)) "$(count "$OUT" "$srv and .method==\"GET\"")"
assert_eq "route is the command" 0 "$(count "$OUT" "$srv and .route!=.method")"
assert_eq "HSET records with key h:1" 3 "$(count "$OUT" "$srv and .method==\"HSET\" and .path==\"h:1\"")"
assert_eq "SET user:3 key" 1 "$(count "$OUT" "$srv and .method==\"SET\" and .path==\"user:3\"")"
assert_eq "WRONGTYPE errors" 2 "$(count "$OUT" "$srv and .error==true and .error_code==\"WRONGTYPE\" and .method==\"LPUSH\" and .path==\"user:1\"")"
assert_eq "no other errors" 2 "$(count "$OUT" "$srv and .error==true")"
assert_eq "big SET req_bytes covers the value" 1 "$(count "$OUT" "$srv and .method==\"SET\" and .path==\"big\" and .req_bytes > 204800")"
assert_eq "big GET resp_bytes covers the value" 1 "$(count "$OUT" "$srv and .method==\"GET\" and .path==\"big\" and .resp_bytes > 204800")"
# redis-cli's side of the same exchanges (client role).
assert_eq "redis-cli client SET records" 6 "$(count "$OUT" '.role=="client" and .comm=="redis-cli" and .method=="SET"')"
assert_eq "redis-cli client WRONGTYPE errors" 2 "$(count "$OUT" '.role=="client" and .comm=="redis-cli" and .error_code=="WRONGTYPE"')"
assert_eq "redis-benchmark client GET records" "$N" "$(count "$OUT" '.role=="client" and .comm=="redis-benchmark" and .method=="GET"')"

# Latency: a server record spans the read of the command to the write of
# its reply, so it is at least Redis's own execution time. With -P 16 a
# whole batch is read at once, so the records of a batch share a start: the
# mean can be several times usec_per_call, but stays under a few ms.
for c in set get; do
  C=${c^^}
  mean_us=$(jq -r "select($srv and .method==\"$C\" and .path!=\"big\") | .duration_ns" "$OUT" | awk '{s+=$1} END {printf "%.2f", s/NR/1000}')
  assert_ge "mean server $C duration (us) >= usec_per_call" "$(usec "$c")" "$mean_us"
  assert_le "mean server $C duration (us) <= 5000" 5000 "$mean_us"
done
assert_eq "JSON protocol field" "$(count "$OUT" 'true')" "$(count "$OUT" '.protocol=="redis"')"
finish
