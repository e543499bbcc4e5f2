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
# and the fake server's OOMKilled must reach /api/v1/events. A busy loop in
# pod A must show in the CPU profile of its pod and workload, not pod B's.
# Every address is a private test address on this host's own veths and lo.
source "$(dirname "$0")/lib.sh"
require_root
for tool in ip iptables jq curl openssl python3; do
  command -v $tool > /dev/null || { echo "needs $tool" >&2; exit 1; }
done

source "$(dirname "$0")/k8s_node.sh"
trap 'teardown_node; cleanup' EXIT

NS=e2e-shop
TAG=$$
NS_A=loupe-a-$TAG NS_B=loupe-b-$TAG
VETH_A=lpa$TAG VETH_B=lpb$TAG
IP_A=10.244.77.10 IP_B=10.244.78.20 CLUSTER_IP=10.96.77.10
APP_PORT=8080 SVC_PORT=80
UID_A=$(new_uid) UID_B=$(new_uid)
CID_A=$(new_cid) CID_B=$(new_cid)
DNAT=(-d $CLUSTER_IP/32 -p tcp --dport $SVC_PORT -j DNAT --to-destination $IP_A:$APP_PORT)

log "emulated node: pods $IP_A (api) and $IP_B (web), Service $CLUSTER_IP:$SVC_PORT"
make_pod $NS_A $VETH_A $IP_A $UID_A $CID_A
make_pod $NS_B $VETH_B $IP_B $UID_B $CID_B
ip addr add $CLUSTER_IP/32 dev lo
NODE_ON_EXIT+=("ip addr del $CLUSTER_IP/32 dev lo")
iptables -t nat -A OUTPUT "${DNAT[@]}"
iptables -t nat -A PREROUTING "${DNAT[@]}"
NODE_ON_EXIT+=("iptables -t nat -D OUTPUT ${DNAT[*]}" "iptables -t nat -D PREROUTING ${DNAT[*]}")

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

start_fake_apiserver "$WORK/cluster.json"
start_run --profile-hz 97

log "loupe cluster --once: snapshot and events to the server"
"$LOUPE" cluster --kubeconfig "$WORK/kubeconfig" --server "$API" --once
assert_eq "events: OOMKilled of api's container" \
  "api-6f7d8-aaaaa api 137" \
  "$(api "/api/v1/events?reason=OOMKilled&namespace=$NS" | jq -r '.[0] | "\(.name) \(.container) \(.exit_code)"')"

# Burns CPU in pod A while the rest runs; its profile is checked at the end.
(in_pod $UID_A $CID_A $NS_A sh -c 'while :; do :; done') &
BUSY=$!
PIDS+=($BUSY)

log "pod A serves HTTP; pod B calls its IP 3 times and the ClusterIP 2 times"
(in_pod $UID_A $CID_A $NS_A python3 "$POD_SERVER" $APP_PORT 0.0.0.0) &
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

log "CPU profile: pod A's busy loop under its pod and workload"
# Folded stacks ("process;frame;... samples"), not the JSON tree: a tree of
# 127-frame stacks nests deeper than jq 1.6 parses (256 levels).
profile_of() {
  api "/api/v1/profile?$1&from=$(($(date +%s) - 600))&format=folded" |
    awk '{ chain = $0; sub(/ [0-9]+$/, "", chain); sub(/;.*/, "", chain) }
         chain == "sh" { n += $NF } END { print n + 0 }'
}
for _ in $(seq 40); do
  [[ $(profile_of "workload=$NS/Deployment/api") -ge 50 ]] && break
  sleep 0.5
done
assert_ge "profile of workload $NS/Deployment/api: samples of the busy loop" 50 "$(profile_of "workload=$NS/Deployment/api")"
assert_ge "profile of pod $NS/api-6f7d8-aaaaa: samples of the busy loop" 50 "$(profile_of "pod=$NS/api-6f7d8-aaaaa")"
assert_eq "profile of pod $NS/web-6f7d8-bbbbb: none of them" 0 "$(profile_of "pod=$NS/web-6f7d8-bbbbb")"
kill $BUSY

kill -INT $RUN_PID
wait $RUN_PID || true
finish
