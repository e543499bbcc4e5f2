#!/usr/bin/env python3
"""Hostile clients for test_http_hardening.sh; each prints what a user checks.

  http_attacks.py chunked PORT PATH MIB [TOKEN]  -> HTTP status of a chunked upload of MIB MiB
  http_attacks.py gzipbomb PORT PATH [TOKEN]     -> status of ~510 KB of gzip that inflates to 512 MiB
  http_attacks.py biglength PORT PATH [TOKEN]    -> "<status> <body is a JSON error>" for a 10 GB Content-Length
  http_attacks.py flood PORT N SECONDS [TOKEN]   -> holds N idle/slow connections from 127.0.0.2-9 and
                                                    prints "<slowest status ms> <connections still open>"
  http_attacks.py perclient PORT N               -> opens N idle connections from 127.0.0.10; prints how
                                                    many the server refused
"""
import select
import socket
import sys
import time
import zlib


def connect(port, source="127.0.0.1"):
    s = socket.socket()
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    return s


def head(path, token, extra):
    h = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    if token:
        h += f"Authorization: Bearer {token}\r\n"
    return (h + extra + "\r\n").encode()


def answer_of(s):
    """The server's answer (b"" if nothing): read until its Content-Length
    is in, or until it closed. Not until a close alone: a whole answer to a
    request whose body was read keeps the connection alive, and waiting for
    the server's idle timeout added ~15 s to every attack."""
    s.settimeout(30)
    data = b""
    try:
        while not answer_complete(data):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except OSError:
        pass
    s.close()
    return data


def answer_complete(data):
    """Whether data holds a whole answer with a Content-Length."""
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length" and value.strip().isdigit():
            return len(body) >= int(value)
    return False


def status_of(s):
    """The status code the server answered, or 0 if it closed without one."""
    parts = answer_of(s).split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


def send_all(s, data):
    """Sends until done, or until the server answers early (then stops, so
    the answer is read rather than lost to a reset)."""
    view = memoryview(data)
    try:
        while view:
            readable, _, _ = select.select([s], [s], [], 30)
            if readable:
                return False
            view = view[s.send(view[:65536]):]
        return True
    except OSError:
        return False


def chunked(port, path, mib, token=None):
    s = connect(port)
    send_all(s, head(path, token, "Transfer-Encoding: chunked\r\n"))
    piece = b"x" * (1 << 20)
    frame = b"%x\r\n" % len(piece) + piece + b"\r\n"
    for _ in range(int(mib)):
        if not send_all(s, frame):
            break
    else:
        send_all(s, b"0\r\n\r\n")
    return status_of(s)


def bomb():
    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = b"\0" * (1 << 20)
    out = [z.compress(zeros) for _ in range(512)]
    out.append(z.flush())
    return b"".join(out)


def gzipbomb(port, path, token=None):
    body = bomb()
    s = connect(port)
    if send_all(s, head(path, token, f"Content-Encoding: gzip\r\nContent-Length: {len(body)}\r\n")):
        send_all(s, body)
    return f"{status_of(s)} {len(body)}"


# JSON that is small gzip'ed but would be ~20x its 16 MiB as parsed nodes.
JSON_BOMBS = {
    "outside": (b'{"records": [], "x": [', b"[],", b"[]]}"),
    "inrecord": (b'{"records": [{"path": [', b"[],", b"[]]}]}"),
    "entries": (b'{"entries": [', b"{},", b"{}]}"),
    "samples": (b'{"samples": [', b"{},", b"{}]}"),
}


def jsonbomb(port, path, shape, token=None):
    """Status of a 16 MiB JSON body (16 KB gzip'ed) of the given shape."""
    start, item, end = JSON_BOMBS[shape]
    n = ((16 << 20) - len(start) - len(end) - 64) // len(item)
    body = zlib.compress(start + item * n + end, 6, wbits=31)
    s = connect(port)
    if send_all(s, head(path, token, f"Content-Encoding: gzip\r\nContent-Length: {len(body)}\r\n")):
        send_all(s, body)
    return status_of(s)


def biglength(port, path, token=None):
    """Status, and whether the body is a JSON error."""
    s = connect(port)
    send_all(s, head(path, token, "Content-Length: 10000000000\r\n"))
    data = answer_of(s)
    parts = data.split(b" ", 2)
    code = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    body = data.split(b"\r\n\r\n", 1)[-1]
    is_json_error = body.startswith(b'{"error":')
    return f"{code} {'true' if is_json_error else 'false'}"


def status_ms(port, token):
    t = time.monotonic()
    s = connect(port)
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    s.sendall(f"GET /api/v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}Connection: close\r\n\r\n".encode())
    code = status_of(s)
    ms = (time.monotonic() - t) * 1000
    return ms if code == 200 else float("inf")


def flood(port, n, seconds, token=None):
    conns = []
    for i in range(int(n)):
        s = connect(port, f"127.0.0.{2 + i % 8}")
        if i % 2:  # slow: a request line, then a header byte now and then
            s.send(b"GET /api/v1/status HTTP/1.1\r\n")
        conns.append(s)
    worst = 0.0
    deadline = time.monotonic() + float(seconds)
    while time.monotonic() < deadline:
        for s in conns[1::2]:
            try:
                s.send(b"X")
            except OSError:
                pass
        worst = max(worst, status_ms(port, token))
        time.sleep(0.5)
    open_count = 0
    for s in conns:
        s.setblocking(False)
        try:
            open_count += s.recv(1) != b""  # data would be an answer; b"" is a close
        except BlockingIOError:
            open_count += 1
        except OSError:
            pass
        s.close()
    return f"{worst:.0f} {open_count}"


def perclient(port, n):
    conns = [connect(port, "127.0.0.10") for _ in range(int(n))]
    time.sleep(1)
    refused = 0
    for s in conns:
        s.setblocking(False)
        try:
            refused += s.recv(1) == b""
        except BlockingIOError:
            pass
        except OSError:
            refused += 1
        s.close()
    return refused


if __name__ == "__main__":
    cmd, port, *rest = sys.argv[1:]
    print({"chunked": chunked, "gzipbomb": gzipbomb, "jsonbomb": jsonbomb, "biglength": biglength,
           "flood": flood, "perclient": perclient}[cmd](int(port), *rest))
