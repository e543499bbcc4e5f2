#!/usr/bin/env bash
# The Debian package: built with cpack from this build, holding the binary,
# the web UI where the binary finds it, the hardened systemd unit (verified
# by systemd-analyze) and the default config as a conffile; the installed
# binary serves the API and UI from /usr/share/loupe/ui. Then, with
# mmdebstrap, `apt install ./loupe_*.deb` into a fresh Debian: its Depends
# pull in what the binary needs, the unit enables, and `loupe doctor`
# passes inside it, canary capture included.
source "$(dirname "$0")/lib.sh"
for tool in cpack dpkg-deb systemd-analyze; do
  command -v $tool >/dev/null || { echo "skip: $tool not installed (scripts/setup.sh --test)"; exit 0; }
done
BUILD=$(dirname "$LOUPE")
started=$(date +%s)
(cd "$BUILD" && cpack -G DEB -B "$WORK/pkg" >"$WORK/cpack.log" 2>&1) || { cat "$WORK/cpack.log"; fail "cpack"; finish; }
deb=$(ls "$WORK"/pkg/loupe_*.deb)
log "$(basename "$deb"): $(du -h "$deb" | cut -f1), built in $(($(date +%s) - started)) s"
contents=$(dpkg-deb -c "$deb")
for f in ./usr/bin/loupe ./usr/lib/systemd/system/loupe.service ./etc/loupe/loupe.yaml; do
  grep -q " $f$" <<<"$contents" && pass "package holds $f" || fail "package lacks $f"
done
assert_eq "conffiles" "/etc/loupe/loupe.yaml" "$(dpkg-deb -I "$deb" conffiles)"
grep -q "libcapstone" <<<"$(dpkg-deb -f "$deb" Depends)" && pass "Depends names libcapstone (opened with dlopen)" || fail "Depends lacks libcapstone"
grep -q "libbpf" <<<"$(dpkg-deb -f "$deb" Depends)" && pass "Depends from shlibdeps: $(dpkg-deb -f "$deb" Depends | cut -c1-80)..." || fail "no Depends"

dpkg-deb -x "$deb" "$WORK/root"
unit="$WORK/root/usr/lib/systemd/system/loupe.service"
for setting in ProtectSystem=strict ProtectHome=read-only NoNewPrivileges=yes StateDirectory=loupe \
  "CapabilityBoundingSet=CAP_BPF CAP_PERFMON CAP_SYS_RESOURCE CAP_SYS_PTRACE"; do
  grep -qx "$setting" "$unit" && pass "unit: $setting" || fail "unit lacks $setting"
done
# verify also checks that ExecStart's binary exists: point it at the unpacked one.
sed "s#^ExecStart=/usr/bin/loupe#ExecStart=$WORK/root/usr/bin/loupe#" "$unit" >"$WORK/loupe.service"
if out=$(systemd-analyze verify "$WORK/loupe.service" 2>&1); then
  pass "systemd-analyze verify"
else
  fail "systemd-analyze verify: $out"
fi
"$WORK/root/usr/bin/loupe" --config "$WORK/root/etc/loupe/loupe.yaml" config print run >/dev/null \
  && pass "the default config file is valid" || fail "default config rejected"

# The installed binary looks for the UI in ../share/loupe/ui; without a built
# UI in this tree a stand-in page proves the lookup.
ui="$WORK/root/usr/share/loupe/ui"
if [[ ! -f "$ui/index.html" ]]; then
  echo "note: ui/dist not built (scripts/build-ui.sh): the package holds no UI; using a stand-in page"
  mkdir -p "$ui" && echo "<!doctype html><title>stand-in $RANDOM</title>" >"$ui/index.html"
fi
port=$(free_port)
"$WORK/root/usr/bin/loupe" server --listen "127.0.0.1:$port" --data-dir "$WORK/data" 2>"$WORK/server.err" &
PIDS+=($!)
wait_for_port "$port"
curl -s "http://127.0.0.1:$port/" >"$WORK/page.html"
cmp -s "$WORK/page.html" "$ui/index.html" \
  && pass "installed binary serves the UI from /usr/share/loupe/ui" || fail "UI not served: $(head -c 200 "$WORK/page.html")"

if ! command -v mmdebstrap >/dev/null; then
  echo "skip: the install into a fresh Debian: mmdebstrap not installed (scripts/setup.sh --test)"
  finish
  exit 0
fi
# A fresh Debian 12 (variant apt: the Essential packages and apt) made by
# mmdebstrap, which installs the package the way `apt install ./loupe_*.deb`
# does: apt resolves its Depends from the mirror. One step, no cached root
# and no apt-get inside a chroot.
fresh=$WORK/fresh
log "mmdebstrap a fresh Debian with apt install ./$(basename "$deb")"
started=$(date +%s)
mmdebstrap --variant=apt --dpkgopt=force-unsafe-io --include="$deb" \
  --hook-dir=/usr/share/mmdebstrap/hooks/file-mirror-automount bookworm "$fresh" \
  "deb http://deb.debian.org/debian bookworm main" "deb http://deb.debian.org/debian bookworm-updates main" \
  "deb http://deb.debian.org/debian-security bookworm-security main" >"$WORK/mmdebstrap.log" 2>&1 \
  || { tail -30 "$WORK/mmdebstrap.log"; fail "mmdebstrap with the package (is the Debian mirror reachable?)"; finish; }
log "installed in $(($(date +%s) - started)) s"
# in_fresh CMD...: CMD chrooted into it, with /proc, /sys and /dev of this
# host mounted in a private mount namespace (nothing is left mounted).
in_fresh() {
  unshare -m --propagation private sh -c 'r=$1; shift; mount -t proc proc "$r/proc" &&
    mount --rbind /sys "$r/sys" && mount --rbind /dev "$r/dev" && exec chroot "$r" "$@"' sh "$fresh" "$@"
}
assert_eq "dpkg status" "install ok installed" "$(in_fresh dpkg-query -W -f='${Status}' loupe)"
installed=(/usr/bin/loupe /usr/lib/systemd/system/loupe.service /etc/loupe/loupe.yaml)
[[ -f $LOUPE_SRC/ui/dist/index.html ]] && installed+=(/usr/share/loupe/ui/index.html)
for f in "${installed[@]}"; do
  [[ -e $fresh$f ]] && pass "installed $f" || fail "not installed: $f"
done
missing=$(in_fresh ldd /usr/bin/loupe | grep "not found" || true)
assert_eq "libraries the Depends did not bring" "" "$missing"
systemctl --root="$fresh" enable loupe.service >/dev/null 2>&1
assert_eq "systemctl enable loupe" enabled "$(systemctl --root="$fresh" is-enabled loupe.service)"
[[ -L $fresh/etc/systemd/system/multi-user.target.wants/loupe.service ]] \
  && pass "wanted by multi-user.target" || fail "no multi-user.target.wants link"
rc=0; out=$(in_fresh loupe doctor -o json) || rc=$?
assert_eq "loupe doctor exit code in the fresh root" 0 "$rc"
for c in "kernel version" "BTF" "capabilities" "raw tracepoints and ring buffers" "libssl found" \
  "disassembler loadable" "data directory writable" "canary request captured"; do
  assert_eq "doctor in the fresh root: $c" pass "$(jq -r --arg n "$c" '.checks[] | select(.name == $n) | .status' <<<"$out")"
done
finish
