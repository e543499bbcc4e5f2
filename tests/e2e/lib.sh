# Shared helpers for the end-to-end tests. Each test sources this file, gets
# its own work directory, and everything it started is stopped on exit.
set -euo pipefail

LOUPE=${LOUPE:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/loupe}
LOUPE_SRC=${LOUPE_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
WORK=$(mktemp -d /tmp/loupe-e2e.XXXXXX)
# Debian's python3 (whose modules scripts/setup.sh installs) for every
# `python3` a test or its helpers start: a `python3` found earlier on PATH
# may be a pyenv shim, a shell script that took ~1.5 s to start where
# Debian's takes 0.1 s, and far longer on a loaded machine (docs/benchmarks.md,
# "CI time, citime"); the tests start it a few hundred times.
mkdir "$WORK/bin"
ln -s /usr/bin/python3 "$WORK/bin/python3"
PATH="$WORK/bin:$PATH"
PIDS=()
FAILURES=0
FAILED=()

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ $FAILURES -eq 0 && -z "${KEEP_WORK:-}" ]]; then rm -rf "$WORK"; else echo "work dir kept: $WORK"; fi
}
trap cleanup EXIT

log() { echo "[$(date +%T)] $*"; }
fail() {
  echo "FAIL: $*" >&2
  FAILURES=$((FAILURES + 1))
  FAILED+=("$*")
}
pass() { echo "ok: $*"; }

# assert_eq WHAT EXPECTED ACTUAL
assert_eq() {
  if [[ "$2" == "$3" ]]; then pass "$1 = $3"; else fail "$1: expected $2, got $3"; fi
}
# A numeric comparison of a value that is not a number ("", "null", "none")
# fails instead of being compared as text by awk.
is_number() { [[ "$1" =~ ^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$ ]]; }
# assert_ge WHAT MIN ACTUAL
assert_ge() {
  if is_number "$3" && awk -v a="$3" -v b="$2" 'BEGIN { exit !(a >= b) }'; then pass "$1 = $3 (>= $2)"; else fail "$1: expected >= $2, got '$3'"; fi
}
# assert_le WHAT MAX ACTUAL
assert_le() {
  if is_number "$3" && awk -v a="$3" -v b="$2" 'BEGIN { exit !(a <= b) }'; then pass "$1 = $3 (<= $2)"; else fail "$1: expected <= $2, got '$3'"; fi
}

finish() {
  if [[ $FAILURES -gt 0 ]]; then
    # Repeated at the end: CI keeps only the tail of a long log.
    echo "$(basename "$0"): $FAILURES assertion(s) failed:"
    printf '  - %s\n' "${FAILED[@]}"
    exit 1
  fi
  echo "$(basename "$0"): all assertions passed"
}

# `bpftool prog show -j`, retried: bpftool prints null when a program is
# unloaded while it lists them (other tracers start and stop on a shared
# host), and a benchmark's jq then failed the whole run.
# bpftool's JSON for ARGS (e.g. `prog show id 7`), asked again when it
# prints nothing or null: on a busy host it sometimes does while programs
# load or unload, and `jq` then stops a script that only meant to read.
bpftool_json() {
  local out
  for _ in 1 2 3 4 5 6 7 8; do
    out=$(bpftool "$@" -j 2> /dev/null) && [[ -n $out && $out != null ]] && {
      echo "$out"
      return
    }
    sleep 0.1
  done
  echo null
}
bpf_prog_list() {
  local out
  out=$(bpftool_json prog show)
  [[ $out == null ]] && out='[]'
  echo "$out"
}

require_root() {
  if [[ $(id -u) -ne 0 ]]; then echo "end-to-end tests need root (eBPF)" >&2; exit 1; fi
}

# A free TCP port on loopback.
# A port no one listens on, below the ephemeral range: a port the kernel
# handed out (bind to port 0) can be taken by any outgoing connection before
# the server under test binds it, and then a bind to 0.0.0.0 fails.
# LOUPE_PORTS=FIRST-LAST: only from that range (sessions sharing a machine
# each keep to their own).
free_port() {
  python3 - <<'PY'
import os, random, socket
low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
first, last = 10000, max(low, 10001) - 1
if os.environ.get("LOUPE_PORTS"):
    first, last = map(int, os.environ["LOUPE_PORTS"].split("-"))
for _ in range(200):
    port = random.randrange(first, last + 1)
    s = socket.socket()
    try:
        s.bind(("0.0.0.0", port))
        print(port)
        break
    except OSError:
        pass
    finally:
        s.close()
else:
    raise SystemExit("free_port: no free port below the ephemeral range")
PY
}

