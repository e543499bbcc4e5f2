#!/usr/bin/env bash
# DNS: a dnsmasq of our own on an unused loopback address, port 53 (UDP DNS
# is captured on port 53 only), answering a local zone with A, AAAA and
# CNAME records and NXDOMAIN for the rest of it; dig over UDP and TCP.
# Records carry qtype, name, rcode and answers; counts match dnsmasq's own
# query log.
source "$(dirname "$0")/lib.sh"
require_root

ADDR=127.0.0.153
if ss -Hlun "src $ADDR:53" | grep -q . || ss -Hltn "src $ADDR:53" | grep -q .; then
  echo "$ADDR:53 is in use" >&2
  exit 1
fi
DNS="$WORK/dnsmasq"
mkdir -p "$DNS"
dnsmasq --keep-in-foreground --conf-file=/dev/null --no-hosts --no-resolv --user=root \
  --listen-address="$ADDR" --bind-interfaces --port=53 --pid-file="$DNS/pid" \
  --log-queries --log-facility="$DNS/queries.log" \
  --local=/loupe/ --address=/test.loupe/10.1.2.3 --address=/test.loupe/fd00::123 \
  --host-record=www.loupe,10.1.2.4,fd00::4 --cname=alias.loupe,www.loupe &
PIDS+=($!)
wait_for_port 53 "$ADDR"
q() { dig @"$ADDR" +tries=1 +time=2 +short "$@"; }

OUT="$WORK/trace.jsonl"
start_trace "$OUT" --port 53

log "dig over UDP: 5 A, 3 AAAA, 2 CNAME, 4 NXDOMAIN; dig +tcp: 2 A"
for i in $(seq 5); do assert_eq "dig A test.loupe" 10.1.2.3 "$(q test.loupe A)"; done
for i in $(seq 3); do assert_eq "dig AAAA test.loupe" fd00::123 "$(q test.loupe AAAA)"; done
for i in $(seq 2); do q alias.loupe A > /dev/null; done
for i in $(seq 4); do q "nope$i.loupe" A > /dev/null; done
for i in $(seq 2); do assert_eq "dig +tcp A www.loupe" 10.1.2.4 "$(q +tcp www.loupe A)"; done
stop_trace
grep "loupe trace:" "$OUT.err" | tail -1

srv=".protocol==\"dns\" and .role==\"server\" and .comm==\"dnsmasq\" and .local_addr==\"$ADDR:53\""
# dig's client records: by address, not comm (dig is gone before its name
# is read from /proc, so records can carry a thread's name, isc-net-0000).
cli=".protocol==\"dns\" and .role==\"client\" and .remote_addr==\"$ADDR:53\""
for side in srv cli; do
  s=${!side}
  assert_eq "$side A test.loupe" 5 "$(count "$OUT" "$s and .method==\"A\" and .path==\"test.loupe\" and .route==\"test.loupe\" and .status==0 and .error==false and .detail==\"10.1.2.3\"")"
  assert_eq "$side AAAA test.loupe" 3 "$(count "$OUT" "$s and .method==\"AAAA\" and .path==\"test.loupe\" and .detail==\"fd00::123\"")"
  assert_eq "$side CNAME alias.loupe -> www.loupe" 2 "$(count "$OUT" "$s and .method==\"A\" and .path==\"alias.loupe\" and .detail==\"www.loupe,10.1.2.4\"")"
  assert_eq "$side NXDOMAIN" 4 "$(count "$OUT" "$s and .status==3 and .error==true and .error_code==\"NXDOMAIN\" and (.path|test(\"^nope[1-4][.]loupe$\"))")"
done
# Over TCP dnsmasq (a child per connection) reads the 2-byte length prefix
# and the message in two reads: detection holds both until the message can
# be judged, so both sides of TCP are recorded too.
assert_eq "cli TCP A www.loupe" 2 "$(count "$OUT" "$cli and .method==\"A\" and .path==\"www.loupe\" and .detail==\"10.1.2.4\" and .req_bytes > 2")"
assert_eq "srv TCP A www.loupe" 2 "$(count "$OUT" "$srv and .method==\"A\" and .path==\"www.loupe\" and .detail==\"10.1.2.4\" and .req_bytes == 52")"
assert_eq "cli records in total" 16 "$(count "$OUT" "$cli")"
assert_eq "srv records in total" 16 "$(count "$OUT" "$srv")"
# dnsmasq logs one "query[TYPE] name from addr" line per query it received.
assert_eq "server records == dnsmasq query log" "$(grep -c ' query\[' "$DNS/queries.log")" "$(count "$OUT" "$srv")"
assert_eq "only DNS on port 53" 0 "$(count "$OUT" '.protocol!="dns"')"
max_ms=$(jq -r "select($srv) | .duration_ns/1e6" "$OUT" | sort -g | tail -1)
assert_le "max server duration (ms)" 50 "$max_ms"
finish
