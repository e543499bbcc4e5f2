"""A small shop for the browser test: what an on-call engineer would look at.

  shop_workload.py payments PORT INCIDENT_FILE
      the flaky dependency: POST /charge answers 200, or 503 for 3% of
      calls; while INCIDENT_FILE exists, 35% fail and every call takes
      100 ms longer.
  shop_workload.py app PORT PG_PORT REDIS_PORT PAYMENTS_PORT
      the service: GET /products/<id> (PostgreSQL + Redis cache),
      GET /cart/<id> (Redis), POST /checkout (PostgreSQL INSERT, then
      payments; 502 when payments fails), GET /report (a 1.5 s SQL
      report: the slowest request by far, even when a loaded machine
      delays the client's other requests), GET /health.
  shop_workload.py load APP_PORT SECONDS INCIDENT_FILE FACTS_JSON
      drives the app at ~20 req/s: baseline, then an incident (the
      incident file exists) for the middle third, with one /report in it,
      then baseline again. No request starts within 0.3 s of a minute
      boundary, so each lands in the minute the generator counts it in.
      Writes what it saw (requests, 5xx per minute start, the slowest
      request) to FACTS_JSON.

Run with Debian's /usr/bin/python3 (python3-psycopg2, python3-redis).
"""
import http.client
import http.server
import json
import os
import random
import socketserver
import sys
import threading
import time


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status, body=b"{}"):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""


def payments(port, incident_file):
    class Payments(Handler):
        def do_POST(self):
            self.body()
            incident = os.path.exists(incident_file)
            time.sleep(0.004 + (0.1 if incident else 0))
            self.send(503 if random.random() < (0.35 if incident else 0.03) else 200)

    Server(("127.0.0.1", port), Payments).serve_forever()


def app(port, pg_port, redis_port, payments_port):
    import psycopg2
    import redis

    local = threading.local()

    def db():
        if not hasattr(local, "pg"):
            local.pg = psycopg2.connect(host="127.0.0.1", port=pg_port, user="postgres", dbname="postgres")
            local.pg.autocommit = True
            local.cache = redis.Redis(host="127.0.0.1", port=redis_port)
            local.pay = http.client.HTTPConnection("127.0.0.1", payments_port, timeout=10)
        return local.pg.cursor(), local.cache

    setup = psycopg2.connect(host="127.0.0.1", port=pg_port, user="postgres", dbname="postgres")
    setup.autocommit = True
    cur = setup.cursor()
    cur.execute("CREATE TABLE IF NOT EXISTS products(id int PRIMARY KEY, name text, price int)")
    cur.execute("CREATE TABLE IF NOT EXISTS orders(id serial PRIMARY KEY, product int, amount int)")
    cur.execute("INSERT INTO products SELECT g, 'product ' || g, g * 100 FROM generate_series(1, 50) g "
                "ON CONFLICT DO NOTHING")
    setup.close()

    class App(Handler):
        def do_GET(self):
            cur, cache = db()
            parts = self.path.split("?")[0].strip("/").split("/")
            if parts[0] == "products" and len(parts) == 2:
                pid = int(parts[1])
                if cache.get(f"product:{pid}") is None:
                    cur.execute("SELECT id, name, price FROM products WHERE id = %s", (pid,))
                    cache.set(f"product:{pid}", json.dumps(cur.fetchone()), ex=2)
                return self.send(200)
            if parts[0] == "cart" and len(parts) == 2:
                cache.hgetall(f"cart:{parts[1]}")
                return self.send(200)
            if parts[0] == "report":
                cur.execute("SELECT pg_sleep(1.5), count(*) FROM orders")
                cur.fetchall()
                return self.send(200)
            if parts[0] == "health":
                return self.send(200)
            self.send(404)

        def do_POST(self):
            self.body()
            cur, _ = db()
            cur.execute("INSERT INTO orders(product, amount) VALUES (%s, %s)",
                        (random.randint(1, 50), random.randint(1, 5)))
            try:
                local.pay.request("POST", "/charge", body=b"{}", headers={"Content-Type": "application/json"})
                resp = local.pay.getresponse()
                resp.read()
                ok = resp.status == 200
            except OSError:
                local.pay = http.client.HTTPConnection("127.0.0.1", payments_port, timeout=10)
                ok = False
            self.send(201 if ok else 502)

    Server(("127.0.0.1", port), App).serve_forever()


def load(app_port, seconds, incident_file, facts_path):
    lock = threading.Lock()
    facts = {"requests": 0, "errors_by_minute": {}, "requests_by_minute": {}, "slowest": None,
             "incident_from": None, "incident_to": None}
    start = time.time()
    incident_from, incident_to = start + seconds / 3, start + 2 * seconds / 3
    report_at = incident_from + seconds / 9

    def clear_of_minute_boundary():
        s = time.time() % 60
        if s > 59.7:
            time.sleep(60.3 - s)
        elif s < 0.3:
            time.sleep(0.3 - s)

    def one(conn, method, path):
        clear_of_minute_boundary()
        t0 = time.time()
        conn.request(method, path, body=b"{}" if method == "POST" else None,
                     headers={"Content-Type": "application/json"} if method == "POST" else {})
        resp = conn.getresponse()
        resp.read()
        took = time.time() - t0
        minute = str(int(t0 // 60 * 60))
        with lock:
            facts["requests"] += 1
            facts["requests_by_minute"][minute] = facts["requests_by_minute"].get(minute, 0) + 1
            if resp.status >= 500:
                facts["errors_by_minute"][minute] = facts["errors_by_minute"].get(minute, 0) + 1
            if facts["slowest"] is None or took > facts["slowest"]["seconds"]:
                facts["slowest"] = {"method": method, "path": path, "seconds": took, "start": t0}

    def worker(n):
        rng = random.Random(n)
        conn = http.client.HTTPConnection("127.0.0.1", app_port, timeout=30)
        next_at = time.time()
        while time.time() < start + seconds:
            r = rng.random()
            if r < 0.45:
                one(conn, "GET", f"/products/{rng.randint(1, 50)}")
            elif r < 0.65:
                one(conn, "GET", f"/cart/{rng.randint(1, 20)}")
            elif r < 0.95:
                one(conn, "POST", "/checkout")
            else:
                one(conn, "GET", "/health")
            next_at += 0.2  # 5 req/s per worker
            time.sleep(max(0, next_at - time.time()))

    def incident():
        time.sleep(max(0, incident_from - time.time()))
        open(incident_file, "w").close()
        facts["incident_from"] = time.time()
        time.sleep(max(0, report_at - time.time()))
        one(http.client.HTTPConnection("127.0.0.1", app_port, timeout=30), "GET", "/report")
        time.sleep(max(0, incident_to - time.time()))
        os.remove(incident_file)
        facts["incident_to"] = time.time()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    threads.append(threading.Thread(target=incident))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with open(facts_path, "w") as f:
        json.dump(facts, f, indent=1)


if __name__ == "__main__":
    what, args = sys.argv[1], sys.argv[2:]
    if what == "payments":
        payments(int(args[0]), args[1])
    elif what == "app":
        app(*map(int, args))
    elif what == "load":
        load(int(args[0]), float(args[1]), args[2], args[3])
    else:
        sys.exit(__doc__)
