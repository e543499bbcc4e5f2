#!/usr/bin/env bash
# The container image: scripts/build-image.sh builds it from Debian packages
# (no registry), small, named as the chart expects, loadable with podman
# load. Then it runs the way the chart runs it, each container's podman
# arguments derived from the rendered manifests (pod_to_podman.py): the
# server as nobody with a read-only root file system serves the API and the
# UI; the agent, with only the chart's capabilities, host PID namespace and
# host mounts (not --privileged), captures requests made on the host and
# ships them to that server; `loupe doctor` passes in the agent container.
#
# The chart's seccompProfile RuntimeDefault means containerd's (>= 1.7) or
# CRI-O's default filter, which lets CAP_BPF call bpf() and CAP_PERFMON
# perf_event_open(); Debian 12's podman (4.3) ships an older default that
# wants CAP_SYS_ADMIN for both. The test runs the agent with podman's
# default amended the way containerd's is (runtime_default_seccomp).
#
# CI quirks of this machine, not of the image: podman needs --runtime runc
# (crun refuses hybrid cgroups) and explicit --ulimit values no higher than
# the caller's own. Podman's storage is private to the test.
source "$(dirname "$0")/lib.sh"
require_root
for tool in podman buildah mmdebstrap ip; do
  command -v $tool >/dev/null || { echo "skip: $tool not installed (scripts/setup.sh --test)"; exit 0; }
done
BUILD=$(dirname "$LOUPE")
PY=/usr/bin/python3  # Debian's, with python3-yaml

# Without a built UI in this tree (scripts/build-ui.sh) a stand-in page
# proves the image serves whatever UI it was given.
if [[ ! -f $LOUPE_SRC/ui/dist/index.html ]]; then
  echo "note: ui/dist not built: using a stand-in page"
  export LOUPE_UI_DIR=$WORK/ui
  mkdir -p "$LOUPE_UI_DIR" && echo "<!doctype html><title>stand-in $RANDOM</title>" >"$LOUPE_UI_DIR/index.html"
fi
UI_INDEX=${LOUPE_UI_DIR:-$LOUPE_SRC/ui/dist}/index.html

log "build the image"
started=$(date +%s)
"$LOUPE_SRC/scripts/build-image.sh" --build "$BUILD" --out "$WORK/loupe-image.tar" >"$WORK/build.log" 2>&1 \
  || { cat "$WORK/build.log"; fail "build-image.sh"; finish; }
log "$(tail -2 "$WORK/build.log" | head -1) in $(($(date +%s) - started)) s"
assert_le "image archive size (MiB)" 25 "$(du -m "$WORK/loupe-image.tar" | cut -f1)"
IMAGE=$($PY -c 'import sys, yaml; v = yaml.safe_load(open(sys.argv[1]))["image"]; print(v["repository"] + ":" + str(v["tag"]))' \
  "$LOUPE_SRC/deploy/helm/loupe/values.yaml")
mkdir "$WORK/oci" && tar -xf "$WORK/loupe-image.tar" -C "$WORK/oci"
assert_eq "archive's name = the chart's default image" "$IMAGE" \
  "$(jq -r '.manifests[0].annotations["org.opencontainers.image.ref.name"]' "$WORK/oci/index.json")"
assert_eq "docker-archive name too" "$IMAGE" "$(jq -r '.[0].RepoTags[0]' "$WORK/oci/manifest.json")"
files=$(for layer in $(jq -r '.[0].Layers[]' "$WORK/oci/manifest.json"); do tar -tzf "$WORK/oci/$layer"; done)
for f in usr/bin/loupe usr/share/loupe/ui/index.html etc/ssl/certs/ca-certificates.crt etc/passwd; do
  grep -qx "\(\./\)\?$f" <<<"$files" && pass "image holds $f" || fail "image lacks $f"
done
for f in bin/sh usr/bin/bash usr/bin/apt usr/bin/dpkg usr/bin/gcc usr/bin/openssl; do
  grep -qx "\(\./\)\?$f" <<<"$files" && fail "image holds $f" || pass "image has no $f"
done

