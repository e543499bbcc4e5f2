#!/usr/bin/env bash
# Kubernetes attribution end to end, on a node emulated on this host
# (docs/kubernetes.md, "How the tests emulate a cluster"): two "pods", each
# a network namespace with a veth, a /32 pod IP routed through the host
# (Calico's layout) and its processes in a kubelet-style cgroup
# (/kubepods/besteffort/pod<uid>/<container id>); a Service ClusterIP on lo
# with DNAT to pod A. The fake API server serves matching Pod, ReplicaSet,
# Deployment, Service and Node objects; `loupe cluster --once` sends them to
# `loupe run`, then pod B curls pod A's IP and the ClusterIP. Records must
# name namespace/pod/workload on both sides, the ClusterIP call the Service,
# and the fake server's OOMKilled must reach /api/v1/events.
# Every address is a private test address on this host's own veths and lo.
source "$(dirname "$0")/lib.sh"
require_root
for tool in ip iptables jq curl openssl python3; do
  command -v $tool > /dev/null || { echo "needs $tool" >&2; exit 1; }
done

NS=e2e-shop
TAG=$$
NS_A=loupe-a-$TAG NS_B=loupe-b-$TAG
VETH_A=lpa$TAG VETH_B=lpb$TAG
IP_A=10.244.77.10 IP_B=10.244.78.20 CLUSTER_IP=10.96.77.10
APP_PORT=8080 SVC_PORT=80
UID_A=$(python3 -c 'import uuid; print(uuid.uuid4())')
UID_B=$(python3 -c 'import uuid; print(uuid.uuid4())')
CID_A=$(openssl rand -hex 32)
CID_B=$(openssl rand -hex 32)
CG_CONTROLLERS=(unified systemd memory pids)
OLD_FORWARD=$(sysctl -n net.ipv4.ip_forward)
DNAT=(-d $CLUSTER_IP/32 -p tcp --dport $SVC_PORT -j DNAT --to-destination $IP_A:$APP_PORT)

cg_dir() {  # cg_dir CONTROLLER UID CID
  echo "/sys/fs/cgroup/$1/kubepods/besteffort/pod$2/$3"
}

teardown_node() {
  local pid c uid cid uc
  # Processes first: a cgroup with members cannot be removed.
  for pid in "${PIDS[@]}"; do kill "$pid" 2> /dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2> /dev/null || true; done
  ip netns del $NS_A 2> /dev/null || true
  ip netns del $NS_B 2> /dev/null || true
  ip link del $VETH_A 2> /dev/null || true
  ip link del $VETH_B 2> /dev/null || true
  ip route del $IP_A/32 2> /dev/null || true
  ip route del $IP_B/32 2> /dev/null || true
  iptables -t nat -D OUTPUT "${DNAT[@]}" 2> /dev/null || true
  iptables -t nat -D PREROUTING "${DNAT[@]}" 2> /dev/null || true
  ip addr del $CLUSTER_IP/32 dev lo 2> /dev/null || true
  sysctl -qw net.ipv4.ip_forward="$OLD_FORWARD" || true
  for c in "${CG_CONTROLLERS[@]}"; do
    for uc in "$UID_A $CID_A" "$UID_B $CID_B"; do
      read -r uid cid <<< "$uc"
      rmdir "$(cg_dir $c $uid $cid)" "/sys/fs/cgroup/$c/kubepods/besteffort/pod$uid" 2> /dev/null || true
    done
    # Only when no one else (a real kubelet) uses them.
    rmdir "/sys/fs/cgroup/$c/kubepods/besteffort" "/sys/fs/cgroup/$c/kubepods" 2> /dev/null || true
  done
}
trap 'teardown_node; cleanup' EXIT

make_pod() {  # make_pod NETNS VETH IP UID CID
  local ns=$1 veth=$2 ip=$3 c
  ip netns add $ns
  ip link add $veth type veth peer name eth0 netns $ns
  ip -n $ns addr add $ip/32 dev eth0
  ip -n $ns link set lo up
  ip -n $ns link set eth0 up
  ip -n $ns route add 169.254.1.1 dev eth0 scope link
  ip -n $ns route add default via 169.254.1.1 dev eth0
  ip link set $veth up
  ip route add $ip/32 dev $veth
  sysctl -qw net.ipv4.conf.$veth.proxy_arp=1 net.ipv4.neigh.$veth.proxy_delay=0
  for c in "${CG_CONTROLLERS[@]}"; do mkdir -p "$(cg_dir $c $4 $5)"; done
}

# in_pod UID CID NETNS CMD...: runs CMD in the pod's cgroups, then its
# netns (ip netns exec remounts /sys, so the cgroup move comes first).
in_pod() {
  local uid=$1 cid=$2 ns=$3 c
  shift 3
  for c in "${CG_CONTROLLERS[@]}"; do echo $BASHPID > "$(cg_dir $c $uid $cid)/cgroup.procs"; done
  exec ip netns exec $ns "$@"
}

