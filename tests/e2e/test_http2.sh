#!/usr/bin/env bash
# HTTP/2 and gRPC from real clients and servers: nghttpd serving h2load and
# nghttp over h2c (prior knowledge) and over TLS (ALPN h2, through the
# OpenSSL uprobes), curl --http2 upgrading from HTTP/1.1 (`Upgrade: h2c`, to
# a python3-h2 server), and a python3-grpcio server and client (unary, failing
# unary, server, client and bidirectional streaming). Record counts, paths,
# statuses, grpc-status and message counts must equal what the clients
# themselves counted, on both roles. A gRPC connection opened before the
# agent must give partial records and never a wrong value.
source "$(dirname "$0")/lib.sh"
require_root
for tool in nghttpd h2load nghttp openssl jq; do
  command -v "$tool" > /dev/null || { echo "SKIP: $tool not installed"; exit 0; }
done
/usr/bin/python3 -c 'import grpc, h2' 2> /dev/null || { echo "SKIP: python3-grpcio or python3-h2 not installed"; exit 0; }
source "$(dirname "$0")/tls/nginx_tls.sh"
make_cert
GRPC_ECHO="$(dirname "$0")/grpc_echo.py"

mkdir -p "$WORK/www"
echo hello > "$WORK/www/index.html"
head -c 3000 /dev/urandom > "$WORK/www/big"
H2C=$(free_port)
TLS=$(free_port)
GRPC=$(free_port)
UPGRADE=$(free_port)
nghttpd --no-tls -d "$WORK/www" "$H2C" > /dev/null 2>&1 &
PIDS+=($!)
nghttpd -d "$WORK/www" "$TLS" "$WORK/key.pem" "$WORK/cert.pem" > /dev/null 2>&1 &
PIDS+=($!)
/usr/bin/python3 "$GRPC_ECHO" serve "$GRPC" &
PIDS+=($!)
/usr/bin/python3 "$(dirname "$0")/h2c_upgrade_server.py" "$UPGRADE" &
PIDS+=($!)
for p in "$H2C" "$TLS" "$GRPC" "$UPGRADE"; do wait_for_port "$p"; done

log "a gRPC channel opened before the agent: one call now, 5 once it traces"
/usr/bin/python3 "$GRPC_ECHO" call "$GRPC" 5 0 0 "$WORK/go" > "$WORK/early.json" 2> "$WORK/early.err" &
EARLY=$!
PIDS+=($EARLY)
wait_for_line "$WORK/early.err" ready "$EARLY"

OUT="$WORK/trace.jsonl"
start_trace "$OUT" --port "$H2C,$TLS,$GRPC,$UPGRADE" --ring-buffer-size 64M
touch "$WORK/go"

log "h2c: h2load 300 requests on 3 connections, 10 streams each at once; nghttp /big /missing"
h2load -n 300 -c 3 -m 10 "http://127.0.0.1:$H2C/index.html" > "$WORK/h2c.out"
grep -E "^requests:" "$WORK/h2c.out"
nghttp -n "http://127.0.0.1:$H2C/big" "http://127.0.0.1:$H2C/missing"
log "h2 over TLS: h2load 200 requests"
h2load -n 200 -c 2 -m 10 "https://127.0.0.1:$TLS/index.html" > "$WORK/tls.out"
grep -E "^requests:|^Application protocol" "$WORK/tls.out"
log "h2c by Upgrade: curl --http2, three requests on one connection"
curl -s --http2 -w '%{http_code} %{http_version}\n' -o /dev/null "http://127.0.0.1:$UPGRADE/up" \
  -o /dev/null "http://127.0.0.1:$UPGRADE/next" -o /dev/null "http://127.0.0.1:$UPGRADE/missing" \
  > "$WORK/upgrade.out"
log "gRPC: 20 good and 5 failing unary calls, 3 of each streaming kind"
/usr/bin/python3 "$GRPC_ECHO" call "$GRPC" 20 5 3 > "$WORK/grpc.json"
wait "$EARLY"
stop_trace
grep "loupe trace:" "$OUT.err" | tail -1

