#!/usr/bin/env bash
# Data hardening end to end: bytes a client sends cannot break the API,
# agent batches are checked, names are capped, query strings are masked.
#  - `loupe run` watching a real nginx: `GET /poison\xff`, a 2,000-byte
#    UTF-8 path, query strings, 40 distinct routes against a cap of 10;
#    /api/v1/endpoints and /api/v1/requests answer 200 with valid JSON,
#    routes stop at 10 plus {other}, `?q=secret` is stored as `?q=?`.
#  - `loupe server`: a crafted ingest batch (too many records, a 5 MB path,
#    a record dated 2200) is refused or dropped and counted in /api/v1/status.
source "$(dirname "$0")/lib.sh"
require_root

NGINX_PORT=$(free_port)
API_PORT=$(free_port)
SRV_PORT=$(free_port)
API="http://127.0.0.1:$API_PORT"
SRV="http://127.0.0.1:$SRV_PORT"

start_nginx "$NGINX_PORT"
"$LOUPE" run --listen "127.0.0.1:$API_PORT" --data-dir "$WORK/run-data" --port "$NGINX_PORT" \
  --max-routes-per-service 10 > "$WORK/run.out" 2> "$WORK/run.err" &
PIDS+=($!)
for i in $(seq 1 150); do
  grep -q "Loupe is running" "$WORK/run.out" 2>/dev/null && break
  sleep 0.1
done
grep -q "Loupe is running" "$WORK/run.out" || { cat "$WORK/run.err"; fail "loupe run did not start"; finish; }

log "traffic: /poison\\xff, a 2,000-byte UTF-8 path, query strings, 40 routes"
# curl would escape the byte; send the raw request line.
python3 - "$NGINX_PORT" <<'PY'
import socket, sys
port = int(sys.argv[1])
def raw(target: bytes):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    while s.recv(65536):
        pass
    s.close()
