#!/usr/bin/env bash
# Kubernetes inventory and attribution from the first second, end to end,
# on a node emulated on this host (tests/e2e/k8s_node.sh): a running
# `loupe cluster` watches the fake API server and feeds `loupe run`.
#  - A new pod serves (and is called) before the API has its IP and
#    container: its requests must still name it, on both sides.
#  - A pod takes the IP of a pod deleted a moment before, and serves before
#    either change reaches Loupe: its requests must name it, not the old pod,
#    and the old pod's earlier requests keep the old name.
#  - Inventory: a workload with no traffic listed with its pods, the
#    OOMKilled last termination, node conditions and versions, a pod object
#    with missing fields counted and skipped, `loupe query workloads|pods|nodes`.
#  - Metrics of a pod sampled before the API knows it: held, then stored
#    under the pod's name (docs/metrics.md, "Entities").
#  - TCP health pod to pod: web's connects to a closed port of api-new are
#    web's connect failures, to a port api-new drops SYNs to retransmits
#    and a failure; web's connect time; api-new's accepts from web, and the
#    RST web resets a connection with, count for api-new.
source "$(dirname "$0")/lib.sh"
require_root
for tool in ip jq curl openssl python3; do
  command -v $tool > /dev/null || { echo "needs $tool" >&2; exit 1; }
done
source "$(dirname "$0")/k8s_node.sh"
trap 'teardown_node; cleanup' EXIT

NS=e2e-new
TAG=$$
IP_WEB=10.244.81.20 IP_OLD=10.244.81.10 IP_NEW=10.244.81.30
PORT=8080
UID_WEB=$(new_uid) UID_OLD=$(new_uid) UID_NEW=$(new_uid) UID_REUSE=$(new_uid)
CID_WEB=$(new_cid) CID_OLD=$(new_cid) CID_NEW=$(new_cid) CID_REUSE=$(new_cid)

# pod_json NAME APP UID IP CID PHASE [START_ISO] [TERMINATED_AT_ISO]: a Pod
# as the API server returns it (Pending pods have no IP and no container id).
pod_json() {
  python3 - "$NS" "$@" <<'PY'
import json, sys, datetime
ns, name, app, uid, ip, cid, phase = sys.argv[1:8]
start = sys.argv[8] if len(sys.argv) > 8 else datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
ended = sys.argv[9] if len(sys.argv) > 9 else ""
pod = {"apiVersion": "v1", "kind": "Pod",
       "metadata": {"name": name, "namespace": ns, "uid": uid, "creationTimestamp": start,
                    "labels": {"app": app, "pod-template-hash": "5c6d7"},
                    "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": app + "-5c6d7",
                                         "uid": "rs-" + app, "controller": True}]},
       "spec": {"nodeName": "node-1",
                "containers": [{"name": app, "image": "ghcr.io/acme/%s:1" % app,
                                "resources": {"requests": {"cpu": "100m", "memory": "64Mi"},
                                              "limits": {"memory": "128Mi"}}}]},
       "status": {"phase": phase, "qosClass": "Burstable"}}
if phase != "Pending":
    state = {"running": {"startedAt": start}} if not ended else \
            {"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": start, "finishedAt": ended}}
    pod["status"].update({"podIP": ip, "podIPs": [{"ip": ip}], "startTime": start,
                          "conditions": [{"type": "Ready", "status": "False" if ended else "True"}],
                          "containerStatuses": [{"name": app, "image": "ghcr.io/acme/%s:1" % app,
                                                 "containerID": "containerd://" + cid, "ready": not ended,
                                                 "restartCount": 0, "state": state, "lastState": {}}]})
print(json.dumps(pod))
PY
}
now_iso() { date -u +%Y-%m-%dT%H:%M:%SZ; }

log "emulated node: web ($IP_WEB) and api-old ($IP_OLD)"
make_pod lpw-$TAG lpw$TAG $IP_WEB $UID_WEB $CID_WEB
make_pod lpo-$TAG lpo$TAG $IP_OLD $UID_OLD $CID_OLD
START=$(date -u -d '-5 min' +%Y-%m-%dT%H:%M:%SZ)
python3 - "$WORK/cluster.json" "$NS" "$START" \
  "$(pod_json web-5c6d7-w web $UID_WEB $IP_WEB $CID_WEB Running "$START")" \
  "$(pod_json api-5c6d7-old api $UID_OLD $IP_OLD $CID_OLD Running "$START")" <<'PY'
import json, sys
out, ns, start, web, old = sys.argv[1:6]
def owner(kind, name):
    return [{"apiVersion": "apps/v1", "kind": kind, "name": name, "uid": kind + name, "controller": True}]
def template(image):
    return {"metadata": {"labels": {}}, "spec": {"containers": [{"name": "c", "image": image}]}}
