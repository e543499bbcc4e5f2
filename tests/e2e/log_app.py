"""HTTP server that logs each request to a file the way an application does
(Python's logging: time, level, message; a traceback for a failure), with
the request's W3C trace id when it carries one.

GET /order/<n> -> 200, logs "INFO order <n> served trace_id=<id>"
GET /boom/<n>  -> 500, logs "ERROR order <n> failed trace_id=<id>" and its traceback
usage: log_app.py PORT LOGFILE
"""
import http.server
import logging
import sys

logging.basicConfig(filename=sys.argv[2], level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
log = logging.getLogger("app")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        parts = self.path.strip("/").split("/")
        n = parts[1] if len(parts) > 1 else "0"
        tp = (self.headers.get("traceparent") or "").split("-")
        trace = f" trace_id={tp[1]}" if len(tp) == 4 else ""
        if parts[0] == "boom":
            try:
                raise RuntimeError(f"payment declined for order {n}")
            except RuntimeError:
                log.exception("order %s failed%s", n, trace)
            status = 500
        else:
            log.info("order %s served%s", n, trace)
            status = 200
        body = b"ok\n"
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