P=(podman --root "$WORK/podman/root" --runroot "$WORK/podman/run" --storage-driver vfs --runtime runc)
RUN=("${P[@]}" run -d --ulimit "nofile=$(ulimit -n):$(ulimit -Hn)" --ulimit nproc=4096:4096)
loaded=$("${P[@]}" load -i "$WORK/loupe-image.tar" 2>&1) || fail "podman load: $loaded"
grep -q "Loaded image.*$IMAGE" <<<"$loaded" && pass "podman load names it $IMAGE" || fail "podman load: $loaded"
# The OCI layout alone names it too (what docker load 25+ and skopeo read).
"${P[@]}" rmi -f "$IMAGE" >/dev/null
"${P[@]}" pull -q "oci-archive:$WORK/loupe-image.tar" >/dev/null 2>&1 && "${P[@]}" image exists "$IMAGE" \
  && pass "the OCI layout names it $IMAGE" || fail "oci-archive: $IMAGE not there"
assert_eq "image user" 65534:65534 "$("${P[@]}" image inspect -f '{{.Config.User}}' "$IMAGE")"

# Both containers share a network namespace of the test's own, as a pod's
# containers would; "loupe-server" (the chart's Service) is 127.0.0.1 in it.
NS=loupe-image-$$
ip netns add "$NS" && ip -n "$NS" link set lo up
stop_containers() {
  "${P[@]}" rm -f -t 2 loupe-agent-$$ loupe-server-$$ >/dev/null 2>&1 || true
  ip netns del "$NS" 2>/dev/null || true
}
trap 'stop_containers; cleanup' EXIT
in_ns() { ip netns exec "$NS" "$@"; }
# podman_args MANIFEST KIND [--map ...]: the container's options, the image, its args.
podman_args() { $PY "$LOUPE_SRC/tests/e2e/pod_to_podman.py" "$@" | sed "s#^@IMAGE@\$#$IMAGE#"; }

mkdir -p "$WORK/secret" "$WORK/data" "$WORK/spool" "$WORK/pod-logs"
openssl rand -hex 16 >"$WORK/secret/token"
chmod 644 "$WORK/secret/token"  # a Secret volume's default mode
chown 65534:65534 "$WORK/data"   # the chart's fsGroup on the claim
TOKEN=$(cat "$WORK/secret/token")

log "server: as the StatefulSet runs it"
mapfile -t server_args < <(podman_args "$LOUPE_SRC/deploy/manifests/server.yaml" StatefulSet \
  --map token="$WORK/secret" --map data="$WORK/data")
"${RUN[@]}" --name loupe-server-$$ --network "ns:/run/netns/$NS" "${server_args[@]}" >/dev/null \
  || { fail "server container did not start"; finish; }
api() { in_ns curl -sf -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:8080$1"; }
for i in $(seq 1 100); do api /api/v1/status >/dev/null && break; sleep 0.1; done
assert_eq "server API answers with the token" 0.1.0 "$(api /api/v1/status | jq -r .version)"
in_ns curl -s http://127.0.0.1:8080/ >"$WORK/page.html"
cmp -s "$WORK/page.html" "$UI_INDEX" && pass "server serves the UI" || fail "UI: $(head -c 200 "$WORK/page.html")"
assert_eq "the server's own checks (Status page): data directory writable as nobody" "true pass" \
  "$(api /api/v1/doctor | jq -r '[.ok, (.checks[] | select(.name == "data directory writable") | .status)] | join(" ")')"
pid=$("${P[@]}" inspect -f '{{.State.Pid}}' loupe-server-$$)
assert_eq "server's uid (real, effective, saved, fs)" "65534 65534 65534 65534" \
  "$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$pid/status")"
assert_eq "server's capabilities" 0000000000000000 "$(awk '/^CapEff:/ { print $2 }' "/proc/$pid/status")"
assert_eq "read-only root file system" true "$("${P[@]}" inspect -f '{{.HostConfig.ReadonlyRootfs}}' loupe-server-$$)"
ls "$WORK/data" | grep -q . && pass "store written to the data volume: $(ls "$WORK/data" | tr '\n' ' ')" \
  || fail "nothing in the data volume"

# runtime_default_seccomp OUT: podman's default profile with bpf() allowed
# to CAP_BPF and perf_event_open() to CAP_PERFMON, as in containerd's.
runtime_default_seccomp() {
  $PY - /usr/share/containers/seccomp.json "$1" <<'PY'
import json, sys
profile = json.load(open(sys.argv[1]))
moved = {"bpf": "CAP_BPF", "perf_event_open": "CAP_PERFMON"}
for rule in profile["syscalls"]:  # out of the CAP_SYS_ADMIN-only rules
    rule["names"] = [n for n in rule["names"] if n not in moved]
profile["syscalls"] = [r for r in profile["syscalls"] if r["names"]]
for name, cap in moved.items():
    for c in (cap, "CAP_SYS_ADMIN"):
        profile["syscalls"].append({"names": [name], "action": "SCMP_ACT_ALLOW", "includes": {"caps": [c]}})
json.dump(profile, open(sys.argv[2], "w"))
PY
}