def rs(app):
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": app + "-5c6d7", "namespace": ns, "uid": "rs-" + app,
                         "ownerReferences": owner("Deployment", app)},
            "spec": {"replicas": 1, "template": template("ghcr.io/acme/%s:1" % app)},
            "status": {"replicas": 1, "readyReplicas": 1}}
def dep(app):
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": app, "namespace": ns, "uid": "dep-" + app},
            "spec": {"replicas": 1, "template": template("ghcr.io/acme/%s:1" % app)},
            "status": {"replicas": 1, "readyReplicas": 1, "availableReplicas": 1}}
# A StatefulSet that serves nothing, whose pod was OOM-killed once.
db = {"apiVersion": "v1", "kind": "Pod",
      "metadata": {"name": "db-0", "namespace": ns, "uid": "db0-uid", "creationTimestamp": start,
                   "ownerReferences": owner("StatefulSet", "db")},
      "spec": {"nodeName": "node-1", "containers": [{"name": "postgres", "image": "postgres:16",
               "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": "500m", "memory": "1Gi"}}}]},
      "status": {"phase": "Running", "podIP": "10.244.81.99", "podIPs": [{"ip": "10.244.81.99"}],
                 "startTime": start, "qosClass": "Guaranteed",
                 "conditions": [{"type": "Ready", "status": "True"}],
                 "containerStatuses": [{"name": "postgres", "image": "postgres:16", "ready": True,
                                        "containerID": "containerd://" + "d" * 64, "restartCount": 1,
                                        "state": {"running": {"startedAt": start}},
                                        "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled",
                                                                     "startedAt": start, "finishedAt": start}}}]}}
sts = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db", "namespace": ns, "uid": "sts-db"},
       "spec": {"replicas": 1, "serviceName": "db", "template": template("postgres:16")},
       "status": {"replicas": 1, "readyReplicas": 1, "currentReplicas": 1}}
# Objects with fields missing: no uid (skipped, counted), no status at all (listed, empty).
broken = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "no-uid", "namespace": ns}}
bare = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bare", "namespace": ns, "uid": "bare-uid"}}
node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-1", "uid": "n1"},
        "status": {"conditions": [
                     {"type": "MemoryPressure", "status": "False", "reason": "KubeletHasSufficientMemory"},
                     {"type": "DiskPressure", "status": "True", "reason": "KubeletHasDiskPressure"},
                     {"type": "PIDPressure", "status": "False", "reason": "KubeletHasSufficientPID"},
                     {"type": "Ready", "status": "True", "reason": "KubeletReady"}],
                   "capacity": {"cpu": "2", "memory": "24Gi", "pods": "110"},
                   "allocatable": {"cpu": "1800m", "memory": "23Gi", "pods": "110"},
                   "nodeInfo": {"kernelVersion": "6.1.0-e2e", "kubeletVersion": "v1.31.4",
                                "osImage": "Debian GNU/Linux 12 (bookworm)",
                                "containerRuntimeVersion": "containerd://1.7.24"}}}
json.dump({"pods": [json.loads(web), json.loads(old), db, broken, bare],
           "replicasets": [rs("web"), rs("api")], "deployments": [dep("web"), dep("api")],
           "statefulsets": [sts], "daemonsets": [], "jobs": [], "cronjobs": [],
           "services": [], "endpointslices": [], "nodes": [node], "events": []}, open(out, "w"))
PY
start_fake_apiserver "$WORK/cluster.json"
start_run --metrics-interval 1s
"$LOUPE" cluster --kubeconfig "$WORK/kubeconfig" --server "$API" > "$WORK/cluster.out" 2> "$WORK/cluster.err" &
PIDS+=($!)
for _ in $(seq 100); do
  [[ $(api /api/v1/status | jq -r .k8s.active) == true ]] && break
  sleep 0.1
done

log "inventory"
WL=$(api "/api/v1/workloads?namespace=$NS")
assert_eq "a workload with no traffic is listed with its pod" "1 1 false" \
  "$(jq -r ".[] | select(.name==\"$NS/StatefulSet/db\") | \"\(.pods) \(.desired_replicas) \(.traffic)\"" <<< "$WL")"
assert_eq "its pod's last termination" "OOMKilled 137 Guaranteed" \
  "$(api "/api/v1/pods?workload=$NS/StatefulSet/db" | jq -r '.[0] | "\(.containers[0].last_termination.reason) \(.containers[0].last_termination.exit_code) \(.qos_class)"')"
assert_eq "a pod object with no status is listed, empty" "bare  0" \
  "$(api "/api/v1/pods?namespace=$NS" | jq -r '.[] | select(.pod=="bare") | "\(.pod) \(.phase) \(.containers | length)"')"
assert_ge "a pod object with no uid is skipped and counted" 1 \
  "$(api /api/v1/status | jq ".k8s.skipped_objects // -1")"