raw(b"/poison\xff")
raw(("/" + "\u00e9\u20ac" * 400).encode())  # 2,001 bytes of 2- and 3-byte characters
raw(b"/a?q=secret-query&page=2")
for i in range(40):
    raw(b"/w/" + bytes([97 + i // 26, 97 + i % 26]) + b"zz")
PY
SVC="nginx:$NGINX_PORT"
for i in $(seq 1 100); do
  [[ $(curl -s "$API/api/v1/requests?limit=1000" | jq '[.[] | select(.role=="server")] | length' 2>/dev/null) -ge 43 ]] && break
  sleep 0.2
done

code=$(curl -s -o "$WORK/endpoints.json" -w '%{http_code}' "$API/api/v1/endpoints")
assert_eq "/api/v1/endpoints status" 200 "$code"
jq -e . "$WORK/endpoints.json" >/dev/null && pass "endpoints is valid JSON" || fail "endpoints JSON"
/usr/bin/python3 -c 'import sys; open(sys.argv[1], "rb").read().decode("utf-8")' "$WORK/endpoints.json" &&
  pass "endpoints is valid UTF-8" || fail "endpoints has bytes that are not UTF-8"
code=$(curl -s -o "$WORK/requests.json" -w '%{http_code}' "$API/api/v1/requests?limit=1000")
assert_eq "/api/v1/requests status" 200 "$code"
/usr/bin/python3 -c 'import sys; open(sys.argv[1], "rb").read().decode("utf-8")' "$WORK/requests.json" &&
  pass "requests is valid UTF-8" || fail "requests has bytes that are not UTF-8"
assert_eq "the poison byte became U+FFFD" 1 \
  "$(jq '[.[] | select(.role=="server" and .path=="/poison\ufffd")] | length' "$WORK/requests.json")"
long=$(jq -r '[.[] | select(.role=="server" and (.path|startswith("/\u00e9")))][0].path' "$WORK/requests.json")
assert_le "long path cut to the HTTP limit (bytes)" 1024 "$(printf %s "$long" | wc -c)"
assert_ge "long path kept up to the limit (bytes)" 1020 "$(printf %s "$long" | wc -c)"
assert_eq "long path ends on a whole character" 0 "$(printf %s "$long" | grep -c $'\uFFFD' || true)"
assert_eq "query values masked" '"/a?q=?&page=?"' \
  "$(jq '[.[] | select(.role=="server" and (.path|startswith("/a?")))][0].path' "$WORK/requests.json")"
assert_eq "the query value is stored nowhere" 0 "$(grep -c secret-query "$WORK/requests.json" || true)"
routes=$(jq -r "[.[] | select(.service==\"$SVC\") | .route] | unique" "$WORK/endpoints.json")
assert_eq "routes of $SVC capped at 10 plus {other}" 11 "$(jq length <<<"$routes")"
assert_eq "{other} among them" true "$(jq 'index("{other}") != null' <<<"$routes")"
assert_eq "requests of $SVC all counted (43 sent)" 43 \
  "$(jq "[.[] | select(.service==\"$SVC\") | .requests] | add" "$WORK/endpoints.json")"
assert_eq "endpoints?limit=3" 3 "$(curl -s "$API/api/v1/endpoints?limit=3" | jq length)"

log "loupe server: crafted agent batches"
"$LOUPE" server --listen "127.0.0.1:$SRV_PORT" --data-dir "$WORK/srv-data" --retention 1h \
  > "$WORK/srv.out" 2> "$WORK/srv.err" &
PIDS+=($!)
wait_for_port "$SRV_PORT"
/usr/bin/python3 - "$WORK" <<'PY'
import gzip, json, sys, time
work = sys.argv[1]
now = time.time_ns()
def rec(**kw):
    r = {"start_ns": now - 10**9, "end_ns": now - 10**9 + 10**6, "protocol": "http1",
         "role": "server", "comm": "app", "local_addr": "10.9.9.9:80",
         "remote_addr": "10.9.9.8:4000", "method": "GET", "path": "/ok", "route": "/ok",
         "status": 200}
    r.update(kw)
    return r
# 1,000,000 empty records: a few KB of gzip.
with open(f"{work}/million.json.gz", "wb") as f:
    f.write(gzip.compress(b'{"records":[' + b",".join([b"{}"] * 1_000_000) + b"]}"))
year_2200 = 7_258_118_400 * 10**9
batch = {"records": [rec(), rec(path="/" + "a" * (5 << 20)),
                     rec(start_ns=year_2200, end_ns=year_2200 + 1),
                     rec(start_ns=now - 7200 * 10**9, end_ns=now - 7200 * 10**9 + 1)]}
with open(f"{work}/crafted.json", "w") as f:
    json.dump(batch, f)
PY
assert_le "the million-record body is small" 10000 "$(stat -c %s "$WORK/million.json.gz")"
code=$(curl -s -o "$WORK/million.out" -w '%{http_code}' -H 'Content-Encoding: gzip' \
  -H 'Content-Type: application/json' --data-binary "@$WORK/million.json.gz" "$SRV/api/v1/ingest")
assert_eq "a million records in one batch is 413" 413 "$code"
assert_eq "the 413 says the cap" 50000 "$(jq .max_records "$WORK/million.out")"
code=$(curl -s -o "$WORK/crafted.out" -w '%{http_code}' -H 'Content-Type: application/json' \
  --data-binary "@$WORK/crafted.json" "$SRV/api/v1/ingest")
assert_eq "crafted batch answered" 200 "$code"
assert_eq "accepted / rejected" "1 3" "$(jq -r '"\(.accepted) \(.rejected)"' "$WORK/crafted.out")"
status=$(curl -s "$SRV/api/v1/status")
assert_eq "status: batches too large" 1 "$(jq .ingest_rejected.batches_too_large <<<"$status")"
assert_eq "status: oversize records" 1 "$(jq .ingest_rejected.records_oversize_field <<<"$status")"
assert_eq "status: records out of the time window" 2 "$(jq .ingest_rejected.records_bad_time <<<"$status")"
for i in $(seq 1 50); do
  [[ $(curl -s "$SRV/api/v1/requests?limit=10" | jq length) -ge 1 ]] && break
  sleep 0.1
done
assert_eq "only the good record is stored" '["/ok"]' "$(curl -s "$SRV/api/v1/requests?limit=10" | jq -c '[.[].path]')"
assert_le "the 5 MB path left no trace in the store (MB)" 5 \
  "$(du -sm "$WORK/srv-data" | cut -f1)"
finish
