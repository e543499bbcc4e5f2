#!/usr/bin/env python3
"""Three agent batches of 1,000 server records, as `loupe agent` posts them.

agent_batches.py DIR AGENT

Writes DIR/batch{1,2,3}.json: api:9000 (pid 900) serving GET /items/{seq}/{i}
under two routes, /items/{id} and /health, with every 10th record a failing
500 and durations of 1..50 ms, starting five seconds ago. The ClickHouse
end-to-end tests post them and expect exactly these counts back.
"""
import json
import sys
import time


def main():
    directory, agent = sys.argv[1], sys.argv[2]
    now = time.time_ns() - 5_000_000_000
    for seq in (1, 2, 3):
        recs = []
        for i in range(1000):
            start = now + seq * 1_000_000_000 + i * 100_000
            recs.append({"start_ns": start, "end_ns": start + (1 + i % 50) * 1_000_000,
                         "protocol": "http1", "role": "server", "comm": "api", "pid": 900,
                         "local_addr": "127.0.0.1:9000", "remote_addr": "127.0.0.1:41000",
                         "method": "GET", "path": f"/items/{seq}/{i}",
                         "route": "/items/{id}" if i % 2 else "/health",
                         "status": 500 if i % 10 == 0 else 200, "error": i % 10 == 0})
        with open(f"{directory}/batch{seq}.json", "w") as out:
            json.dump({"batch": {"agent": agent, "seq": seq}, "records": recs}, out)


if __name__ == "__main__":
    main()
