"""Speaks just enough of the PostgreSQL protocol (trust auth) to send one
simple Query message in small pieces, each its own TCP segment and syscall,
then prints the CommandComplete tag.

    pg_pieces.py HOST PORT USER DB QUERY PIECE_BYTES
"""
import socket
import struct
import sys
import time

host, port, user, db, query, piece = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6])
s = socket.create_connection((host, port))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def read_msg():
    head = b""
    while len(head) < 5:
        head += s.recv(5 - len(head))
    t, n = head[:1], struct.unpack("!I", head[1:])[0] - 4
    body = b""
    while len(body) < n:
        body += s.recv(n - len(body))
    return t, body


params = b"user\0" + user.encode() + b"\0database\0" + db.encode() + b"\0\0"
s.sendall(struct.pack("!II", 8 + len(params), 196608) + params)
while True:
    t, body = read_msg()
    if t == b"E":
        sys.exit("startup error: " + body.decode(errors="replace"))
    if t == b"Z":
        break
time.sleep(0.1)  # a pooled connection's backend outlives its first query
q = query.encode() + b"\0"
msg = b"Q" + struct.pack("!I", 4 + len(q)) + q
for i in range(0, len(msg), piece):
    s.sendall(msg[i:i + piece])
    time.sleep(0.002)
tag = None
while True:
    t, body = read_msg()
    if t == b"C":
        tag = body.rstrip(b"\0").decode()
    if t == b"E":
        sys.exit("query error: " + body.decode(errors="replace"))
    if t == b"Z":
        break
s.sendall(b"X\0\0\0\4")
s.close()
print(tag)
