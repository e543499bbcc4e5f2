"""An HTTP receiver for alert notifications on loopback.

usage: alert_receiver.py PORT MODE LOG
MODE ok: answer 200; fail: answer 500; hang: never answer within 60 s.
Each POST is appended to LOG as one JSON line {"path": ..., "body": ...}.
"""
import http.server
import json
import sys
import time

PORT, MODE, LOG = int(sys.argv[1]), sys.argv[2], sys.argv[3]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(LOG, "a") as f:
            f.write(json.dumps({"path": self.path, "body": json.loads(body)}) + "\n")
        if MODE == "hang":
            time.sleep(60)
        status = 500 if MODE == "fail" else 200
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