log "agent: as the DaemonSet runs it"
runtime_default_seccomp "$WORK/seccomp.json"
mapfile -t agent_args < <(podman_args "$LOUPE_SRC/deploy/manifests/agent.yaml" DaemonSet \
  --map token="$WORK/secret" --map spool="$WORK/spool" --map pod-logs="$WORK/pod-logs" \
  --env NODE_NAME="$(hostname)" --seccomp "$WORK/seccomp.json")
grep -q -- "--privileged" <<<"${agent_args[*]}" && fail "agent run privileged"
"${RUN[@]}" --name loupe-agent-$$ --network "ns:/run/netns/$NS" --add-host loupe-server:127.0.0.1 \
  "${agent_args[@]}" >/dev/null || { fail "agent container did not start"; finish; }
for i in $(seq 1 150); do
  [[ $("${P[@]}" inspect -f '{{.State.Running}}' loupe-agent-$$) == true ]] || break
  "${P[@]}" logs loupe-agent-$$ 2>&1 | grep -q "sending to" && break
  sleep 0.2
done
"${P[@]}" logs loupe-agent-$$ 2>&1 | grep -q "sending to" && pass "agent attached and sending" \
  || fail "agent: $("${P[@]}" logs loupe-agent-$$ 2>&1 | tail -5)"
pid=$("${P[@]}" inspect -f '{{.State.Pid}}' loupe-agent-$$)
[[ $pid -gt 0 ]] || { fail "agent container exited"; finish; }
# The chart's capabilities, as far as this machine has them (CI's own
# bounding set lacks CAP_SYS_RESOURCE, which is why the ulimits above are
# explicit): the agent holds exactly those.
cap_mask() {
  local mask=0 cap
  for cap in "$@"; do
    mask=$((mask | 1 << $(awk -v c="CAP_$cap" '$1 == "#define" && $2 == c { print $3 }' /usr/include/linux/capability.h)))
  done
  printf '%016x' $((mask & 0x$(awk '/^CapBnd:/ { print $2 }' /proc/self/status)))
}
mapfile -t chart_caps < <(grep -- '--cap-add=' <<<"$(printf '%s\n' "${agent_args[@]}")" | cut -d= -f2)
assert_eq "agent's bounding capabilities: the chart's ${chart_caps[*]}" "$(cap_mask "${chart_caps[@]}")" \
  "$(awk '/^CapBnd:/ { print $2 }' "/proc/$pid/status")"

# loupe doctor where the agent runs: the same privileges pass every check,
# reach the server with the token, and capture its canary.
rc=0; out=$("${P[@]}" exec loupe-agent-$$ /usr/bin/loupe doctor -o json --data-dir /var/lib/loupe/agent-spool \
  --server http://loupe-server:8080 --token-file /etc/loupe/token) || rc=$?
assert_eq "loupe doctor in the agent container: exit code" 0 "$rc"
for c in "capabilities" "raw tracepoints and ring buffers" "server reachable, token accepted" \
  "canary request captured"; do
  assert_eq "doctor in the agent container: $c" pass "$(jq -r --arg n "$c" '.checks[] | select(.name == $n) | .status' <<<"$out")"
done

# Requests made on the host, outside every container.
port=$(free_port)
python3 "$LOUPE_SRC/tests/e2e/http_server.py" "$port" 2>/dev/null &
PIDS+=($!)
wait_for_port "$port"
for i in 1 2 3 4 5; do curl -s "http://127.0.0.1:$port/k/image-$$" >/dev/null; done
seen=0
for i in $(seq 1 100); do
  api "/api/v1/requests?limit=100" | jq -c --arg p "/k/image-$$" '[.[] | select(.path == $p and .role == "server")]' >"$WORK/seen.json"
  seen=$(jq length "$WORK/seen.json")
  [[ $seen -ge 5 ]] && break
  sleep 0.2
done
assert_eq "host requests captured by the agent container, stored by the server container" 5 "$seen"
assert_eq "their status" 200 "$(jq -r '.[0].status' "$WORK/seen.json")"
assert_eq "their node (NODE_NAME from the DaemonSet's fieldRef)" "$(hostname)" "$(jq -r '.[0].node' "$WORK/seen.json")"
finish