assert_eq "node conditions, allocatable CPU and versions" "true True 1.8 v1.31.4 6.1.0-e2e" \
  "$(api /api/v1/nodes | jq -r '.[0] | "\(.ready) \(.conditions[] | select(.type=="DiskPressure") | .status) \(.allocatable.cpu_cores) \(.kubelet_version) \(.kernel_version)"')"
out=$("$LOUPE" query workloads --server "$API" --namespace $NS)
grep -qE "^$NS/StatefulSet/db +1/1 +1 " <<< "$out" && pass "query workloads: db 1/1 ready, 1 pod" || fail "query workloads: $out"
out=$("$LOUPE" query pods --server "$API" --workload $NS/StatefulSet/db)
grep -q "postgres: OOMKilled (137)" <<< "$out" && pass "query pods: the last termination" || fail "query pods: $out"
out=$("$LOUPE" query nodes --server "$API")
grep -qE "^node-1 +Ready +DiskPressure " <<< "$out" && pass "query nodes: DiskPressure" || fail "query nodes: $out"

log "old pod serves; web calls it"
(in_pod $UID_OLD $CID_OLD lpo-$TAG python3 "$POD_SERVER" $PORT 0.0.0.0) &
OLD_PID=$!
PIDS+=($OLD_PID)
wait_for_port $PORT $IP_OLD
sleep 0.5  # the agent learns the listener
for i in 1 2; do (in_pod $UID_WEB $CID_WEB lpw-$TAG curl -sf -o /dev/null "http://$IP_OLD:$PORT/old/$i") || fail "curl old"; done

log "a new pod serves before the API has its IP and container"
api_apply pods ADDED "$(pod_json api-5c6d7-new api $UID_NEW "" "" Pending)"
make_pod lpn-$TAG lpn$TAG $IP_NEW $UID_NEW $CID_NEW
T_NEW=$(now_iso)
(in_pod $UID_NEW $CID_NEW lpn-$TAG python3 "$POD_SERVER" $PORT 0.0.0.0) &
PIDS+=($!)
wait_for_port $PORT $IP_NEW
# calls WEB PREFIX IP: three calls from web, in the background (CALLS_PID).
calls() {
  (for i in 1 2 3; do (in_pod $UID_WEB $CID_WEB lpw-$TAG curl -sf -o /dev/null "http://$2:$PORT/$1/$i") || exit 1; done) &
  CALLS_PID=$!
}
calls new $IP_NEW
sleep 0.3  # the kubelet's status update reaches the API a moment later
api_apply pods MODIFIED "$(pod_json api-5c6d7-new api $UID_NEW $IP_NEW $CID_NEW Running "$T_NEW")"
wait $CALLS_PID || fail "calls to the new pod"

log "the old pod stops; a new pod gets its IP and serves before either change reaches Loupe"
kill $OLD_PID
wait $OLD_PID 2> /dev/null || true
sleep 1  # timestamps are whole seconds: keep the old calls before T_STOP
T_STOP=$(now_iso)
pod_net_down lpo-$TAG lpo$TAG $IP_OLD
sleep 1  # CNI hands the address out again; timestamps are whole seconds
make_pod lpr-$TAG lpr$TAG $IP_OLD $UID_REUSE $CID_REUSE
T_REUSE=$(now_iso)
(in_pod $UID_REUSE $CID_REUSE lpr-$TAG python3 "$POD_SERVER" $PORT 0.0.0.0) &
PIDS+=($!)
wait_for_port $PORT $IP_OLD
calls reuse $IP_OLD
sleep 0.3
api_apply pods ADDED "$(pod_json api-5c6d7-reuse api $UID_REUSE $IP_OLD $CID_REUSE Running "$T_REUSE")"
api_apply pods DELETED "$(pod_json api-5c6d7-old api $UID_OLD $IP_OLD $CID_OLD Running "$START" "$T_STOP")"
wait $CALLS_PID || fail "calls to the pod that reused the IP"

log "TCP health pod to pod: a closed port of api-new, and a connection web resets"
CLOSED=$(free_port)
for _ in 1 2 3; do
  (in_pod $UID_WEB $CID_WEB lpw-$TAG bash -c "exec 3<>/dev/tcp/$IP_NEW/$CLOSED" 2> /dev/null) &&
    fail "port $CLOSED of api-new is open"
done
# SO_LINGER 0: close() sends an RST instead of a FIN.
(in_pod $UID_WEB $CID_WEB lpw-$TAG python3 -c "import socket, struct, time
s = socket.create_connection(('$IP_NEW', $PORT)); time.sleep(0.2)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0)); s.close()") ||
  fail "resetting client"

