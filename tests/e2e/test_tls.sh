#!/usr/bin/env bash
# TLS through the OpenSSL uprobes: HTTPS served by nginx and made by curl,
# `openssl s_client`, Python's ssl and a statically linked client must show
# up as ordinary HTTP records with tls == true, with exact counts, no
# ciphertext records, and server latency consistent with nginx's own
# $request_time. A TLS server started before the agent and one after it.
# An OpenSSL Loupe cannot probe (a stripped static client; a libssl without
# the SSL_* symbols) must keep working and be reported, not decoded.
source "$(dirname "$0")/lib.sh"
require_root
for tool in nginx curl openssl python3 jq gcc; do
  command -v "$tool" > /dev/null || { echo "SKIP: $tool not installed"; exit 0; }
done

source "$(dirname "$0")/tls/nginx_tls.sh"
make_cert

# Clients built here: OpenSSL linked statically, with and without symbols.
src=$(dirname "$0")/tls/static_client.c
gcc -O1 -o "$WORK/static_client" "$src" -Wl,-Bstatic -lssl -lcrypto -Wl,-Bdynamic -lpthread -ldl
cp "$WORK/static_client" "$WORK/stripped_client" && strip "$WORK/stripped_client"
# A file named like libssl that has no SSL_* functions: Loupe must report it.
mkdir -p "$WORK/fakessl"
echo 'int not_openssl(void) { return 1; }' > "$WORK/fakessl/stub.c"
gcc -shared -fPIC -o "$WORK/fakessl/libssl.so.3" "$WORK/fakessl/stub.c"

PORT_A=$(free_port)
PORT_B=$(free_port)
start_tls_nginx "$PORT_A"  # before the agent
python3 -c "import ctypes, time; ctypes.CDLL('$WORK/fakessl/libssl.so.3'); time.sleep(30)" &
FAKE_PID=$!
PIDS+=($FAKE_PID)

log "tracing"
# Other tests may load this machine: a large ring buffer, and only our ports
# printed, so their traffic does not crowd ours out.
start_trace "$WORK/trace.jsonl" --port "$PORT_A,$PORT_B" --ring-buffer-size 64M
start_tls_nginx "$PORT_B"  # after the agent
# A "container" with its own copy of libssl: a private mount namespace in
# which the system libssl path is a different file (inode). Loupe must find
# it through /proc/PID/root and attach to it separately.
SYS_SSL=$(python3 -c 'import ssl; print(next(l.split()[-1] for l in open("/proc/self/maps") if "/libssl.so" in l))')
mkdir -p "$WORK/ctr" && cp "$SYS_SSL" "$WORK/ctr/libssl.so.3"
unshare -m bash -c "mount --bind '$WORK/ctr/libssl.so.3' '$SYS_SSL' && exec python3 - $PORT_A $WORK/go" << 'PY' &
import http.client, os, ssl, sys, time
# ssl is mapped: wait until the agent's /proc rescan has attached to it.
for _ in range(600):
    if os.path.exists(sys.argv[2]):
        break
    time.sleep(0.05)
conn = http.client.HTTPSConnection("127.0.0.1", int(sys.argv[1]),
                                   context=ssl._create_unverified_context())
for _ in range(4):
    conn.request("GET", "/ctr")
    resp = conn.getresponse()
    assert resp.status == 404, resp.status
    resp.read()
PY
CTR_PID=$!
# Statically linked client: it too waits for the agent's /proc rescan.
"$WORK/static_client" "$PORT_B" /static 3 "$WORK/go" &
STATIC_PID=$!
# Both clients start once the agent says it attached to them (the rescan
# runs every second; a loaded machine can take longer).
wait_for_line "$WORK/trace.jsonl.err" "attached to $SYS_SSL (pid $CTR_PID)" "$TRACE_PID" || true
wait_for_line "$WORK/trace.jsonl.err" "attached to .*static_client" "$TRACE_PID" || true
touch "$WORK/go"

log "requests"
for i in 1 2 3 4 5; do curl -sk -o /dev/null "https://127.0.0.1:$PORT_A/a"; done
for i in 1 2 3 4; do curl -sk -o /dev/null "https://127.0.0.1:$PORT_B/users/$i"; done
for i in 1 2 3; do
  printf 'GET /c HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' |
    openssl s_client -quiet -connect "127.0.0.1:$PORT_A" 2> /dev/null > /dev/null
done
python3 - "$PORT_B" << 'PY'
import http.client, ssl, sys
conn = http.client.HTTPSConnection("127.0.0.1", int(sys.argv[1]),
                                   context=ssl._create_unverified_context())
for _ in range(6):  # one keep-alive connection
    conn.request("GET", "/b")
    resp = conn.getresponse()
    assert resp.status == 201, resp.status
    resp.read()
