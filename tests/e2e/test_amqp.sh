#!/usr/bin/env bash
# AMQP 0-9-1: Debian's rabbitmq-server on free loopback ports (a node of its
# own: node name, epmd and distribution ports, data and log directories in
# $WORK, no plugins), driven by amqp_client.py (pika: a publisher and a
# consumer on two connections, basic.get, a passive declare of a missing
# queue). Under `loupe trace`, then `loupe run`: a record per publish and per
# delivery with exchange, routing key, queue and body size; synchronous
# methods with their round trip; the 404 as an error; bodies never recorded.
# The consumer's prefetch is 1: RabbitMQ writes a batch of deliveries as one
# writev of about two iovecs each, and the capture walks 8 iovecs, so the
# broker's side of larger batches is not exact (docs/protocols/amqp.md).
# RabbitMQ takes most of this test's time booting (10-45 s on a busy
# 2-core machine), so loupe trace attaches while it boots.
source "$(dirname "$0")/lib.sh"
require_root

PORT=$(free_port)
EPMD_PORT=$(free_port)
RMQ="$WORK/rabbitmq"
mkdir -p "$RMQ/home"
echo "[]." > "$RMQ/enabled_plugins"
chmod 755 "$WORK"
chown -R rabbitmq:rabbitmq "$RMQ"
# The node's epmd is a daemon of its own: stopped by its port on exit.
trap 'cleanup; ERL_EPMD_PORT=$EPMD_PORT epmd -kill > /dev/null 2>&1 || true' EXIT
(cd "$RMQ" && exec setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups env \
  HOME="$RMQ/home" RABBITMQ_NODENAME="loupe$PORT@localhost" RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
  RABBITMQ_NODE_PORT="$PORT" RABBITMQ_DIST_PORT="$(free_port)" ERL_EPMD_PORT="$EPMD_PORT" \
  ERL_EPMD_ADDRESS=127.0.0.1 RABBITMQ_MNESIA_BASE="$RMQ/mnesia" RABBITMQ_LOG_BASE="$RMQ/log" \
  RABBITMQ_ENABLED_PLUGINS_FILE="$RMQ/enabled_plugins" RABBITMQ_CONFIG_FILE="$RMQ/none" \
  RABBITMQ_PID_FILE="$RMQ/pid" /usr/lib/rabbitmq/bin/rabbitmq-server) > "$RMQ/out" 2>&1 &
PIDS+=($!)
BOOT_START=$SECONDS

workload() { /usr/bin/python3 "$LOUPE_SRC/tests/e2e/amqp_client.py" "$PORT"; }

OUT="$WORK/trace.jsonl"
start_trace "$OUT" --port "$PORT"
for _ in $(seq 600); do
  grep -q "Starting broker... completed" "$RMQ/out" && break
  kill -0 "${PIDS[0]}" 2>/dev/null || break
  sleep 0.1
done
grep -q "completed" "$RMQ/out" || { tail -20 "$RMQ/out"; fail "rabbitmq-server did not start"; finish; }
log "rabbitmq-server ready after $((SECONDS - BOOT_START)) s"

# check RECORDS_FILE SIDE: the records of one run of the workload, as seen
# by the broker (server) or by pika (client).
check() {
  local f=$1 side=$2
  local sel=".protocol==\"amqp\" and .role==\"$side\""
  n() { count "$f" "$sel and $1"; }
  sizes() { jq -r "select($sel and $1) | .detail" "$f" | sort -n | uniq -c | awk '{printf "%s*%s ", $1, $2}'; }
  assert_eq "$side basic.publish shop/order.created" 10 "$(n '.method=="basic.publish" and .path=="shop/order.created" and .route=="shop/order.created"')"
  assert_eq "$side publish body sizes (13..22 bytes)" "1*13 1*14 1*15 1*16 1*17 1*18 1*19 1*20 1*21 1*22 " "$(sizes '.method=="basic.publish" and .path=="shop/order.created"')"
  assert_eq "$side basic.publish to the default exchange" 2 "$(n '.method=="basic.publish" and .path=="amq.default/orders.audit" and .detail=="14"')"
  assert_eq "$side basic.deliver from queue orders.created" 10 "$(n '.method=="basic.deliver" and .path=="orders.created" and (.detail | endswith(" from shop/order.created"))')"
  assert_eq "$side delivered body sizes" "1*13 1*14 1*15 1*16 1*17 1*18 1*19 1*20 1*21 1*22 " "$(sizes '.method=="basic.deliver"')"
  assert_eq "$side basic.get: get-ok, get-ok, get-empty" "2 1" "$(n '.method=="basic.get" and .path=="orders.audit" and .detail=="14 from amq.default/orders.audit"') $(n '.method=="basic.get" and .detail=="empty"')"
  assert_eq "$side queue.declare orders.created answered (round trip > 0)" 1 "$(n '.method=="queue.declare" and .path=="orders.created" and .end_ns > .start_ns and (.detail | endswith("consumers"))')"
  assert_eq "$side queue.bind, basic.qos, basic.consume" "1 1 1" "$(n '.method=="queue.bind" and .detail=="shop/order.created"') $(n '.method=="basic.qos" and .detail=="prefetch 1"') $(n '.method=="basic.consume" and .path=="orders.created"')"
  assert_eq "$side exchange.declare shop" 1 "$(n '.method=="exchange.declare" and .path=="shop" and .detail=="direct"')"
  assert_eq "$side connection.open, channel.open" "2 3" "$(n '.method=="connection.open" and .host=="/"') $(n '.method=="channel.open"')"
  assert_eq "$side passive declare of a missing queue: 404 NOT_FOUND" 1 "$(n '.method=="queue.declare" and .path=="nosuch" and .error and .status==404 and .error_code=="NOT_FOUND"')"
  assert_eq "$side errors" 1 "$(n '.error')"
  assert_eq "$side bodies never recorded" 0 "$(jq -c "select($sel)" "$f" | grep -c 'secret' || true)"
}

log "loupe trace: the workload"
workload
stop_trace
grep "loupe trace:" "$OUT.err" | tail -1
check "$OUT" server
check "$OUT" client
assert_eq "client records are pika's" 0 "$(count "$OUT" '.protocol=="amqp" and .role=="client" and .comm!="python3"')"
# A basic.get's round trip seen by pika contains the broker's turnaround.
max_ms=$(jq -r 'select(.protocol=="amqp" and .method=="basic.get") | .duration_ns' "$OUT" | sort -n | tail -1 | awk '{printf "%.1f", $1/1e6}')
assert_le "slowest basic.get round trip (ms, busy shared machine)" 500 "$max_ms"

log "loupe run: the workload again, read back from the API"
API_PORT=$(free_port)
start_loupe_run --listen "127.0.0.1:$API_PORT" --data-dir "$WORK/data" --port "$PORT"
workload > /dev/null
api_records "http://127.0.0.1:$API_PORT/api/v1" amqp 80 "$WORK/run.jsonl"
check "$WORK/run.jsonl" server
check "$WORK/run.jsonl" client
finish
