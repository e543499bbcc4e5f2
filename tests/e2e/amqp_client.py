#!/usr/bin/python3
"""An AMQP 0-9-1 workload with known outcomes, for test_amqp.sh (pika).

A publisher declares the direct exchange `shop` and publishes 10 messages
(13..22 bytes) with routing key `order.created`, then 2 straight to queue
`orders.audit` through the default exchange; a consumer on another
connection declares and binds `orders.created`, consumes with prefetch 1
(one delivery per broker write; see the limits in docs/protocols/amqp.md) and
acknowledges all 10 deliveries; the publisher then gets from `orders.audit`
twice (get-ok) and once more (get-empty), and declares the missing queue
`nosuch` passively (the broker closes that channel with 404 NOT_FOUND).
Prints what it saw as JSON.

    amqp_client.py PORT
"""
import json
import sys

import pika

port = int(sys.argv[1])
params = pika.ConnectionParameters("127.0.0.1", port, heartbeat=0)

pub_conn = pika.BlockingConnection(params)
pub = pub_conn.channel()
pub.exchange_declare("shop", "direct")
pub.queue_declare("orders.audit")

sub_conn = pika.BlockingConnection(params)
sub = sub_conn.channel()
sub.queue_declare("orders.created")
sub.queue_bind("orders.created", "shop", "order.created")
sub.basic_qos(prefetch_count=1)
seen = []


def on_message(channel, method, properties, body):
    seen.append(len(body))
    channel.basic_ack(method.delivery_tag)


sub.basic_consume("orders.created", on_message)

for i in range(10):
    pub.basic_publish("shop", "order.created", b"secret-order-" + b"x" * i)
for i in range(2):
    pub.basic_publish("", "orders.audit", b"secret-audit-%d" % i)

while len(seen) < 10:
    sub_conn.process_data_events(time_limit=1)

got = [pub.basic_get("orders.audit", auto_ack=True)[2] for _ in range(3)]
if got[2] is not None or None in got[:2]:
    sys.exit(f"expected two messages then none from orders.audit, got {got!r}")

missing = pub_conn.channel()
try:
    missing.queue_declare("nosuch", passive=True)
    sys.exit("declaring the missing queue passively succeeded")
except pika.exceptions.ChannelClosedByBroker as e:
    if e.reply_code != 404:
        sys.exit(f"expected 404, got {e!r}")

sub_conn.close()
pub_conn.close()
print(json.dumps({"delivered": sorted(seen), "got": [len(b) for b in got[:2]]}))
