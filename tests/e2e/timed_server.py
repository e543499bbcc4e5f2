"""HTTP server that logs its own view of each request's latency.

GET /a   -> 200 after a delay drawn uniformly from 1-9 ms
POST /b  -> 201 after 2 ms
GET /c   -> 500 after 40 ms
Each request appends "<method> <path> <status> <duration_ns>" to LOG, where
duration runs from the moment the request line was read to the moment the
response was written: the same span Loupe measures on the server side.

usage: timed_server.py PORT LOG
"""
import http.server
import random
import sys
import time

LOG = open(sys.argv[2], "a", buffering=1)
DELAYS = {("GET", "/a"): None, ("POST", "/b"): 0.002, ("GET", "/c"): 0.040}
STATUS = {("GET", "/a"): 200, ("POST", "/b"): 201, ("GET", "/c"): 500}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # The headers and the body are two writes: with Nagle's algorithm the
    # body waited for the client's delayed ACK of the headers, 40 ms on a
    # kept-alive connection, so a 5 ms GET /a took ~50 ms at the client
    # (450 requests of mix_client.py: 24 s instead of ~4). The server-side
    # span (request line read to the last write) is the same either way.
    disable_nagle_algorithm = True

    def handle_one_request(self):
        self.raw_requestline = self.rfile.readline(65537)
        self.t0 = time.perf_counter_ns()
        if not self.raw_requestline:
            self.close_connection = True
            return
        if not self.parse_request():
            return
        getattr(self, "do_" + self.command)()
        self.wfile.flush()

    def respond(self):
        key = (self.command, self.path)
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        delay = DELAYS.get(key, 0)
        time.sleep(random.uniform(0.001, 0.009) if delay is None else delay)
        body = b"ok\n"
        status = STATUS.get(key, 404)
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        LOG.write(f"{self.command} {self.path} {status} {time.perf_counter_ns() - self.t0}\n")

    do_GET = respond
    do_POST = respond

    def log_message(self, *args):
        pass


class Server(http.server.HTTPServer):
    def server_bind(self):
        self.socket.bind(self.server_address)
        self.server_name, self.server_port = self.server_address[:2]


Server(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
