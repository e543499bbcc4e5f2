#!/usr/bin/env bash
# NATS: Debian's nats-server on free loopback ports, driven by
# nats_client.py (raw sockets: a subscriber with a plain and a queue-group
# subscription, a publisher of PUB and HPUB messages, PING/PONG, UNSUB, a
# publish over max_payload). Under `loupe trace`, then `loupe run`: a record
# per publish and per delivery with subject and size, subscriptions, PING
# round trips, the -ERR; message and byte counts equal nats-server's own
# (/varz); payloads never recorded.
source "$(dirname "$0")/lib.sh"
require_root

PORT=$(free_port)
MON=$(free_port)
nats-server -a 127.0.0.1 -p "$PORT" -m "$MON" > "$WORK/nats.log" 2>&1 &
PIDS+=($!)
wait_for_port "$PORT"
wait_for_port "$MON"
workload() { /usr/bin/python3 "$LOUPE_SRC/tests/e2e/nats_client.py" "$PORT"; }

# check RECORDS_FILE SIDE WHO: the records of one run of the workload, as
# seen by WHO (nats-server as server, python3 as client).
check() {
  local f=$1 side=$2 who=$3
  local sel=".protocol==\"nats\" and .role==\"$side\" and .comm==\"$who\""
  n() { count "$f" "$sel and $1"; }
  sizes() { jq -r "select($sel and $1) | .detail" "$f" | sort -n | uniq -c | awk '{printf "%s*%s ", $1, $2}'; }
  assert_eq "$side PUB orders.created" 10 "$(n '.method=="PUB" and .path=="orders.created" and .route=="orders.created"')"
  assert_eq "$side PUB sizes (13..22 bytes)" "1*13 1*14 1*15 1*16 1*17 1*18 1*19 1*20 1*21 1*22 " "$(sizes '.method=="PUB"')"
  assert_eq "$side HPUB orders.paid, 37 bytes with headers" 3 "$(n '.method=="HPUB" and .path=="orders.paid" and .detail=="37"')"
  assert_eq "$side MSG deliveries (10 x 2 subscriptions)" 20 "$(n '.method=="MSG" and .path=="orders.created"')"
  assert_eq "$side HMSG deliveries (3 x 2 subscriptions)" 6 "$(n '.method=="HMSG" and .path=="orders.paid" and .detail=="37"')"
  assert_eq "$side SUB (plain, queue group)" "1 1" "$(n '.method=="SUB" and .path=="orders.*" and .detail==""') $(n '.method=="SUB" and .detail=="queue workers"')"
  assert_eq "$side UNSUB names its subject" 1 "$(n '.method=="UNSUB" and .path=="orders.*"')"
  assert_eq "$side PING round trips from the client" 3 "$(n '.method=="PING" and .detail=="" and .end_ns > .start_ns')"
  assert_eq "$side max payload -ERR" 1 "$(n '.method=="ERR" and .error and .error_code=="Maximum Payload Violation"')"
  assert_eq "$side errors" 1 "$(n '.error')"
  assert_eq "$side payloads never recorded" 0 "$(jq -c "select($sel)" "$f" | grep -c 'secret' || true)"
}

OUT="$WORK/trace.jsonl"
start_trace "$OUT" --port "$PORT"
log "loupe trace: the workload"
workload
stop_trace
grep "loupe trace:" "$OUT.err" | tail -1
check "$OUT" server nats-server
check "$OUT" client python3

# nats-server's own counters: messages and bytes (headers included) in and out.
varz=$(curl -s "http://127.0.0.1:$MON/varz")
srv='.protocol=="nats" and .role=="server" and .comm=="nats-server"'
sum() { jq -r "select($srv and ($1)) | .detail" "$OUT" | awk '{s+=$1; n++} END {print n+0, s+0}'; }
assert_eq "published: records, bytes == in_msgs, in_bytes" "$(echo "$varz" | jq -r '"\(.in_msgs) \(.in_bytes)"')" "$(sum '.method=="PUB" or .method=="HPUB"')"
assert_eq "delivered: records, bytes == out_msgs, out_bytes" "$(echo "$varz" | jq -r '"\(.out_msgs) \(.out_bytes)"')" "$(sum '.method=="MSG" or .method=="HMSG"')"
# A PING's round trip seen by the client contains the server's turnaround.
max_ms=$(jq -r "select(.protocol==\"nats\" and .method==\"PING\") | .duration_ns" "$OUT" | sort -n | tail -1 | awk '{printf "%.1f", $1/1e6}')
assert_le "slowest PING round trip (ms, busy shared machine)" 500 "$max_ms"

log "loupe run: the workload again, read back from the API"
API_PORT=$(free_port)
start_loupe_run --listen "127.0.0.1:$API_PORT" --data-dir "$WORK/data" --port "$PORT"
workload > /dev/null
api_records "http://127.0.0.1:$API_PORT/api/v1" nats 92 "$WORK/run.jsonl"
check "$WORK/run.jsonl" server nats-server
check "$WORK/run.jsonl" client python3
finish