log "emulated node: pods $IP_A (api) and $IP_B (web), Service $CLUSTER_IP:$SVC_PORT"
sysctl -qw net.ipv4.ip_forward=1
make_pod $NS_A $VETH_A $IP_A $UID_A $CID_A
make_pod $NS_B $VETH_B $IP_B $UID_B $CID_B
ip addr add $CLUSTER_IP/32 dev lo
iptables -t nat -A OUTPUT "${DNAT[@]}"
iptables -t nat -A PREROUTING "${DNAT[@]}"

# The Kubernetes objects of those pods, for the fake API server.
python3 - "$WORK/cluster.json" <<PY
import json, sys, datetime
now = datetime.datetime.now(datetime.timezone.utc)
ts = lambda d: (now - datetime.timedelta(minutes=d)).strftime("%Y-%m-%dT%H:%M:%SZ")
def pod(name, app, uid, ip, cid, last_state):
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "$NS", "uid": uid,
                         "labels": {"app": app, "pod-template-hash": "6f7d8"},
                         "creationTimestamp": ts(10),
                         "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                              "name": app + "-6f7d8", "uid": "rs-" + app,
                                              "controller": True}]},
            "spec": {"nodeName": "node-1", "containers": [{"name": app, "image": app}]},
            "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}],
                       "startTime": ts(10), "qosClass": "BestEffort",
                       "containerStatuses": [{"name": app, "containerID": "containerd://" + cid,
                                              "ready": True, "restartCount": 1 if last_state else 0,
                                              "state": {"running": {"startedAt": ts(2)}},
                                              "lastState": last_state}]}}
oom = {"terminated": {"exitCode": 137, "reason": "OOMKilled", "startedAt": ts(10),
                      "finishedAt": ts(2), "containerID": "containerd://" + "0" * 64}}
def rs(app):
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": app + "-6f7d8", "namespace": "$NS", "uid": "rs-" + app,
                         "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment",
                                              "name": app, "uid": "dep-" + app, "controller": True}]},
            "spec": {"selector": {"matchLabels": {"app": app}}}}
def dep(app):
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": app, "namespace": "$NS", "uid": "dep-" + app},
            "spec": {"selector": {"matchLabels": {"app": app}}}}
fixtures = {
    "pods": [pod("api-6f7d8-aaaaa", "api", "$UID_A", "$IP_A", "$CID_A", oom),
             pod("web-6f7d8-bbbbb", "web", "$UID_B", "$IP_B", "$CID_B", {})],
    "replicasets": [rs("api"), rs("web")],
    "deployments": [dep("api"), dep("web")],
    "services": [{"apiVersion": "v1", "kind": "Service",
                  "metadata": {"name": "api", "namespace": "$NS", "uid": "svc-api"},
                  "spec": {"type": "ClusterIP", "clusterIP": "$CLUSTER_IP",
                           "clusterIPs": ["$CLUSTER_IP"], "selector": {"app": "api"},
                           "ports": [{"port": $SVC_PORT, "targetPort": $APP_PORT}]}}],
    "nodes": [{"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-1", "uid": "n1"},
               "status": {"conditions": [{"type": "Ready", "status": "True"}]}}],
    "endpointslices": [], "statefulsets": [], "daemonsets": [], "jobs": [], "cronjobs": [],
    "events": [],
}
json.dump(fixtures, open(sys.argv[1], "w"))
PY

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
  -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
  -keyout "$WORK/key.pem" -out "$WORK/cert.pem" > /dev/null 2>&1
python3 "$LOUPE_SRC/tests/k8s/fake_apiserver.py" --cert "$WORK/cert.pem" --key "$WORK/key.pem" \
  --token k8s-token --fixtures "$WORK/cluster.json" --port-file "$WORK/api.port" &
PIDS+=($!)
for _ in $(seq 100); do [[ -s $WORK/api.port ]] && break; sleep 0.1; done
echo k8s-token > "$WORK/k8s.token"
cat > "$WORK/kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster:
    server: https://127.0.0.1:$(cat "$WORK/api.port")
    certificate-authority-data: $(base64 -w0 < "$WORK/cert.pem")
contexts:
- name: fake
  context:
    cluster: fake
    user: loupe
current-context: fake
users:
- name: loupe
  user:
    tokenFile: $WORK/k8s.token
KC
unset KUBERNETES_SERVICE_HOST KUBERNETES_SERVICE_PORT LOUPE_TOKEN

API_PORT=$(free_port)
API="http://127.0.0.1:$API_PORT"
"$LOUPE" run --listen 127.0.0.1:$API_PORT --data-dir "$WORK/data" > "$WORK/run.out" 2> "$WORK/run.err" &
RUN_PID=$!
PIDS+=($RUN_PID)
for _ in $(seq 100); do
  grep -q "Loupe is running" "$WORK/run.out" 2> /dev/null && break
  kill -0 $RUN_PID 2> /dev/null || { cat "$WORK/run.err" >&2; exit 1; }
  sleep 0.1
done
api() { curl -s "$API$1"; }

