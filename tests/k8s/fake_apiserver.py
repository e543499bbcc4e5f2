#!/usr/bin/env python3
"""A fake Kubernetes API server for Loupe's tests (Python 3 stdlib only).

Serves list and watch for the resources Loupe reads, over HTTPS with a
bearer token, from fixture JSON shaped like real API objects. Tests drive it
through control endpoints (no auth needed, tests only):

  POST /_test/apply   {"resource":"pods","type":"ADDED|MODIFIED|DELETED","object":{...}}
  POST /_test/close-watches            end every open watch stream now
  POST /_test/gone    {"mode":"http"|"event","resource":"pods"(optional)}
                                       the next watch (of that resource) gets 410
  POST /_test/token   {"token":"..."}  accept only this token from now on
  POST /_test/bookmarks {"interval":0.2}  seconds between BOOKMARK events
  POST /_test/raw     {"resource":"pods","line":"not json"}  send a raw line to watchers
  GET  /_test/stats                    counters and the tokens seen

Usage: fake_apiserver.py --cert C --key K --token T --fixtures F --port-file P
"""
import argparse
import base64
import json
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RESOURCES = {
    "pods": ("/api/v1", "Pod", True),
    "services": ("/api/v1", "Service", True),
    "nodes": ("/api/v1", "Node", False),
    "events": ("/api/v1", "Event", True),
    "endpointslices": ("/apis/discovery.k8s.io/v1", "EndpointSlice", True),
    "replicasets": ("/apis/apps/v1", "ReplicaSet", True),
    "deployments": ("/apis/apps/v1", "Deployment", True),
    "statefulsets": ("/apis/apps/v1", "StatefulSet", True),
    "daemonsets": ("/apis/apps/v1", "DaemonSet", True),
    "jobs": ("/apis/batch/v1", "Job", True),
    "cronjobs": ("/apis/batch/v1", "CronJob", True),
}


class State:
    def __init__(self, fixtures, token):
        self.cond = threading.Condition()
        self.rv = 1000
        self.objects = {r: {} for r in RESOURCES}  # resource -> key -> object
        self.history = []  # (rv, resource, type, object)
        self.token = token
        self.close_gen = 0
        self.gone = None  # {"mode":..., "resource":...}
        self.bookmark_interval = 0.2
        self.stats = {"lists": {}, "pages": {}, "watches": {}, "auth_failures": 0,
                      "tokens": [], "gone_sent": 0, "watch_rvs": {}}
        for res, items in fixtures.items():
            for obj in items:
                self.store(res, "ADDED", obj, record=False)

    def key(self, obj):
        md = obj.get("metadata", {})
        return md.get("namespace", "") + "/" + md.get("name", "")

    def store(self, res, typ, obj, record=True):
        with self.cond:
            self.rv += 1
            obj = json.loads(json.dumps(obj))
            obj.setdefault("metadata", {})["resourceVersion"] = str(self.rv)
            kind = RESOURCES[res]
            obj.setdefault("kind", kind[1])
            obj.setdefault("apiVersion", kind[0].split("/", 2)[-1] if kind[0] != "/api/v1" else "v1")
            if typ == "DELETED":
                self.objects[res].pop(self.key(obj), None)
            else:
                self.objects[res][self.key(obj)] = obj
            if record:
                self.history.append((self.rv, res, typ, obj))
            self.cond.notify_all()


STATE = None


