"""The three tiers of test_traces.sh, each a threaded Python service:

  three_tier.py web PORT API_PORT             GET /order/<n> -> GET /item/<n> on the API
  three_tier.py api PORT PG_PORT REDIS_PORT   GET /item/<n> -> Redis GET item:<n>, PostgreSQL
                                              SELECT of item n, Redis SET item:<n>
  three_tier.py load WEB_PORT N THREADS       N GETs /order/<i> over THREADS keep-alive
                                              connections

Each service thread keeps its own connections (keep-alive to the API,
one PostgreSQL and one Redis connection per thread), as real services do.
Needs Debian's python3-psycopg2 and python3-redis (/usr/bin/python3)."""
import http.client
import http.server
import sys
import threading

local = threading.local()


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def server_bind(self):
        self.socket.bind(self.server_address)
        self.server_name, self.server_port = self.server_address[:2]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def reply(self, body):
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def web(port, api_port):
    class Web(Handler):
        def do_GET(self):
            n = self.path.rsplit("/", 1)[-1]
            if not hasattr(local, "api"):
                local.api = http.client.HTTPConnection("127.0.0.1", api_port)
            local.api.request("GET", f"/item/{n}")
            body = local.api.getresponse().read()
            self.reply(b"order " + body)

    Server(("127.0.0.1", port), Web).serve_forever()


def api(port, pg_port, redis_port):
    import psycopg2
    import redis

    class Api(Handler):
        def do_GET(self):
            n = int(self.path.rsplit("/", 1)[-1])
            if not hasattr(local, "pg"):
                local.pg = psycopg2.connect(host="127.0.0.1", port=pg_port, user="postgres",
                                            dbname="postgres")
                local.pg.autocommit = True
                local.redis = redis.Redis(host="127.0.0.1", port=redis_port)
            local.redis.get(f"item:{n}")
            with local.pg.cursor() as cur:
                cur.execute("SELECT name FROM items WHERE id = %s", (n % 10,))
                name = cur.fetchone()[0]
            local.redis.set(f"item:{n}", name)
            self.reply(name.encode())

    Server(("127.0.0.1", port), Api).serve_forever()


def load(web_port, n, threads):
    def worker(first):
        conn = http.client.HTTPConnection("127.0.0.1", web_port)
        for i in range(first, n, threads):
            conn.request("GET", f"/order/{i}")
            conn.getresponse().read()
        conn.close()

    ts = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


if __name__ == "__main__":
    role, args = sys.argv[1], [int(a) for a in sys.argv[2:]]
    {"web": web, "api": api, "load": load}[role](*args)
