#!/usr/bin/env bash
# Go's own crypto/tls through the Go uprobes (docs/tls.md, "Go programs"):
# a Go program built here with Debian's golang-go serves HTTPS (HTTP/1.1
# and HTTP/2 by ALPN) and calls itself with net/http over both. Every
# exchange must be an ordinary record with tls == true, on both sides
# (client and server are the same process), with exact counts, methods,
# paths, statuses and protocols. The program is built twice: with DWARF
# (the socket's offsets read from it) and without (-ldflags=-w: the Go
# version's known layout). The same program stripped of its symbols
# cannot be probed: it must keep working, produce no record, and be
# reported as a stripped Go program. Then under `loupe run`, the agent's
# status must list the three programs as such.
source "$(dirname "$0")/lib.sh"
require_root
for tool in go jq; do
  command -v "$tool" > /dev/null || { echo "SKIP: $tool not installed"; exit 0; }
done

log "building the Go program"
# Standard library only, offline, with a cache of its own.
export GOCACHE=$WORK/gocache GOPATH=$WORK/gopath GOFLAGS= GOPROXY=off GO111MODULE=off
src=$(dirname "$0")/gotls/app.go
go build -o "$WORK/goapp" "$src"
go build -ldflags=-w -o "$WORK/goapp_nodwarf" "$src"
go build -ldflags="-s -w" -o "$WORK/goapp_stripped" "$src"

PORT=$(free_port)
PORT_S=$(free_port)
PORT_W=$(free_port)
H1=5
H2=4
start_trace "$WORK/trace.jsonl" --port "$PORT,$PORT_S,$PORT_W" --ring-buffer-size 64M
# Each program waits for its flag file: the agent's /proc rescan (every
# second) must have attached to it first.
"$WORK/goapp" "$PORT" "$WORK/go" "$H1" "$H2" &
APP_PID=$!
"$WORK/goapp_nodwarf" "$PORT_W" "$WORK/go" 2 3 &
NODWARF_PID=$!
"$WORK/goapp_stripped" "$PORT_S" "$WORK/go" 2 2 &
STRIPPED_PID=$!
PIDS+=($APP_PID $NODWARF_PID $STRIPPED_PID)
# A busy machine can keep the agent's rescan (it reads every new
# executable) from reaching them for a while: up to 90 s each.
log "waiting for the agent to attach"
attach_line() {  # attach_line FILE PID PATTERN
  wait_for_line "$1" "$3" "$2" || wait_for_line "$1" "$3" "$2" || wait_for_line "$1" "$3" "$2" ||
    fail "agent never said '$3'"
}
attach_line "$WORK/trace.jsonl.err" "$TRACE_PID" "attached to $WORK/goapp (pid"
attach_line "$WORK/trace.jsonl.err" "$TRACE_PID" "attached to $WORK/goapp_nodwarf (pid"
attach_line "$WORK/trace.jsonl.err" "$TRACE_PID" "cannot attach to $WORK/goapp_stripped"
touch "$WORK/go"
log "requests"
wait "$APP_PID" && pass "Go program's requests all answered" || fail "Go program failed"
wait "$NODWARF_PID" && pass "Go program without DWARF worked" || fail "Go program without DWARF failed"
wait "$STRIPPED_PID" && pass "stripped Go program worked" || fail "stripped Go program failed"
stop_trace

T="$WORK/trace.jsonl"
ours="(.local_addr | endswith(\":$PORT\")) or (.remote_addr | endswith(\":$PORT\"))"
app="($ours) and .comm == \"goapp\" and .tls == true"
for role in server client; do
  assert_eq "$role GET /h1/item/* 201 over HTTP/1.1" "$H1" \
    "$(count "$T" "$app and .role == \"$role\" and .protocol == \"http1\" and .method == \"GET\" and (.path | startswith(\"/h1/item/\")) and .status == 201")"
  assert_eq "$role POST /h2/echo 202 over HTTP/2" "$H2" \
    "$(count "$T" "$app and .role == \"$role\" and .protocol == \"http2\" and .method == \"POST\" and .path == \"/h2/echo\" and .status == 202")"
done
assert_eq "distinct HTTP/1.1 paths (one record per request)" "$H1" \
  "$(jq -r "select($app and .role == \"server\" and .protocol == \"http1\") | .path" "$T" | sort -u | wc -l)"
