#!/usr/bin/env python3
"""Records POST /api/v1/k8s/ingest bodies (gunzipped) as JSON lines, with the
Authorization header, for test_k8s_cluster.sh. Rejects other tokens with 401.
With --cert/--key it serves HTTPS.
Usage: ingest_sink.py --token T --out FILE --port-file P [--cert PEM --key PEM]"""
import argparse
import gzip
import json
from http.server import BaseHTTPRequestHandler, HTTPServer

ap = argparse.ArgumentParser()
ap.add_argument("--token", required=True)
ap.add_argument("--out", required=True)
ap.add_argument("--port-file", required=True)
ap.add_argument("--cert")
ap.add_argument("--key")
args = ap.parse_args()


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        ok = self.path == "/api/v1/k8s/ingest" and \
            self.headers.get("Authorization") == "Bearer " + args.token
        with open(args.out, "a") as f:
            f.write(json.dumps({"path": self.path, "auth": self.headers.get("Authorization"),
                                "accepted": ok, "body": json.loads(body)}) + "\n")
        reply = b'{"ok":true}' if ok else b'{"error":"unauthorized"}'
        self.send_response(200 if ok else 401)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)


class S(HTTPServer):
    def server_bind(self):  # no reverse DNS lookup
        self.socket.bind(self.server_address)
        self.server_address = self.socket.getsockname()
        self.server_name, self.server_port = self.server_address[:2]


srv = S(("127.0.0.1", 0), H)
if args.cert:
    import ssl
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
with open(args.port_file, "w") as f:
    f.write(str(srv.server_address[1]))
srv.serve_forever()
