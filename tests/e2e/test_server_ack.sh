#!/usr/bin/env bash
# Issue 11, honest acknowledgement: `loupe server` answers 2xx to an ingest
# only once the batch is committed. Senders POST batches without pause; the
# server is SIGKILLed in the middle and restarted: every acknowledged record
# is in the database, and the database passes PRAGMA integrity_check. The
# same with a cluster collector active, when acknowledged batches wait (in
# the store's held batches) for the cluster model to name them. A store
# that cannot write (read-only database file) answers 503, and the batch can
# be sent again once it can.
source "$(dirname "$0")/lib.sh"
require_root
HERE=$(cd "$(dirname "$0")" && pwd)

API_PORT=$(free_port)
API="http://127.0.0.1:$API_PORT"
DB="$WORK/data/loupe.db"
echo "ack-test-token" > "$WORK/token"

start_server() {
  "$LOUPE" server --listen "127.0.0.1:$API_PORT" --data-dir "$(dirname "$DB")" --token-file "$WORK/token" \
    > /dev/null 2>> "$WORK/server.err" &
  SERVER_PID=$!
  PIDS+=($SERVER_PID)
  wait_for_port "$API_PORT"
}

# Senders for 4 s, SIGKILL of the server after 2 s, restart: every
# acknowledged batch is in the database, whole.
kill_during_ingest() {
  python3 "$HERE/ingest_client.py" "$API" ack-test-token "$WORK/acked" 4 > "$WORK/client.out" &
  CLIENT_PID=$!
  sleep 2
  kill -KILL "$SERVER_PID"
  wait "$SERVER_PID" 2>/dev/null || true
  wait "$CLIENT_PID"
  cat "$WORK/client.out"
  acked=$(wc -l < "$WORK/acked" | tr -d ' ')
  assert_ge "batches acknowledged before the kill" 5 "$acked"
}

# count_paths PATH...: for each PATH, one line with the records whose path
# contains it, counted by the running server (raw requests are compressed
# chunks in the database, docs/storage.md). One curl and one jq for them
# all: a curl and a jq per batch took ~0.4 s a batch under load, a minute
# for the test's ~170 batches.
count_paths() {
  (($#)) || return 0
  printf "url = \"$API/api/v1/requests/count?q=%s\"\n" "$@" |
    curl -s -H 'Authorization: Bearer ack-test-token' -K - | jq .count
}

check_every_acked_batch_stored() {
  log "restart after the kill"
  start_server
  kill -INT "$SERVER_PID"; wait "$SERVER_PID" || true  # recovers the WAL, then closes
  assert_eq "PRAGMA integrity_check" ok "$(sqlite3 "$DB" 'PRAGMA integrity_check')"
  start_server
  # Each acknowledged batch "sender/batch" is 500 records with paths
  # /ack/sender/batch/i (ingest_client.py).
  LC_ALL=C sort -u "$WORK/acked" > "$WORK/acked.sorted"
  mapfile -t paths < <(sed 's|.*|/ack/&/|' "$WORK/acked.sorted")
  # Two halves at once, on the server's thread pool: each count reads every
  # chunk, ~0.2 s once a fast writer has acknowledged ~400 batches.
  local half=$(((${#paths[@]} + 1) / 2))
  count_paths "${paths[@]:0:half}" > "$WORK/counts" &
  count_paths "${paths[@]:half}" > "$WORK/counts.2"
  wait $!
  cat "$WORK/counts.2" >> "$WORK/counts"
  missing=0
  while read -r batch n; do
    [[ $n == 500 ]] || { log "batch $batch: ${n:-no} of 500 records stored"; missing=$((missing + 1)); }
  done < <(paste -d' ' "$WORK/acked.sorted" "$WORK/counts")
  kill -INT "$SERVER_PID"; wait "$SERVER_PID" || true
  assert_eq "acknowledged batches missing or incomplete after the kill" 0 "$missing"
}

start_server
log "4 senders x 500-record batches; SIGKILL of the server after 2 s"
kill_during_ingest
check_every_acked_batch_stored

log "with a cluster collector: acknowledged batches that wait for names survive a SIGKILL"
DB="$WORK/data-k8s/loupe.db"
rm -f "$WORK/acked"
start_server
# One snapshot, then silence: the model stays current to this moment, so
# every record after it waits (up to 6 s) for the collector to catch up.
curl -sf -o /dev/null -H 'Authorization: Bearer ack-test-token' -H 'Content-Type: application/json' \
  --data '{"kind": "LoupeK8sIngest", "type": "snapshot", "collector": "ack-test", "events": [],
           "snapshot": {"pods": [], "services": [], "workloads": [], "nodes": [],
                        "ip_history": [], "seq": 0}}' "$API/api/v1/k8s/ingest" ||
  fail "the snapshot was not taken"
kill_during_ingest
assert_ge "batches held for names in the store at the kill" 1 \
  "$(sqlite3 "$DB" 'SELECT count(*) FROM held_batches')"
check_every_acked_batch_stored
assert_eq "held batches left after the restart" 0 "$(sqlite3 "$DB" 'SELECT count(*) FROM held_batches')"

log "disk full: the store cannot write, ingest answers 503; the same batch is taken later"
# A fresh server whose data directory is a 2 MiB tmpfs, filled up once it runs.
FULL="$WORK/full"
mkdir -p "$FULL"
mount -t tmpfs -o size=2m tmpfs "$FULL"
trap 'umount "$FULL" 2>/dev/null; cleanup' EXIT
"$LOUPE" server --listen "127.0.0.1:$API_PORT" --data-dir "$FULL" --token-file "$WORK/token" \
  > /dev/null 2>> "$WORK/server.err" &
SERVER_PID=$!
PIDS+=($SERVER_PID)
wait_for_port "$API_PORT"
dd if=/dev/zero of="$FULL/filler" bs=64k 2>/dev/null || true  # until ENOSPC
python3 - "$WORK/batch.json" <<'PY'
import json, sys, time
now = time.time_ns()
recs = [{"start_ns": now, "end_ns": now, "protocol": "http1", "role": "server", "comm": "ackd",
         "local_addr": "127.0.0.1:9999", "method": "GET", "path": f"/full/{i}",
         "route": "/full", "status": 200} for i in range(3000)]
json.dump({"records": recs}, open(sys.argv[1], "w"))
PY
post() {
  curl -s -o "$WORK/post.json" -w '%{http_code}' -H 'Authorization: Bearer ack-test-token' \
    -H 'Content-Type: application/json' --data-binary @"$WORK/batch.json" "$API/api/v1/ingest"
}
assert_eq "ingest while the disk is full" 503 "$(post)"
grep -q "retry later" "$WORK/post.json" && pass "the 503 says why and to retry: $(jq -r .error "$WORK/post.json")" ||
  fail "503 body: $(cat "$WORK/post.json")"
rm -f "$FULL/filler"
assert_eq "the same batch once there is room" 200 "$(post)"
assert_eq "the retried batch is stored once" 3000 "$(count_paths /full/)"
kill -INT "$SERVER_PID"; wait "$SERVER_PID" || true
finish
