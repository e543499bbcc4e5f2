#!/usr/bin/python3
"""An HTTP/1.1 server that accepts `Upgrade: h2c` (RFC 7540 3.2), built on
Debian's python3-h2: the upgraded request is answered on stream 1, later
requests as HTTP/2 streams. nghttpd and nginx offer h2c only with prior
knowledge, so test_http2.sh uses this against curl --http2.

Usage: h2c_upgrade_server.py PORT   (answers 200 "hello <path>" to any path
except /missing, which gets 404)."""
import socket
import sys
import threading

import h2.config
import h2.connection
import h2.events


def respond(conn, stream_id, path):
    status, body = ("404", b"") if path == "/missing" else ("200", b"hello " + path.encode())
    conn.send_headers(stream_id, [(":status", status), ("content-length", str(len(body)))])
    conn.send_data(stream_id, body, end_stream=True)


def serve(sock):
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(65536)
        if not chunk:
            return
        head += chunk
    head, rest = head.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    path = lines[0].split(" ")[1]
    fields = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:])}
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
    sock.sendall(b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n")
    conn.initiate_upgrade_connection(fields["http2-settings"])
    respond(conn, 1, path)
    sock.sendall(conn.data_to_send())
    data = rest
    while True:
        if data:
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.RequestReceived):
                    headers = dict((k.decode(), v.decode()) for k, v in event.headers)
                    respond(conn, event.stream_id, headers[":path"])
            sock.sendall(conn.data_to_send())
        data = sock.recv(65536)
        if not data:
            return


def main():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", int(sys.argv[1])))
    listener.listen(16)
    while True:
        sock, _ = listener.accept()
        threading.Thread(target=lambda s=sock: (serve(s), s.close()), daemon=True).start()


main()
