"""A Python http.server: GET /k/<n> -> 200, /slow -> sleeps 20 ms,
/status/<code> -> that status.

Usage: http_server.py PORT [ADDRESS]  (ADDRESS defaults to 127.0.0.1)"""
import http.server
import sys
import time


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        if self.path == "/slow":
            time.sleep(0.02)
        body = b"hello\n"
        status = int(self.path[8:11]) if self.path.startswith("/status/") else 200
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Server(http.server.ThreadingHTTPServer):
    def server_bind(self):
        # Skip the reverse DNS lookup HTTPServer does at bind.
        self.socket.bind(self.server_address)
        self.server_name, self.server_port = self.server_address[:2]


Server((sys.argv[2] if len(sys.argv) > 2 else "127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