def node_match(obj, selector):
    if not selector:
        return True
    field, _, want = selector.partition("=")
    if field == "spec.nodeName":
        return obj.get("spec", {}).get("nodeName", "") == want
    return True


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet; tests read /_test/stats
        pass

    def send_json(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def status(self, code, reason, message):
        self.send_json(code, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                              "message": message, "reason": reason, "code": code})

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length) or b"{}")
        path = self.path
        st = STATE
        if path == "/_test/apply":
            st.store(body["resource"], body.get("type", "ADDED"), body["object"])
        elif path == "/_test/close-watches":
            with st.cond:
                st.close_gen += 1
                st.cond.notify_all()
        elif path == "/_test/gone":
            with st.cond:
                st.gone = body
        elif path == "/_test/token":
            with st.cond:
                st.token = body["token"]
        elif path == "/_test/bookmarks":
            with st.cond:
                st.bookmark_interval = float(body["interval"])
        elif path == "/_test/raw":
            with st.cond:
                st.history.append((st.rv, body["resource"], "RAW", body["line"]))
                st.cond.notify_all()
        else:
            return self.status(404, "NotFound", "no such control endpoint")
        self.send_json(200, {"ok": True, "resourceVersion": str(st.rv)})

    def do_GET(self):
        st = STATE
        url = urllib.parse.urlsplit(self.path)
        q = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query).items()}
        if url.path == "/_test/stats":
            with st.cond:
                return self.send_json(200, st.stats)
        auth = self.headers.get("Authorization", "")
        with st.cond:
            st.stats["tokens"].append(auth[7:] if auth.startswith("Bearer ") else "")
            if auth != "Bearer " + st.token:
                st.stats["auth_failures"] += 1
                return self.status(401, "Unauthorized", "Unauthorized")
        res = None
        for name, (prefix, _, _) in RESOURCES.items():
            if url.path == prefix + "/" + name:
                res = name
        if res is None:
            return self.status(404, "NotFound", "the server could not find the requested resource")
        if q.get("watch") in ("1", "true"):
            return self.watch(res, q)
        return self.list(res, q)

    def list(self, res, q):
        st = STATE
        with st.cond:
            items = [o for _, o in sorted(st.objects[res].items())
                     if node_match(o, q.get("fieldSelector", ""))]
            rv = str(st.rv)
            offset = 0
            if q.get("continue"):
                try:
                    offset, rv = json.loads(base64.b64decode(q["continue"]))
                except Exception:  # noqa: BLE001 - a bad token is the client's 400
                    return self.status(400, "BadRequest", "invalid continue token")
            else:
                st.stats["lists"][res] = st.stats["lists"].get(res, 0) + 1
            st.stats["pages"][res] = st.stats["pages"].get(res, 0) + 1
        limit = int(q.get("limit", "0") or 0)
        page = items[offset:offset + limit] if limit else items[offset:]
        md = {"resourceVersion": rv}
        if limit and offset + limit < len(items):
            md["continue"] = base64.b64encode(json.dumps([offset + limit, rv]).encode()).decode()
            md["remainingItemCount"] = len(items) - offset - limit
        prefix, kind, _ = RESOURCES[res]
        self.send_json(200, {"kind": kind + "List",
                             "apiVersion": "v1" if prefix == "/api/v1" else prefix[6:],
                             "metadata": md, "items": page})

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def watch(self, res, q):
        st = STATE
        since = int(q.get("resourceVersion", "0") or 0)
        timeout = float(q.get("timeoutSeconds", "300"))
        bookmarks = q.get("allowWatchBookmarks") in ("1", "true")
        selector = q.get("fieldSelector", "")
        with st.cond:
            st.stats["watches"][res] = st.stats["watches"].get(res, 0) + 1
            st.stats["watch_rvs"].setdefault(res, []).append(since)
            gone = st.gone
            if gone and gone.get("resource", res) == res:
                st.gone = None
                st.stats["gone_sent"] += 1
            else:
                gone = None
            gen = st.close_gen
        if gone and gone.get("mode") == "http":
            return self.status(410, "Expired", "too old resource version: %d" % since)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            if gone:
                err = {"type": "ERROR", "object": {"kind": "Status", "apiVersion": "v1",
                       "status": "Failure", "reason": "Expired", "code": 410,
                       "message": "too old resource version: %d" % since}}
                self.chunk(json.dumps(err).encode() + b"\n")
                self.chunk(b"")
                return
            deadline = time.time() + timeout
            next_bookmark = time.time() + st.bookmark_interval
            pos = 0
            while True:
                with st.cond:
                    out = []
                    while pos < len(st.history):
                        rv, r, typ, obj = st.history[pos]
                        pos += 1
                        if r != res or (typ != "RAW" and rv <= since):
                            continue
                        if typ == "RAW":
                            out.append(obj.encode() + b"\n")
                        elif node_match(obj, selector):
                            out.append(json.dumps({"type": typ, "object": obj}).encode() + b"\n")
                    if bookmarks and time.time() >= next_bookmark:
                        next_bookmark = time.time() + st.bookmark_interval
                        out.append(json.dumps({"type": "BOOKMARK", "object": {
                            "kind": RESOURCES[res][1], "apiVersion": "v1",
                            "metadata": {"resourceVersion": str(st.rv)}}}).encode() + b"\n")
                    closing = st.close_gen != gen or time.time() >= deadline
                    if not out and not closing:
                        # Woken by a change, a raw line or close-watches
                        # (all notify), else at the next bookmark or the end:
                        # a dozen idle watches do not poll the CPU.
                        wake = min(deadline, next_bookmark) if bookmarks else deadline
                        st.cond.wait(max(0.001, wake - time.time()))
                        continue
                for line in out:
                    self.chunk(line)
                if closing:
                    break
            if st.close_gen != gen:
                # An abrupt close, like an apiserver restart: no final chunk.
                self.close_connection = True
                self.connection.shutdown(2)
                return
            self.chunk(b"")
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            self.close_connection = True


def main():
    global STATE
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--fixtures", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    with open(args.fixtures) as f:
        STATE = State(json.load(f), args.token)

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def server_bind(self):  # skip the reverse DNS lookup HTTPServer does
            self.socket.bind(self.server_address)
            self.server_address = self.socket.getsockname()
            self.server_name, self.server_port = self.server_address[:2]

        def get_request(self):
            # TLS handshake on the handler thread, so one slow client cannot
            # stall accept().
            sock, addr = self.socket.accept()
            return self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

    srv = Server(("127.0.0.1", args.port), Handler)
    srv.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    srv.tls.load_cert_chain(args.cert, args.key)
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(args.port_file + ".tmp", args.port_file)
    try:
        srv.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
