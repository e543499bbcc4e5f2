#!/usr/bin/env bash
# `loupe doctor`: on this host every check passes and the canary request is
# captured; tracefs unmounted (private mount namespace) is reported but not
# needed; then each failure it must name, with its fix: no BTF (a missing
# path), not root, and a server that refuses the token.
source "$(dirname "$0")/lib.sh"
require_root

# status_of JSON CHECK-NAME -> pass/fail/skip; fix_of the same -> the fix.
status_of() { jq -r --arg n "$2" '.checks[] | select(.name == $n) | .status' <<<"$1"; }
fix_of() { jq -r --arg n "$2" '.checks[] | select(.name == $n) | .fix' <<<"$1"; }

log "all checks on this host, with the canary"
rc=0; out=$("$LOUPE" doctor -o json --data-dir "$WORK/data") || rc=$?
assert_eq "exit code when all pass" 0 "$rc"
assert_eq "ok" true "$(jq -r .ok <<<"$out")"
for c in "kernel version" "BTF" "capabilities" "raw tracepoints and ring buffers" \
  "memlock" "cgroup layout" "libssl found" "disassembler loadable" "data directory writable" "canary request captured"; do
  assert_eq "$c" pass "$(status_of "$out" "$c")"
done
assert_eq "server check without --server" skip "$(status_of "$out" "server reachable, token accepted")"
assert_eq "canary record's path" "/loupe-doctor/canary-" "$(jq -r '.canary_record.path' <<<"$out" | sed 's/[0-9]*$//')"
assert_eq "canary record's status" 200 "$(jq -r '.canary_record.status' <<<"$out")"
text=$("$LOUPE" doctor --data-dir "$WORK/data")
grep -q "captured: .* http1 GET /loupe-doctor/canary-[0-9]* 200" <<<"$text" && pass "text output prints the captured record" \
  || fail "no captured record in: $text"

log "tracefs unmounted (private mount namespace): reported, not needed for capture"
rc=0
out=$(unshare -m sh -c 'umount -l /sys/kernel/tracing 2>/dev/null; umount -l /sys/kernel/debug/tracing 2>/dev/null; exec "$0" doctor -o json --data-dir "$1"' "$LOUPE" "$WORK/data") || rc=$?
assert_eq "tracefs mounted" skip "$(status_of "$out" "tracefs mounted")"
grep -q "mount -t tracefs" <<<"$(jq -r '.checks[] | select(.name == "tracefs mounted") | .detail' <<<"$out")" && pass "says how to mount tracefs" || fail "tracefs detail"
assert_eq "canary captured without tracefs" pass "$(status_of "$out" "canary request captured")"
assert_eq "exit code without tracefs" 0 "$rc"

log "no BTF at the given path"
rc=0; out=$("$LOUPE" doctor -o json --no-canary --btf "$WORK/no-such-btf" --data-dir "$WORK/data") || rc=$?
assert_eq "exit code without BTF" 1 "$rc"
assert_eq "BTF" fail "$(status_of "$out" "BTF")"
grep -q "CONFIG_DEBUG_INFO_BTF" <<<"$(fix_of "$out" "BTF")" && pass "fix names CONFIG_DEBUG_INFO_BTF" || fail "BTF fix"

log "not root"
chmod 755 "$WORK"
cp "$LOUPE" "$WORK/loupe"
rc=0; out=$(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all \
  "$WORK/loupe" doctor -o json --data-dir "$WORK/root-only") || rc=$?
assert_eq "exit code as nobody" 1 "$rc"
assert_eq "capabilities as nobody" fail "$(status_of "$out" "capabilities")"
grep -q "run as root" <<<"$(fix_of "$out" "capabilities")" && pass "fix: run as root or grant capabilities" || fail "capabilities fix"
assert_eq "BPF as nobody" fail "$(status_of "$out" "raw tracepoints and ring buffers")"
assert_eq "canary as nobody" fail "$(status_of "$out" "canary request captured")"

log "a server that refuses the token"
port=$(free_port)
openssl rand -hex 16 > "$WORK/token"
start_loupe_server "$port" "$WORK/token"
rc=0; out=$(LOUPE_TOKEN=not-the-token "$LOUPE" doctor -o json --no-canary --server "http://127.0.0.1:$port" --data-dir "$WORK/data") || rc=$?
assert_eq "exit code with a refused token" 1 "$rc"
assert_eq "server check, wrong token" fail "$(status_of "$out" "server reachable, token accepted")"
grep -q "LOUPE_TOKEN" <<<"$(fix_of "$out" "server reachable, token accepted")" && pass "fix names --token-file / LOUPE_TOKEN" || fail "token fix"
out=$("$LOUPE" doctor -o json --no-canary --server "http://127.0.0.1:$port" --token-file "$WORK/token" --data-dir "$WORK/data")
assert_eq "server check, right token" pass "$(status_of "$out" "server reachable, token accepted")"
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
out=$("$LOUPE" doctor -o json --no-canary --server "http://127.0.0.1:$port" --token-file "$WORK/token" --data-dir "$WORK/data") || true
assert_eq "server check, server down" fail "$(status_of "$out" "server reachable, token accepted")"
finish