succeeded() { awk '/^requests:/ {print $(NF-9)}' "$1"; }
h2c_srv=".protocol==\"http2\" and .role==\"server\" and (.local_addr|endswith(\":$H2C\"))"
h2c_cli=".protocol==\"http2\" and .role==\"client\" and (.remote_addr|endswith(\":$H2C\"))"
assert_eq "h2load h2c succeeded" 300 "$(succeeded "$WORK/h2c.out")"
assert_eq "h2c server records /index.html 200" 300 "$(count "$OUT" "$h2c_srv and .comm==\"nghttpd\" and .method==\"GET\" and .path==\"/index.html\" and .status==200")"
assert_eq "h2c client records (h2load)" 300 "$(count "$OUT" "$h2c_cli and .comm==\"h2load\" and .path==\"/index.html\" and .status==200")"
for role in server client; do
  sel=$h2c_srv
  [[ $role == client ]] && sel=$h2c_cli
  assert_eq "h2c $role /big 200 with its body" 1 "$(count "$OUT" "$sel and .path==\"/big\" and .status==200 and .resp_bytes>=3000")"
  assert_eq "h2c $role /missing 404" 1 "$(count "$OUT" "$sel and .path==\"/missing\" and .status==404")"
done
assert_eq "h2c records, nothing else" 604 "$(count "$OUT" "(.local_addr|endswith(\":$H2C\")) or (.remote_addr|endswith(\":$H2C\"))")"
assert_eq "h2c records not partial" 0 "$(count "$OUT" "($h2c_srv or $h2c_cli) and .detail!=\"\"")"

up_srv=".protocol==\"http2\" and .role==\"server\" and (.local_addr|endswith(\":$UPGRADE\"))"
up_cli=".protocol==\"http2\" and .role==\"client\" and .comm==\"curl\" and (.remote_addr|endswith(\":$UPGRADE\"))"
assert_eq "curl got HTTP/2 answers" "200 2,200 2,404 2" "$(paste -sd, "$WORK/upgrade.out")"
for role in server client; do
  sel=$up_srv
  [[ $role == client ]] && sel=$up_cli
  # The upgraded request (sent as HTTP/1.1, answered on stream 1) and the
  # two that followed as HTTP/2 streams.
  assert_eq "h2c upgrade $role /up 200 (answered on stream 1)" 1 "$(count "$OUT" "$sel and .method==\"GET\" and .path==\"/up\" and .status==200 and .resp_bytes>0")"
  assert_eq "h2c upgrade $role /next 200" 1 "$(count "$OUT" "$sel and .path==\"/next\" and .status==200")"
  assert_eq "h2c upgrade $role /missing 404" 1 "$(count "$OUT" "$sel and .path==\"/missing\" and .status==404")"