wait_for_port() {  # wait_for_port PORT [HOST] [SECONDS, default 10]
  local i
  for i in $(seq 1 $((${3:-10} * 10))); do
    (exec 3<>"/dev/tcp/${2:-127.0.0.1}/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "port $1 did not open" >&2
  return 1
}

# start_loupe_server PORT TOKEN_FILE [FLAG...]: `loupe server` on loopback
# with its store in $WORK/data (kept across restarts); sets SERVER_PID.
start_loupe_server() {
  "$LOUPE" server --listen "127.0.0.1:$1" --data-dir "$WORK/data" --token-file "$2" "${@:3}" \
    > /dev/null 2>> "$WORK/server.err" &
  SERVER_PID=$!
  PIDS+=($SERVER_PID)
  wait_for_port "$1"
}

# wait_for_line FILE PATTERN PID: until FILE has a line matching PATTERN
# (at most 30 s); exits the test with FILE's content if PID dies first.
wait_for_line() {
  local i
  for i in $(seq 1 300); do
    grep -q "$2" "$1" 2> /dev/null && return 0
    kill -0 "$3" 2> /dev/null || { cat "$1" >&2; exit 1; }
    sleep 0.1
  done
  echo "no '$2' in $1" >&2
  return 1
}

# start_nginx PORT -> nginx with a config whose locations the tests use.
# Access log line: "<method> <uri> <status> <request_time> <bytes_sent>";
# NGINX_ACCESS_LOG=off starts it without one (the benchmarks: a log line
# a request would be part of what they measure).
start_nginx() {
  local port=$1 dir="$WORK/nginx-$1" access_log="access_log $WORK/nginx-$1/logs/access.log truth;"
  [[ ${NGINX_ACCESS_LOG:-on} == off ]] && access_log="access_log off;"
  mkdir -p "$dir/logs" "$dir/tmp"
  cat > "$dir/nginx.conf" <<CONF
user root;
worker_processes 1;
worker_rlimit_nofile 20000;
daemon off;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events { worker_connections 16384; }
http {
  log_format truth '\$request_method \$uri \$status \$request_time \$bytes_sent';
  $access_log
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  keepalive_requests 100000;
  server {
    listen 127.0.0.1:$port;
    location = /a { return 200 "alpha\n"; }
    location = /b { return 201 "created\n"; }
    location = /c { return 500 "boom\n"; }
    location /users/ { return 200 "user\n"; }
    location = /big { alias $dir/big.bin; }
    location / { return 404; }
  }
}
CONF
  head -c 1048576 /dev/urandom > "$dir/big.bin"
  nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/logs/error.log" &
  PIDS+=($!)
  wait_for_port "$port"
  NGINX_LOG="$dir/logs/access.log"
}

# start_loupe_run ARGS...: `loupe run ARGS` in the background (RUN_PID, in
# PIDS), output in $WORK/run.out and run.err, returning once it is ready.
# The ready line of an earlier run is cleared first, so a restart waits for
# the new process rather than seeing the old one's line.
start_loupe_run() {
  : > "$WORK/run.out"
  "$LOUPE" run "$@" > "$WORK/run.out" 2>> "$WORK/run.err" &
  RUN_PID=$!
  PIDS+=($RUN_PID)
  local i
  for i in $(seq 1 150); do
    grep -q "Loupe is running" "$WORK/run.out" 2>/dev/null && return 0
    kill -0 $RUN_PID 2>/dev/null || break
    sleep 0.1
  done
  cat "$WORK/run.err" >&2
  return 1
}

# start_trace OUTFILE [ARGS...]: `loupe trace --format json` in the
# background; returns once it is attached.
start_trace() {
  local out=$1
  shift
  # Emptied here, before the child starts: a "tracing" line left by an
  # earlier run in the same file must not pass for this one's (the child
  # truncates it only once it runs, and attaching takes seconds).
  : > "$out.err"
  "$LOUPE" trace --format json "$@" > "$out" 2> "$out.err" &
  TRACE_PID=$!
  PIDS+=($TRACE_PID)
  local i
  for i in $(seq 1 100); do
    grep -q "tracing" "$out.err" 2>/dev/null && return 0
    if ! kill -0 $TRACE_PID 2>/dev/null; then cat "$out.err" >&2; return 1; fi
    sleep 0.1
  done
  echo "loupe trace did not start" >&2
  cat "$out.err" >&2
  return 1
}

# stop_trace: SIGINT, wait, so the summary is flushed.
stop_trace() {
  sleep 0.5  # let the last events drain (the pump polls every few ms)
  kill -INT "$TRACE_PID"
  wait "$TRACE_PID" || true
}

# api_records API PROTOCOL MIN OUTFILE: the PROTOCOL records the API at
# API (http://host:port/api/v1) serves, one JSON object per line, once it
# holds MIN of them (records reach the store in batches) or after 10 s.
api_records() {
  local api=$1 protocol=$2 min=$3 out=$4 got _
  for _ in $(seq 50); do
    got=$(curl -s "$api/requests?protocol=$protocol&limit=1000" | jq length)
    [[ "$got" -ge "$min" ]] && break
    sleep 0.2
  done
  curl -s "$api/requests?protocol=$protocol&limit=1000" | jq -c '.[]' > "$out"
}

# count FILE JQ_FILTER -> number of JSON lines matching the filter (a 1
# per match: printing each matching record again took half of jq's CPU on
# test_redis's 80,000 records, ~17 counts)
count() { jq "select($2) | 1" "$1" | wc -l | tr -d ' '; }
