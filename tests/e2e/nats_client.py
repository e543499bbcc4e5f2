#!/usr/bin/python3
"""A NATS workload with known outcomes, for test_nats.sh.

A tiny client over raw sockets (Debian packages no Python NATS client): a
subscriber (a plain and a queue-group subscription on orders.*), a
publisher (10 PUB, 3 HPUB with headers), PING/PONG on both, an UNSUB, and a
third connection publishing more than max_payload (-ERR 'Maximum Payload
Violation'). Prints the deliveries it read as JSON.

    nats_client.py PORT
"""
import json
import socket
import sys


class Conn:
    def __init__(self, port, name):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.buf = b""
        if not self.line().startswith(b"INFO {"):
            sys.exit("no INFO from nats-server")
        connect = {"verbose": False, "pedantic": False, "headers": True, "protocol": 1,
                   "name": name, "lang": "python3", "version": "0"}
        self.send(b"CONNECT " + json.dumps(connect).encode() + b"\r\n")

    def send(self, data):
        self.sock.sendall(data)

    def fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("nats-server closed the connection")
        self.buf += chunk

    def line(self):
        while b"\r\n" not in self.buf:
            self.fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def payload(self, n):
        while len(self.buf) < n + 2:
            self.fill()
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def ping(self):
        """PING, then wait for its PONG: the server has handled all before it."""
        self.send(b"PING\r\n")
        while (line := self.line()) != b"PONG":
            if line != b"PING":  # the server's own keepalive
                sys.exit(f"unexpected {line!r} while waiting for PONG")


port = int(sys.argv[1])
sub = Conn(port, "subscriber")
sub.send(b"SUB orders.* 1\r\nSUB orders.* workers 2\r\n")
sub.ping()

pub = Conn(port, "publisher")
for i in range(10):
    body = b"secret-order-" + b"x" * i  # 13..22 bytes
    pub.send(b"PUB orders.created %d\r\n%s\r\n" % (len(body), body))
headers = b"NATS/1.0\r\nTrace: abc\r\n\r\n"
for i in range(3):
    body = b"secret-paid-%d" % i
    pub.send(b"HPUB orders.paid %d %d\r\n%s%s\r\n" % (len(headers), len(headers) + len(body),
                                                     headers, body))
pub.ping()

deliveries = {"MSG": 0, "HMSG": 0}
while sum(deliveries.values()) < 26:
    words = sub.line().split()
    if words[0] == b"PING":
        sub.send(b"PONG\r\n")
        continue
    deliveries[words[0].decode()] += 1
    sub.payload(int(words[-1]))
sub.send(b"UNSUB 2\r\n")
sub.ping()

big = Conn(port, "too-big")
big.send(b"PUB toobig 2000000\r\n")
err = big.line()
if err != b"-ERR 'Maximum Payload Violation'":
    sys.exit(f"expected a max payload error, got {err!r}")
for c in (sub, pub, big):
    c.sock.close()
print(json.dumps(deliveries))
