"""Hostile and odd clients against a server on loopback, for the bad-input test.

usage: bad_clients.py PORT IDLE_CONNECTIONS
"""
import os
import random
import socket
import sys
import time

port, idle = int(sys.argv[1]), int(sys.argv[2])
addr = ("127.0.0.1", port)

# Random bytes (not HTTP at all).
for _ in range(20):
    s = socket.create_connection(addr)
    s.sendall(random.randbytes(random.randint(1, 4096)))
    s.close()

# A 10 MiB header.
s = socket.create_connection(addr)
try:
    s.sendall(b"GET /a HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (10 << 20) + b"\r\n\r\n")
    s.recv(4096)
except OSError:
    pass
s.close()

# Half a request, then hang (closed at exit).
hung = socket.create_connection(addr)
hung.sendall(b"GET /a HTTP/1.1\r\nHost: x\r\nX-Half: ")

# Many idle connections.
sockets = []
for _ in range(idle):
    sockets.append(socket.create_connection(addr))

# A process that exits mid-request.
pid = os.fork()
if pid == 0:
    c = socket.create_connection(addr)
    c.sendall(b"POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\npartial")
    os._exit(0)
os.waitpid(pid, 0)

time.sleep(1)
for s in sockets:
    s.close()
hung.close()