PY
# Large responses to a slow reader: nginx's writes would block and its
# SSL_write calls end unfinished and are retried. Each response must be
# recorded once, with its size (plaintext emitted once per retried call),
# and the request after them on the same connection still parsed.
head -c 4194304 /dev/urandom > "$WORK/big"
python3 - "$PORT_A" << 'PY'
import http.client, ssl, sys, time
conn = http.client.HTTPSConnection("127.0.0.1", int(sys.argv[1]),
                                   context=ssl._create_unverified_context())
for _ in range(3):
    conn.request("GET", "/big")
    resp = conn.getresponse()
    assert resp.status == 200, resp.status
    n = 0
    while chunk := resp.read(65536):
        n += len(chunk)
        time.sleep(0.002)
    assert n == 4194304, n
conn.request("GET", "/a")
resp = conn.getresponse()
assert resp.status == 200, resp.status
resp.read()
PY
wait "$CTR_PID" && pass "container client worked" || fail "container client failed"
wait "$STATIC_PID" && pass "static client worked" || fail "static client failed"
if "$WORK/stripped_client" "$PORT_A" /stripped 2; then pass "stripped client worked"; else fail "stripped client failed"; fi
stop_trace

T="$WORK/trace.jsonl"
ours="((.local_addr | endswith(\":$PORT_A\") or endswith(\":$PORT_B\")) or (.remote_addr | endswith(\":$PORT_A\") or endswith(\":$PORT_B\")))"
srv="$ours and .role == \"server\" and .comm == \"nginx\""
assert_eq "server GET /a 200" 6 "$(count "$T" "$srv and .method == \"GET\" and .path == \"/a\" and .status == 200")"
assert_eq "server GET /users/* 200" 4 "$(count "$T" "$srv and .path != null and (.path | startswith(\"/users/\")) and .status == 200")"
assert_eq "server GET /c 500" 3 "$(count "$T" "$srv and .path == \"/c\" and .status == 500 and .error == true")"
assert_eq "server GET /b 201" 6 "$(count "$T" "$srv and .path == \"/b\" and .status == 201")"
assert_eq "server GET /static 200" 3 "$(count "$T" "$srv and .path == \"/static\" and .status == 200")"
# The stripped client's requests are served (and seen) by nginx.
assert_eq "server GET /stripped 200" 2 "$(count "$T" "$srv and .path == \"/stripped\"")"
assert_eq "server GET /ctr 404" 4 "$(count "$T" "$srv and .path == \"/ctr\" and .status == 404")"
big="$srv and .path == \"/big\" and .status == 200"
assert_eq "server GET /big 200" 3 "$(count "$T" "$big")"
assert_eq "server GET /big with the body's size" 3 \
  "$(count "$T" "$big and .resp_bytes > 4194304 and .resp_bytes < 4194304 + 1024")"
assert_eq "python client GET /big 200" 3 \
  "$(count "$T" "$ours and .role == \"client\" and .comm == \"python3\" and .path == \"/big\" and .status == 200")"
assert_eq "server records in all" 31 "$(count "$T" "$srv")"
assert_eq "curl client records" 9 "$(count "$T" "$ours and .role == \"client\" and .comm == \"curl\"")"
assert_eq "openssl s_client records" 3 "$(count "$T" "$ours and .role == \"client\" and .comm == \"openssl\" and .status == 500")"
assert_eq "python client records" 6 "$(count "$T" "$ours and .role == \"client\" and .comm == \"python3\" and .status == 201")"
assert_eq "container client records" 4 "$(count "$T" "$ours and .role == \"client\" and .comm == \"python3\" and .path == \"/ctr\" and .status == 404")"
assert_eq "static client records" 3 "$(count "$T" "$ours and .role == \"client\" and .comm == \"static_client\"")"
assert_eq "stripped client records (unprobeable)" 0 "$(count "$T" "$ours and .comm == \"stripped_client\"")"
assert_eq "records without tls" 0 "$(count "$T" "$ours and .tls != true")"
assert_eq "non-HTTP records" 0 "$(count "$T" "$ours and .protocol != \"http1\"")"

# Libraries reported: the real libssl attached, the fake one not.
grep -q "loupe: tls: attached to .*libssl.so" "$T.err" && pass "libssl attached" ||
  fail "no 'attached to libssl' line in stderr"
grep -q "loupe: tls: attached to $SYS_SSL (pid $CTR_PID)" "$T.err" && pass "container's libssl attached" ||
  fail "no 'attached to $SYS_SSL (pid $CTR_PID)' line"
grep -q "loupe: tls: attached to .*static_client" "$T.err" && pass "static OpenSSL attached" ||
  fail "no 'attached to static_client' line"
