#!/usr/bin/env python3
"""A raw-socket HTTP/1 server that answers whatever request it receives.

No HTTP library: it frames requests itself as RFC 9112 says a server does
(empty lines before a request skipped, any token method, any request-target
form, folded header lines, Content-Length and chunked bodies, HTTP/0.9
request lines answered with a bare body and a close), and answers each,
pipelined or not, with "HTTP/1.1 200 OK" and "<method> <target>" as body.
Bytes that are not HTTP/1 make it close the connection without a word.

usage: echo_server.py PORT
"""
import re
import socket
import sys
import threading

REQUEST_LINE = re.compile(rb"^([!#$%&'*+.^_`|~0-9A-Za-z-]+) (\S+)(?: (HTTP/1\.[0-9]))?$")


def read_request(buf):
    """Returns (method, target, version, consumed) or None when incomplete;
    raises ValueError when the bytes are not HTTP/1."""
    start = len(buf) - len(buf.lstrip(b"\r\n"))
    line_end = buf.find(b"\n", start)
    if line_end < 0:
        if len(buf) - start > 8192 or (buf[start:] and not re.match(rb"^[!#$%&'*+.^_`|~0-9A-Za-z-]", buf[start:])):
            raise ValueError("not HTTP")
        return None
    m = REQUEST_LINE.match(buf[start:line_end].rstrip(b"\r"))
    if not m:
        raise ValueError("bad request line")
    method, target, version = m.groups()
    if version is None:  # HTTP/0.9: the request is this line
        return method, target, None, line_end + 1
    head_end = re.search(rb"\r?\n\r?\n", buf[start:])
    if not head_end:
        return None
    head = buf[start:start + head_end.start()].decode("latin-1")
    head = re.sub(r"\r?\n[ \t]+", " ", head)  # obsolete line folding
    fields = {}
    for line in head.split("\n")[1:]:
        name, _, value = line.partition(":")
        fields[name.strip().lower()] = value.strip()
    pos = start + head_end.end()
    if fields.get("transfer-encoding", "").split(",")[-1].strip().lower() == "chunked":
        while True:
            nl = buf.find(b"\n", pos)
            if nl < 0:
                return None
            size = int(buf[pos:nl].split(b";")[0].strip(), 16)
            pos = nl + 1
            if size == 0:
                end = buf.find(b"\r\n\r\n", pos - 2)
                if end < 0:
                    return None
                return method, target, version, end + 4
            if len(buf) < pos + size + 2:
                return None
            pos += size + 2
    length = int(fields.get("content-length", "0") or 0)
    if len(buf) < pos + length:
        return None
    return method, target, version, pos + length


def serve(conn):
    buf = b""
    with conn:
        while True:
            data = conn.recv(65536)
            if not data:
                return
            buf += data
            while True:
                try:
                    req = read_request(buf)
                except ValueError:
                    return
                if req is None:
                    break
                method, target, version, used = req
                buf = buf[used:]
                body = method + b" " + target + b"\n"
                if version is None:
                    conn.sendall(body)
                    return
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))


def main():
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", int(sys.argv[1])))
    srv.listen(128)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
