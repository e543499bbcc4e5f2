#!/usr/bin/python3
"""Records the bytes of TCP connections between a real client and server.

    record.py LISTEN_PORT SERVER_PORT OUT.txt

Relays 127.0.0.1:LISTEN_PORT to 127.0.0.1:SERVER_PORT and writes every
chunk each side sent, in the order the relay read them, as a line
"C <hex>" (client to server) or "S <hex>" (server to client). One
connection per run; exits when it closes. Used to make the recorded-bytes
fixtures of tests/unit/http2 (see README.md beside this file)."""
import select
import socket
import sys

listen_port, server_port, out_path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
lsock = socket.socket()
lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
lsock.bind(("127.0.0.1", listen_port))
lsock.listen(1)
client, _ = lsock.accept()
server = socket.create_connection(("127.0.0.1", server_port))
peer = {client: server, server: client}
tag = {client: "C", server: "S"}
with open(out_path, "w") as out:
    open_socks = [client, server]
    while open_socks:
        for s in select.select(open_socks, [], [])[0]:
            data = s.recv(65536)
            if not data:
                open_socks = []
                break
            out.write(f"{tag[s]} {data.hex()}\n")
            peer[s].sendall(data)