grep -q "loupe: tls: cannot attach to $WORK/fakessl/libssl.so.3" "$T.err" &&
  pass "unprobeable libssl reported" || fail "fake libssl not reported"
# The container's python and the static client started after the agent:
# found from their exec events, not by a walk of /proc.
grep -q "loupe: tls: no exec events" "$T.err" && fail "no exec events: $(grep "no exec events" "$T.err")" ||
  pass "new programs found from exec events"

# Latency: nginx's $request_time (ms resolution) vs the server records of
# the same port, paired in completion order (one worker). Not /big: nginx
# logs a response still queued for a slow reader as done (0.000 s), and
# Loupe ends it at the first write of its last SSL_write (docs/tls.md).
# nginx reads its clock once per event-loop wakeup, so a request read,
# answered and logged in one wakeup is 0.000 s however long the worker was
# preempted in between (or paid a fresh worker's first-request page
# faults); Loupe stamps the syscalls and sees that time. So one pair in
# ten may be off by up to 50 ms; a systematic error (a handshake or idle
# time counted in) moves most pairs and still fails.
for port in "$PORT_A" "$PORT_B"; do
  jq -r "select($srv and .path != \"/big\" and (.local_addr | endswith(\":$port\"))) | \"\(.end_ns) \(.duration_ns)\"" "$T" |
    sort -n | awk '{print $2}' > "$WORK/dur.$port"
  awk '$2 != "/big" {print $4}' "$WORK/nginx-$port/logs/access.log" > "$WORK/rt.$port"
  assert_eq "port $port: records = log lines" "$(wc -l < "$WORK/rt.$port")" "$(wc -l < "$WORK/dur.$port")"
  read -r pairs off far <<< "$(paste "$WORK/dur.$port" "$WORK/rt.$port" | awk '{
      d = $1 / 1e6; rt = $2 * 1000; diff = d > rt ? d - rt : rt - d
      tol = rt * 0.5; if (tol < 2) tol = 2; if (diff > tol) off++
      tol = rt * 0.5; if (tol < 50) tol = 50; if (diff > tol) far++
    } END { print NR, off + 0, far + 0 }')"
  assert_le "port $port: durations off nginx request_time by > max(2ms, 50%) (of $pairs)" \
    $((pairs / 10)) "$off"
  assert_eq "port $port: durations off nginx request_time by > max(50ms, 50%)" 0 "$far"
done
# --- PostgreSQL over TLS (psql sslmode=require), when PostgreSQL is installed.
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2> /dev/null | sort -V | tail -1 || true)
if [[ -n "$PGBIN" && -x "$PGBIN/initdb" ]] && id postgres > /dev/null 2>&1; then
  PG="$WORK/pg"
  PG_PORT=$(free_port)
  mkdir -p "$PG/sock"
  chmod 755 "$WORK"
  cp "$WORK/cert.pem" "$WORK/key.pem" "$PG/"
  chmod 600 "$PG/key.pem"
  chown -R postgres: "$PG"
  as_pg() { runuser -u postgres -- "$@"; }
  as_pg "$PGBIN/initdb" -D "$PG/data" -U postgres -A trust --no-sync > "$PG/initdb.log"
  as_pg "$PGBIN/pg_ctl" -D "$PG/data" -l "$PG/server.log" -w -o \
    "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $PG/sock -c fsync=off -c ssl=on -c ssl_cert_file=$PG/cert.pem -c ssl_key_file=$PG/key.pem" \
    start > /dev/null
  trap 'runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PG/data" -m immediate stop > /dev/null 2>&1 || true; cleanup' EXIT
  start_trace "$WORK/pg.jsonl" --port "$PG_PORT"
  {
    for i in $(seq 7); do echo "SELECT $i AS n;"; done
    echo "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid();"
  } | psql "host=127.0.0.1 port=$PG_PORT user=postgres dbname=postgres sslmode=require" -X -q -t \
    > "$WORK/psql.out"
  stop_trace
  assert_eq "psql session used TLS" "t" "$(tail -2 "$WORK/psql.out" | tr -d ' \n')"
  P="$WORK/pg.jsonl"
  pgsrv='.protocol == "postgres" and .role == "server" and .tls == true'
  assert_eq "postgres server records SELECT n over TLS" 7 \
    "$(count "$P" "$pgsrv and .route == \"SELECT ? AS n\"")"
  assert_eq "postgres records without tls" 0 "$(count "$P" ".tls != true")"
  assert_eq "non-postgres records on the postgres port" 0 "$(count "$P" ".protocol != \"postgres\"")"
else
  echo "skip: PostgreSQL not installed"
fi

finish