done
assert_eq "upgrade port: only these http2 records" 6 "$(count "$OUT" "(.local_addr|endswith(\":$UPGRADE\")) or (.remote_addr|endswith(\":$UPGRADE\"))")"

tls_srv=".protocol==\"http2\" and .role==\"server\" and .tls==true and (.local_addr|endswith(\":$TLS\"))"
tls_cli=".protocol==\"http2\" and .role==\"client\" and .tls==true and (.remote_addr|endswith(\":$TLS\"))"
assert_eq "h2load TLS succeeded" 200 "$(succeeded "$WORK/tls.out")"
assert_eq "TLS server records (nghttpd, OpenSSL)" 200 "$(count "$OUT" "$tls_srv and .path==\"/index.html\" and .status==200")"
assert_eq "TLS client records (h2load, OpenSSL)" 200 "$(count "$OUT" "$tls_cli and .path==\"/index.html\" and .status==200")"
assert_eq "TLS port: only TLS http2 records" 400 "$(count "$OUT" "(.local_addr|endswith(\":$TLS\")) or (.remote_addr|endswith(\":$TLS\"))")"

js() { jq -r ".$2" "$WORK/$1.json"; }
# grpcio's first write on a connection is one sendmsg of ~26 iovecs: the
# agent walks up to 64 iovecs per call, so every call is exact on both
# sides, the first included, and none is partial.
g_srv=".protocol==\"grpc\" and .role==\"server\" and (.local_addr|endswith(\":$GRPC\"))"
g_cli=".protocol==\"grpc\" and .role==\"client\" and (.remote_addr|endswith(\":$GRPC\"))"
msgs() { echo "(.detail|startswith(\"messages: $1 request, $2 response\"))"; }
assert_eq "gRPC server Say calls" "$(js grpc Say)" "$(count "$OUT" "$g_srv and .method==\"Say\" and .route==\"/demo.Echo/Say\" and (.detail|startswith(\"messages: 1 request, \"))")"
assert_eq "gRPC server Count (server streaming)" "$(js grpc Count)" "$(count "$OUT" "$g_srv and .route==\"/demo.Echo/Count\" and $(msgs 1 3)")"
assert_eq "gRPC server Sum (client streaming)" "$(js grpc Sum)" "$(count "$OUT" "$g_srv and .route==\"/demo.Echo/Sum\" and $(msgs 4 1)")"
assert_eq "gRPC server Chat (bidirectional)" "$(js grpc Chat)" "$(count "$OUT" "$g_srv and .route==\"/demo.Echo/Chat\" and $(msgs 2 2)")"
assert_eq "gRPC client calls" "$(($(js grpc Say) + $(js grpc Count) + $(js grpc Sum) + $(js grpc Chat)))" "$(count "$OUT" "$g_cli")"
assert_eq "gRPC client good Say calls (1 reply each, OK)" "$(($(js grpc Say) - $(js grpc not_found)))" "$(count "$OUT" "$g_cli and .status==0 and $(msgs 1 1)")"
assert_eq "gRPC client Count calls, 3 replies each" "$(js grpc Count)" "$(count "$OUT" "$g_cli and .status==0 and $(msgs 1 3)")"
assert_eq "gRPC client Chat calls, 2 messages each way" "$(js grpc Chat)" "$(count "$OUT" "$g_cli and .status==0 and $(msgs 2 2)")"
assert_eq "gRPC records whole (none partial)" 0 "$(count "$OUT" "($g_srv or $g_cli) and (.detail|contains(\"partial\"))")"
for role in server client; do
  sel=$g_srv
  [[ $role == client ]] && sel=$g_cli
  assert_eq "gRPC $role NOT_FOUND (grpc-status 5) with its message" "$(js grpc not_found)" "$(count "$OUT" "$sel and .status==5 and .error==true and .error_code==\"NOT_FOUND\" and .error_message==\"no such thing\" and $(msgs 1 0)")"
  assert_eq "gRPC $role errors are the NOT_FOUNDs" "$(js grpc not_found)" "$(count "$OUT" "$sel and .error==true")"
  assert_eq "gRPC $role statuses are OK, NOT_FOUND or unknown" 0 "$(count "$OUT" "$sel and .status!=0 and .status!=5 and .status!=-1")"
  assert_eq "gRPC $role paths are the service's or unknown" 0 "$(count "$OUT" "$sel and .path!=\"\" and (.path|startswith(\"/demo.Echo/\")|not)")"
done

log "the channel opened before the agent"
early="(.protocol==\"http2\" and ((.local_addr|endswith(\":$GRPC\")) or (.remote_addr|endswith(\":$GRPC\"))))"
assert_eq "early calls made after the agent started" 5 "$(($(js early Say) - 1))"
for role in server client; do
  assert_eq "early $role records, all partial, HTTP 200" 5 "$(count "$OUT" "$early and .role==\"$role\" and .detail==\"partial\" and .status==200 and .method==\"POST\"")"
done
assert_eq "no wrong path on early records" 0 "$(count "$OUT" "$early and .path!=\"\" and .path!=\"/demo.Echo/Say\"")"
assert_eq "no error made up on early records" 0 "$(count "$OUT" "$early and .error==true")"
finish
