#!/usr/bin/python3
"""A memcached workload with known outcomes, for test_memcached.sh.

Classic text commands through pymemcache (Debian's python3-pymemcache) on
one connection, then meta commands over a raw socket on another (pymemcache
does not speak the meta protocol). Prints memcached's own counters, read
with `stats` before the meta commands, as JSON on stdout.

    memcached_client.py PORT
"""
import json
import socket
import sys

from pymemcache.client.base import Client
from pymemcache.exceptions import MemcacheClientError

port = int(sys.argv[1])
mc = Client(("127.0.0.1", port), default_noreply=False)

for i in range(1, 6):  # 5 SET, STORED
    mc.set(f"user:{i}", f"secret-value-{i}")
for i in range(1, 4):  # 3 SET noreply
    mc.set(f"sess:{i}", "secret-session", noreply=True)
for i in range(7):  # 7 GET: user:1..6 then user:1; user:6 misses
    mc.get(f"user:{i % 6 + 1}")
# One multi-get of three keys, two of them present.
assert len(mc.get_many(["user:1", "user:2", "user:404"])) == 2
mc.set("counter", "10")  # SET, STORED
for _ in range(3):  # 3 INCR hits
    mc.incr("counter", 1)
assert mc.incr("nocounter", 1) is None  # INCR miss
try:  # INCR of a non-numeric value: CLIENT_ERROR
    mc.incr("user:1", 1)
    sys.exit("incr of a string succeeded")
except MemcacheClientError:
    pass
assert mc.delete("user:5")  # DELETE hit
assert not mc.delete("nope")  # DELETE miss
big = "x" * 204800  # larger than the captured prefix of a syscall
mc.set("big", big)  # SET, STORED
assert mc.get("big") == big.encode()  # GET hit
stats = {k.decode(): v for k, v in mc.stats().items()}  # STATS
mc.close()

# Meta commands: MS (HD), MG hit, MG miss, MD (HD), MN.
s = socket.create_connection(("127.0.0.1", port))
s.sendall(b"ms meta:1 5 T0\r\nhello\r\nmg meta:1 v\r\nmg meta:none v\r\nmd meta:1\r\nmn\r\n")
reply = b""
while not reply.endswith(b"MN\r\n"):
    chunk = s.recv(4096)
    if not chunk:
        sys.exit("memcached closed the meta connection")
    reply += chunk
s.close()
if reply != b"HD\r\nVA 5\r\nhello\r\nEN\r\nHD\r\nMN\r\n":
    sys.exit(f"unexpected meta replies: {reply!r}")

keys = ("cmd_get", "get_hits", "get_misses", "cmd_set", "delete_hits", "delete_misses",
        "incr_hits", "incr_misses")
print(json.dumps({k: int(stats[k]) for k in keys}))