# A port api-new drops SYNs to: web's connect is retransmitted, then gives up.
DROPPED=$(free_port)
ip netns exec lpn-$TAG iptables -A INPUT -p tcp --dport $DROPPED -j DROP
(in_pod $UID_WEB $CID_WEB lpw-$TAG python3 -c "import socket
try: socket.create_connection(('$IP_NEW', $DROPPED), timeout=1.5)
except OSError: pass")

log "metrics of a pod sampled before the API knows it"
UID_LATE=$(new_uid) CID_LATE=$(new_cid)
pod_cgroup $UID_LATE $CID_LATE
held() { api /api/v1/status | jq '.metric_samples.waiting_for_pod'; }
for _ in $(seq 50); do
  [[ $(held) -ge 1 ]] && break
  sleep 0.2
done
assert_ge "samples of the unknown pod wait for it" 1 "$(held)"
api_apply pods ADDED "$(pod_json late-5c6d7-l late $UID_LATE 10.244.81.40 $CID_LATE Running)"

# Both sides of every call name the callee workload as the service (other
# traffic on this busy host stays out of the newest 1000).
reqs() { api "/api/v1/requests?service=$NS/Deployment/api&limit=1000" | jq -c '[.[] | select(.path | test("^/(old|new|reuse)/"))]'; }
for _ in $(seq 100); do
  [[ $(reqs | jq length) -ge 16 ]] && break
  sleep 0.2
done
R=$(reqs)
echo "$R" | jq -c '.[] | {role, path, pod, remote_pod}' > "$WORK/records.jsonl"
side() {  # side ROLE PREFIX FIELD -> "count value(s)"
  jq -r "[.[] | select(.role==\"$1\" and (.path|startswith(\"/$2/\")))] | \"\(length) \([.[].$3] | unique | join(\",\"))\"" <<< "$R"
}
assert_eq "new pod, server side: its own name" "3 api-5c6d7-new" "$(side server new pod)"
assert_eq "new pod, client side: the callee" "3 api-5c6d7-new" "$(side client new remote_pod)"
assert_eq "reused IP, server side: the new pod" "3 api-5c6d7-reuse" "$(side server reuse pod)"
assert_eq "reused IP, client side: the new pod, not the old" "3 api-5c6d7-reuse" "$(side client reuse remote_pod)"
assert_eq "the old pod's requests keep its name" "2 api-5c6d7-old" "$(side client old remote_pod)"
assert_eq "the workload has all its pods' requests" 8 \
  "$(api "/api/v1/workloads?namespace=$NS" | jq ".[] | select(.name==\"$NS/Deployment/api\") | .requests")"

sleep 2  # the next metric tick is stored
assert_eq "the held samples were named: no series under the cgroup path" 0 \
  "$(api /api/v1/metrics/series | jq "[.[] | select(.name | contains(\"$UID_LATE\"))] | length")"
assert_ge "held samples named after the wait" 1 "$(api /api/v1/status | jq '.metric_samples.named_after_wait')"
assert_ge "the container's series under its name" 1 \
  "$(api "/api/v1/metrics?entity=container&name=$NS/late-5c6d7-l/late&metric=memory_working_set_bytes&step=10" | jq length)"
SINCE=$(($(date +%s) - 600))
tcp() {  # tcp POD METRIC PEER: the count since SINCE
  api "/api/v1/metrics?entity=pod&name=$NS/$1&metric=$2&label=$3&from=$SINCE&step=60" | jq '[.[].value] | add'
}
assert_eq "web's connect failures to the closed port of api-new" 3 "$(tcp web-5c6d7-w tcp_connect_failures $IP_NEW:$CLOSED)"
assert_eq "refused" 3 "$(tcp web-5c6d7-w tcp_connect_refused $IP_NEW:$CLOSED)"
assert_eq "web's connects to api-new's port" 4 "$(tcp web-5c6d7-w tcp_connects $IP_NEW:$PORT)"
assert_ge "web's SYNs to the dropping port retransmitted" 1 "$(tcp web-5c6d7-w tcp_retransmits $IP_NEW:$DROPPED)"
assert_eq "and the connect counted as failed" 1 "$(tcp web-5c6d7-w tcp_connect_failures $IP_NEW:$DROPPED)"
CONNECT_S=$(api "/api/v1/metrics?entity=pod&name=$NS/web-5c6d7-w&metric=tcp_connect_time_seconds&label=$IP_NEW:$PORT&from=$SINCE&step=60" | jq '.[0].value')
awk -v s="$CONNECT_S" 'BEGIN { exit !(s > 0 && s < 0.5) }' && pass "connect time to api-new ${CONNECT_S}s" ||
  fail "connect time $CONNECT_S"
assert_eq "api-new accepted web's 4 connections" 4 "$(tcp api-5c6d7-new tcp_accepts $IP_WEB)"
assert_eq "api-new received web's reset" 1 "$(tcp api-5c6d7-new tcp_resets_received $IP_WEB)"

kill -INT $RUN_PID
wait $RUN_PID || true
finish
