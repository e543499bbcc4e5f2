"""Sustained ingest against `loupe server`: THREADS senders POST batches of
BATCH records to /api/v1/ingest for SECONDS, each record with a unique path
/ack/<sender>/<batch>/<i>. Every batch the server acknowledged (2xx) is
appended to ACKED (one "<sender>/<batch>" per line, flushed), so a test can
kill the server at any moment and then check that each acknowledged record
is in the database.

usage: ingest_client.py URL TOKEN ACKED SECONDS [THREADS] [BATCH]"""
import json
import sys
import threading
import time
import urllib.error
import urllib.request

url, token, acked_path, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
threads = int(sys.argv[5]) if len(sys.argv) > 5 else 4
batch_size = int(sys.argv[6]) if len(sys.argv) > 6 else 500
deadline = time.time() + seconds
lock = threading.Lock()
acked = open(acked_path, "a")
counts = {"acked": 0, "failed": 0}


def body(sender, batch):
    now = time.time_ns()
    records = [{
        "start_ns": now - 1_000_000, "end_ns": now, "protocol": "http1", "role": "server",
        "comm": "ackd", "pid": 4242, "local_addr": "127.0.0.1:9999",
        "remote_addr": "127.0.0.1:40000", "method": "GET",
        "path": f"/ack/{sender}/{batch}/{i}", "route": "/ack", "status": 200,
    } for i in range(batch_size)]
    return json.dumps({"records": records}).encode()


def sender(n):
    batch = 0
    while time.time() < deadline:
        req = urllib.request.Request(
            url + "/api/v1/ingest", data=body(n, batch), method="POST",
            headers={"Content-Type": "application/json", "Authorization": "Bearer " + token})
        try:
            with urllib.request.urlopen(req, timeout=30) as res:
                ok = 200 <= res.status < 300
        except (urllib.error.URLError, ConnectionError, OSError):
            ok = False
            time.sleep(0.05)
        with lock:
            if ok:
                acked.write(f"{n}/{batch}\n")
                acked.flush()
                counts["acked"] += 1
            else:
                counts["failed"] += 1
        batch += 1


workers = [threading.Thread(target=sender, args=(i,)) for i in range(threads)]
for w in workers:
    w.start()
for w in workers:
    w.join()
print(f"ingest_client: {counts['acked']} batches acknowledged, {counts['failed']} failed")
