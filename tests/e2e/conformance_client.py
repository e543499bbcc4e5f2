#!/usr/bin/env python3
"""Sends the HTTP/1 conformance cases of issue 23 to echo_server.py.

Each case goes on its own connection twice: in one send(), and one byte
per send() (a pause after each, so the server's reads are one byte too).
Then one connection carries every pipelinable case in one write, and
GARBAGE connections send bytes that are no protocol at all.
The case's path (or host for '*' and authority forms) names it:
/c/<case>/<whole|bytes>.

usage: conformance_client.py PORT GARBAGE
"""
import errno
import socket
import sys
import time

TOKEN_METHODS = ["LINK", "UNLINK", "SOURCE", "QUERY", "M-SEARCH", "PROPFIND", "MKCOL",
                 "REPORT", "SEARCH", "X_PRIVATE.v2"]


def cases(variant):
    p = lambda name: "/c/%s/%s" % (name, variant)
    out = [(m, "%s %s HTTP/1.1\r\nHost: h\r\n\r\n" % (m, p(m))) for m in TOKEN_METHODS]
    out += [
        ("absolute", "GET http://origin.example%s HTTP/1.1\r\nHost: x\r\n\r\n" % p("absolute")),
        ("asterisk", "OPTIONS * HTTP/1.1\r\nHost: %s\r\n\r\n" % variant),
        ("leading-crlf", "\r\n\r\nGET %s HTTP/1.1\r\nHost: h\r\n\r\n" % p("leading-crlf")),
        ("http10", "GET %s HTTP/1.0\r\n\r\n" % p("http10")),
        ("obs-fold", "POST %s HTTP/1.1\r\nHost: h\r\nX-Folded: a\r\n b\r\n"
                     "Content-Length: 3\r\n\r\nabc" % p("obs-fold")),
        ("chunked-fold", "POST %s HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip,\r\n chunked\r\n\r\n"
                         "3\r\nabc\r\n0\r\n\r\n" % p("chunked-fold")),
        ("authority", "CONNECT %s.example:443 HTTP/1.1\r\nHost: h\r\n\r\n" % variant),
        ("http09", "GET %s\r\n\r\n" % p("http09")),
    ]
    return out


def exchange(port, data, bytewise):
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        if bytewise:
            for b in data:
                s.send(bytes([b]))
                time.sleep(0.001)
        else:
            s.sendall(data)
        s.shutdown(socket.SHUT_WR)
    except (BrokenPipeError, ConnectionResetError):
        pass  # an HTTP/0.9 answer (or a refusal) closes before the trailing bytes
    except OSError as e:
        # The same, when the reset came before shutdown(): not connected.
        if e.errno != errno.ENOTCONN:
            raise
    s.settimeout(5)
    try:
        # Peeks (curl peeks a byte before reusing a connection) leave the bytes
        # queued: the tracer must not see them twice.
        s.recv(1, socket.MSG_PEEK)
        s.recvmsg(4, 0, socket.MSG_PEEK)
    except ConnectionResetError:
        pass
    got = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        got += chunk
    s.close()
    return got


def main():
    port, garbage = int(sys.argv[1]), int(sys.argv[2])
    for variant, bytewise in (("whole", False), ("bytes", True)):
        for name, req in cases(variant):
            if not exchange(port, req.encode(), bytewise):
                sys.exit("no answer to " + name)
    pipelined = "".join(r for n, r in cases("pipelined") if n not in ("authority", "http09"))
    exchange(port, pipelined.encode(), False)
    for _ in range(garbage):
        exchange(port, b"\x80\x81\x82\x83 not a protocol \x00\xff", False)


if __name__ == "__main__":
    main()
