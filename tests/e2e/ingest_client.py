"""Sustained ingest against `loupe server`: THREADS senders POST batches of
BATCH records to /api/v1/ingest for SECONDS, each record with a unique path
/ack/<sender>/<batch>/<i>. Every batch the server acknowledged (2xx) is
appended to ACKED (one "<sender>/<batch>" per line, flushed), so a test can
kill the server at any moment and then check that each acknowledged record
is in the database.

With --keyed AGENT PORT, as an agent sends: every batch carries a key
({"agent": "AGENT-<sender>", "seq": n}) and is sent again, the same body
and key, until acknowledged (up to 60 s past SECONDS), ten batches a
second per sender (an agent sends one about every second), so in the end every
batch is acknowledged once and the server must store each exactly once;
records come from comm AGENT on 127.0.0.1:PORT, paths
/ack/AGENT-<sender>/<batch>/<i>. URL may name several servers
(comma-separated): sender n starts with the n-th and moves to the next
after a failure.

usage: ingest_client.py URL[,URL...] TOKEN ACKED SECONDS [THREADS] [BATCH] [--keyed AGENT PORT]"""
import json
import sys
import threading
import time
import urllib.error
import urllib.request

args = sys.argv[1:]
keyed = None
if "--keyed" in args:
    at = args.index("--keyed")
    keyed = (args[at + 1], int(args[at + 2]))
    del args[at:at + 3]
urls, token, acked_path, seconds = args[0].split(","), args[1], args[2], float(args[3])
threads = int(args[4]) if len(args) > 4 else 4
batch_size = int(args[5]) if len(args) > 5 else 500
deadline = time.time() + seconds
give_up = deadline + 60
lock = threading.Lock()
acked = open(acked_path, "a")
counts = {"acked": 0, "failed": 0}


def body(sender, batch):
    now = time.time_ns()
    comm, port, name = "ackd", 9999, str(sender)
    if keyed:
        comm, port, name = keyed[0], keyed[1], f"{keyed[0]}-{sender}"
    records = [{
        "start_ns": now - 1_000_000, "end_ns": now, "protocol": "http1", "role": "server",
        "comm": comm, "pid": 4242, "local_addr": f"127.0.0.1:{port}",
        "remote_addr": "127.0.0.1:40000", "method": "GET",
        "path": f"/ack/{name}/{batch}/{i}", "route": "/ack", "status": 200,
    } for i in range(batch_size)]
    doc = {"records": records}
    if keyed:
        doc["batch"] = {"agent": name, "seq": batch + 1}
    return json.dumps(doc).encode()


def post(url, data):
    req = urllib.request.Request(
        url + "/api/v1/ingest", data=data, method="POST",
        headers={"Content-Type": "application/json", "Authorization": "Bearer " + token})
    try:
        with urllib.request.urlopen(req, timeout=30) as res:
            return 200 <= res.status < 300
    except (urllib.error.URLError, ConnectionError, OSError):
        time.sleep(0.05)
        return False


def sender(n):
    batch = 0
    server = n % len(urls)
    while time.time() < deadline:
        data = body(n, batch)
        ok = post(urls[server], data)
        while keyed and not ok and time.time() < give_up:
            with lock:
                counts["failed"] += 1
            server = (server + 1) % len(urls)
            time.sleep(0.1)
            ok = post(urls[server], data)
        with lock:
            if ok:
                acked.write(f"{n}/{batch}\n")
                acked.flush()
                counts["acked"] += 1
            else:
                counts["failed"] += 1
        batch += 1
        if keyed:
            time.sleep(0.1)


workers = [threading.Thread(target=sender, args=(i,)) for i in range(threads)]
for w in workers:
    w.start()
for w in workers:
    w.join()
print(f"ingest_client: {counts['acked']} batches acknowledged, {counts['failed']} failed")