log "loupe cluster --once: snapshot and events to the server"
"$LOUPE" cluster --kubeconfig "$WORK/kubeconfig" --server "$API" --once
assert_eq "events: OOMKilled of api's container" \
  "api-6f7d8-aaaaa api 137" \
  "$(api "/api/v1/events?reason=OOMKilled&namespace=$NS" | jq -r '.[0] | "\(.name) \(.container) \(.exit_code)"')"

log "pod A serves HTTP; pod B calls its IP 3 times and the ClusterIP 2 times"
cat > "$WORK/server.py" <<'PY'
import http.server, sys
class Server(http.server.HTTPServer):
    def server_bind(self):  # no reverse DNS lookup (no DNS in the namespace)
        self.socket.bind(self.server_address)
        self.server_name, self.server_port = "pod", self.server_address[1]
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        body = b"ok\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
Server(("0.0.0.0", int(sys.argv[1])), Handler).serve_forever()
PY
(in_pod $UID_A $CID_A $NS_A python3 "$WORK/server.py" $APP_PORT) &
PIDS+=($!)
wait_for_port $APP_PORT $IP_A
sleep 0.5  # the agent learns the listener
for i in 1 2 3; do
  (in_pod $UID_B $CID_B $NS_B curl -sf -o /dev/null "http://$IP_A:$APP_PORT/direct/$i") ||
    fail "curl to the pod IP"
done
for i in 1 2; do
  (in_pod $UID_B $CID_B $NS_B curl -sf -o /dev/null "http://$CLUSTER_IP:$SVC_PORT/viaservice/$i") ||
    fail "curl to the ClusterIP"
done

reqs() { api "/api/v1/requests?protocol=http1&limit=1000" | jq -c "[.[] | select(.path | test(\"^/(direct|viaservice)/\"))]"; }
for _ in $(seq 100); do
  [[ $(reqs | jq length) -ge 10 ]] && break
  sleep 0.2
done
R=$(reqs)
echo "$R" | jq -c '.[] | {role, path, local_addr, remote_addr, namespace, pod, container, workload, remote_pod, remote_workload, remote_service, service}' > "$WORK/records.jsonl"
assert_eq "records (both sides of 5 calls)" 10 "$(jq length <<< "$R")"
assert_eq "server side: namespace/pod/container/workload" \
  "5 $NS api-6f7d8-aaaaa api Deployment/api" \
  "$(jq -r '[.[] | select(.role=="server")] | "\(length) \(.[0].namespace) \(.[0].pod) \(.[0].container) \(.[0].workload)"' <<< "$R")"
assert_eq "server side: the caller is pod web" "5 web-6f7d8-bbbbb Deployment/web" \
  "$(jq -r '[.[] | select(.role=="server" and .remote_pod=="web-6f7d8-bbbbb")] | "\(length) \(.[0].remote_pod) \(.[0].remote_workload)"' <<< "$R")"
assert_eq "client side: namespace/pod/workload" "5 $NS web-6f7d8-bbbbb web Deployment/web" \
  "$(jq -r '[.[] | select(.role=="client")] | "\(length) \(.[0].namespace) \(.[0].pod) \(.[0].container) \(.[0].workload)"' <<< "$R")"
assert_eq "client to the pod IP: the remote pod and workload" "3 api-6f7d8-aaaaa Deployment/api" \
  "$(jq -r '[.[] | select(.role=="client" and (.path|startswith("/direct/")))] | "\(length) \(.[0].remote_pod) \(.[0].remote_workload)"' <<< "$R")"
assert_eq "client to the ClusterIP: the Service (and its workload)" "2 $NS api Deployment/api" \
  "$(jq -r '[.[] | select(.role=="client" and (.path|startswith("/viaservice/")))] | "\(length) \(.[0].remote_namespace) \(.[0].remote_service) \(.[0].remote_workload)"' <<< "$R")"
assert_eq "one Loupe service for both sides" "$NS/Deployment/api" \
  "$(jq -r '[.[].service] | unique | join(",")' <<< "$R")"
assert_eq "workload RED counts each call once" 5 \
  "$(api /api/v1/workloads | jq ".[] | select(.name==\"$NS/Deployment/api\") | .requests")"
assert_eq "pods of the workload" "api-6f7d8-aaaaa" \
  "$(api "/api/v1/pods?workload=$NS/Deployment/api" | jq -r '[.[].pod] | join(",")')"
assert_eq "service map edge web -> api" 5 \
  "$(api /api/v1/map | jq ".edges[] | select(.caller==\"$NS/Deployment/web\" and .callee==\"$NS/Deployment/api\") | .requests")"
out=$("$LOUPE" query workloads --server "$API")
grep -q "$NS/Deployment/api" <<<"$out" && pass "loupe query workloads lists the workload" || fail "query workloads: $out"
out=$("$LOUPE" query events --server "$API" --reason OOMKilled --since 24h)
grep -q "OOMKilled" <<<"$out" && pass "loupe query events shows the OOMKill" || fail "query events: $out"

kill -INT $RUN_PID
wait $RUN_PID || true
finish