assert_eq "records in all" $((2 * (H1 + H2))) "$(count "$T" "$ours")"
assert_eq "records without tls" 0 "$(count "$T" "($ours) and .tls != true")"
nodwarf="((.local_addr | endswith(\":$PORT_W\")) or (.remote_addr | endswith(\":$PORT_W\"))) and .comm == \"goapp_nodwarf\" and .tls == true"
for role in server client; do
  assert_eq "no DWARF: $role HTTP/1.1 GET 201" 2 \
    "$(count "$T" "$nodwarf and .role == \"$role\" and .protocol == \"http1\" and .method == \"GET\" and .status == 201")"
  assert_eq "no DWARF: $role HTTP/2 POST 202" 3 \
    "$(count "$T" "$nodwarf and .role == \"$role\" and .protocol == \"http2\" and .path == \"/h2/echo\" and .status == 202")"
done
stripped_ours="(.local_addr | endswith(\":$PORT_S\")) or (.remote_addr | endswith(\":$PORT_S\"))"
assert_eq "stripped program's records (opaque TLS)" 0 "$(count "$T" "$stripped_ours")"
grep -q "loupe: tls: cannot attach to $WORK/goapp_stripped (pid $STRIPPED_PID): stripped Go program" "$T.err" &&
  pass "stripped Go program reported" || fail "no 'stripped Go program' line for goapp_stripped"

# The agent's status (loupe run's API): each program listed with its Go
# version and where its layout came from; the stripped one counted, and
# its connections (2 clients, 2 served) opaque TLS.
API_PORT=$(free_port)
start_loupe_run --listen "127.0.0.1:$API_PORT" --data-dir "$WORK/data" --port "$PORT,$PORT_S"
"$WORK/goapp" "$PORT" "$WORK/go2" 1 1 &
APP_PID=$!
"$WORK/goapp_nodwarf" "$PORT_W" "$WORK/go2" 1 1 &
NODWARF_PID=$!
"$WORK/goapp_stripped" "$PORT_S" "$WORK/go2" 1 1 &
STRIPPED_PID=$!
PIDS+=($APP_PID $NODWARF_PID $STRIPPED_PID)
attach_line "$WORK/run.err" "$RUN_PID" "attached to $WORK/goapp (pid"
attach_line "$WORK/run.err" "$RUN_PID" "attached to $WORK/goapp_nodwarf (pid"
attach_line "$WORK/run.err" "$RUN_PID" "cannot attach to $WORK/goapp_stripped"
touch "$WORK/go2"
wait "$APP_PID" "$NODWARF_PID" "$STRIPPED_PID" || fail "a Go program failed under loupe run"
GOVERSION=$(go env GOVERSION)
for _ in $(seq 50); do  # the tracker counts what the agent's pump has drained
  tls=$(curl -s "http://127.0.0.1:$API_PORT/api/v1/status" | jq -c '.agent.tls')
  [[ $(jq '.opaque_connections' <<< "$tls") -ge 4 ]] && break
  sleep 0.2
done
prog() { jq -c --arg p "$WORK/$1" '[.tls_libraries[] | select(.path == $p) | {kind, attached, go_version, go_layout, error: ((.error // "none") | split(":")[0])}]' <<< "$tls"; }
assert_eq "status: goapp" "[{\"kind\":\"go\",\"attached\":true,\"go_version\":\"$GOVERSION\",\"go_layout\":\"dwarf\",\"error\":\"none\"}]" "$(prog goapp)"
assert_eq "status: goapp_nodwarf" "[{\"kind\":\"go\",\"attached\":true,\"go_version\":\"$GOVERSION\",\"go_layout\":\"go1.17-1.23 layout\",\"error\":\"none\"}]" "$(prog goapp_nodwarf)"
assert_eq "status: goapp_stripped" "[{\"kind\":\"go\",\"attached\":false,\"go_version\":\"$GOVERSION\",\"go_layout\":null,\"error\":\"stripped Go program\"}]" "$(prog goapp_stripped)"
assert_ge "status: go_programs_attached" 2 "$(jq '.go_programs_attached' <<< "$tls")"
assert_ge "status: go_programs_stripped" 1 "$(jq '.go_programs_stripped' <<< "$tls")"
assert_eq "status: opaque TLS connections (the stripped program's)" 4 "$(jq '.opaque_connections' <<< "$tls")"
kill -INT "$RUN_PID"
wait "$RUN_PID" || true

# What the agent said about the programs, to tell "not attached" from
# "attached but nothing seen" in a failed run's log.
((FAILURES == 0)) || grep -h "loupe: tls:" "$T.err" "$WORK/run.err" >&2 || true
finish
