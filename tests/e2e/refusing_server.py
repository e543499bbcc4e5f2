"""A stand-in Loupe server that refuses every ingest batch with 400 and
appends the number of records of each JSON batch it was sent to LOG, one
line per POST (so a batch sent twice shows twice). A batch in the binary
form (application/vnd.loupe.batch+zstd) is refused with 400 too, as a
server from before that form does, and counted as one line in LOG.codec:
the agent then sends the same batch as JSON. Stats reports get 200.

usage: refusing_server.py PORT LOG
"""
import gzip
import http.server
import json
import sys

LOG = open(sys.argv[2], "a", buffering=1)
CODEC_LOG = open(sys.argv[2] + ".codec", "a", buffering=1)
BATCH_CODEC = "application/vnd.loupe.batch+zstd"


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        if self.path == "/api/v1/ingest" and self.headers.get("Content-Type", "").startswith(BATCH_CODEC):
            CODEC_LOG.write("1\n")
            self.reply(400, b'{"error":"body: not JSON","parameter":"body"}')
        elif self.path == "/api/v1/ingest":
            LOG.write("%d\n" % len(json.loads(body)["records"]))
            self.reply(400, b'{"error":"records[0]: refused by the test"}')
        else:
            self.reply(200, b'{"ok":true}')

    def reply(self, status, body):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
