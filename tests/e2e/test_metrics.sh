#!/usr/bin/env bash
# Resource metrics and OOM kills end to end (docs/metrics.md), on a node
# emulated on this host: two "pods" in kubelet-layout cgroups
# (/kubepods/burstable/pod<uid>/<container id>) in the v1 cpu, cpuacct and
# memory hierarchies and the v2 tree, named by a fake API server through
# `loupe cluster --once`:
#   - burner: a CPU quota of 0.2 cores running stress-ng --cpu;
#     cpu_throttled_ratio and cpu_usage_cores as the cgroup's own cpu.stat
#     and cpuacct.usage say over the same window;
#   - hog: a 64 MiB memory limit; a child process allocates past it and is
#     OOM-killed while the container's main process keeps running; the event
#     must name the pod, container and process within 5 s, oom_kills = 1,
#     and the pod's state (/api/v1/pods) count it;
#   - the burner pod connecting to a closed port shows TCP connect failures.
# Node memory and CPU are checked against /proc.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/fake_k8s_api.sh"
require_root
for tool in jq curl openssl python3 stress-ng; do
  command -v $tool > /dev/null || { echo "needs $tool (scripts/setup.sh --test)" >&2; exit 1; }
done

NS=e2e-metrics
UID_BURN=$(python3 -c 'import uuid; print(uuid.uuid4())')
UID_HOG=$(python3 -c 'import uuid; print(uuid.uuid4())')
CID_BURN=$(openssl rand -hex 32)
CID_HOG=$(openssl rand -hex 32)
CG_CONTROLLERS=(unified cpu cpuacct memory)
INTERVAL=2

cg() {  # cg CONTROLLER UID [CID]
  echo "/sys/fs/cgroup/$1/kubepods/burstable/pod$2${3:+/$3}"
}

teardown_node() {
  local pid c uc uid cid
  for pid in "${PIDS[@]}"; do kill "$pid" 2> /dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2> /dev/null || true; done
  for c in "${CG_CONTROLLERS[@]}"; do
    for uc in "$UID_BURN $CID_BURN" "$UID_HOG $CID_HOG"; do
      read -r uid cid <<< "$uc"
      # Stragglers (stress-ng workers) first: a cgroup with members stays.
      for pid in $(cat "$(cg $c $uid $cid)/cgroup.procs" 2> /dev/null); do kill -9 "$pid" 2> /dev/null || true; done
      sleep 0.1
      rmdir "$(cg $c $uid $cid)" "$(cg $c $uid)" 2> /dev/null || true
    done
    rmdir "/sys/fs/cgroup/$c/kubepods/burstable" "/sys/fs/cgroup/$c/kubepods" 2> /dev/null || true
  done
}
trap 'teardown_node; cleanup' EXIT

for c in "${CG_CONTROLLERS[@]}"; do
  mkdir -p "$(cg $c $UID_BURN $CID_BURN)" "$(cg $c $UID_HOG $CID_HOG)"
done
# What the kubelet writes for limits: the quota on the pod and the container.
for dir in "$(cg cpu $UID_BURN)" "$(cg cpu $UID_BURN $CID_BURN)"; do
  echo 100000 > "$dir/cpu.cfs_period_us"
  echo 20000 > "$dir/cpu.cfs_quota_us"
done
for dir in "$(cg memory $UID_HOG)" "$(cg memory $UID_HOG $CID_HOG)"; do
  echo $((64 << 20)) > "$dir/memory.limit_in_bytes"
done

# in_pod UID CID CMD...: runs CMD in the container's cgroups.
in_pod() {
  local uid=$1 cid=$2 c
  shift 2
  for c in "${CG_CONTROLLERS[@]}"; do echo $BASHPID > "$(cg $c $uid $cid)/cgroup.procs"; done
  exec "$@"
}

python3 - "$WORK/cluster.json" <<PY
import json, sys, datetime
now = datetime.datetime.now(datetime.timezone.utc)
ts = (now - datetime.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
def pod(name, app, uid, cid):
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "$NS", "uid": uid, "labels": {"app": app},
                         "creationTimestamp": ts,
                         "ownerReferences": [{"apiVersion": "apps/v1", "kind": "StatefulSet",
                                              "name": app, "uid": "sts-" + app, "controller": True}]},
            "spec": {"nodeName": "node-1", "containers": [{"name": app, "image": app}]},
            "status": {"phase": "Running", "startTime": ts, "qosClass": "Burstable",
                       "containerStatuses": [{"name": app, "containerID": "containerd://" + cid,
                                              "ready": True, "restartCount": 0,
                                              "state": {"running": {"startedAt": ts}}}]}}
def sts(app):
    return {"apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": app, "namespace": "$NS", "uid": "sts-" + app},
            "spec": {"selector": {"matchLabels": {"app": app}}}}
json.dump({"pods": [pod("burner-0", "burner", "$UID_BURN", "$CID_BURN"),
                    pod("hog-0", "hog", "$UID_HOG", "$CID_HOG")],
           "statefulsets": [sts("burner"), sts("hog")],
           "nodes": [{"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-1", "uid": "n1"},
                      "status": {"conditions": [{"type": "Ready", "status": "True"}]}}],
           "replicasets": [], "deployments": [], "services": [], "endpointslices": [],
           "daemonsets": [], "jobs": [], "cronjobs": [], "events": []}, open(sys.argv[1], "w"))
PY
start_fake_apiserver "$WORK/cluster.json"

API_PORT=$(free_port)
API="http://127.0.0.1:$API_PORT"
# With a token `loupe run` takes the collector's snapshot (without one it
# takes no remote ingest at all).
openssl rand -hex 16 > "$WORK/loupe.token"
"$LOUPE" run --listen 127.0.0.1:$API_PORT --data-dir "$WORK/data" --metrics-interval ${INTERVAL}s \
  --alerts-eval-interval 1s --token-file "$WORK/loupe.token" > "$WORK/run.out" 2> "$WORK/run.err" &
RUN_PID=$!
PIDS+=($RUN_PID)
for _ in $(seq 100); do
  grep -q "Loupe is running" "$WORK/run.out" 2> /dev/null && break
  kill -0 $RUN_PID 2> /dev/null || { cat "$WORK/run.err" >&2; exit 1; }
  sleep 0.1
done
api() { curl -s -H "Authorization: Bearer $(cat "$WORK/loupe.token")" "$API$1"; }
"$LOUPE" cluster --kubeconfig "$WORK/kubeconfig" --server "$API" --token-file "$WORK/loupe.token" --once
HOST=$(hostname)
assert_eq "OOM tracepoint attached" true "$(api /api/v1/status | jq .agent.metrics.oom_tracepoint)"

log "burner: stress-ng --cpu 1 under a 0.2-core quota"
(in_pod $UID_BURN $CID_BURN stress-ng --cpu 1 --timeout 60s --quiet) &
PIDS+=($!)
sleep 3  # let throttling settle
periods() {  # "nr_periods nr_throttled" of a cgroup's cpu.stat
  awk '$1 == "nr_periods" { p = $2 } $1 == "nr_throttled" { t = $2 } END { print p, t }' "$1/cpu.stat"
}
read_proc() {  # "now_ns cpuacct_usage_ns busy_ticks total_ticks pod_periods pod_throttled container_periods container_throttled"
  echo "$(date +%s%N) $(cat "$(cg cpuacct $UID_BURN $CID_BURN)/cpuacct.usage")" \
    "$(awk '/^cpu / { print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9 }' /proc/stat)" \
    "$(periods "$(cg cpu $UID_BURN)") $(periods "$(cg cpu $UID_BURN $CID_BURN)")"
}
read -r T0 U0 B0 A0 PP0 PT0 CP0 CT0 <<< "$(read_proc)"
sleep 10
read -r T1 U1 B1 A1 PP1 PT1 CP1 CT1 <<< "$(read_proc)"
sleep $((INTERVAL + 1))  # the samples of that window are stored
FROM=$((T0 / 1000000000)) TO=$((T1 / 1000000000 + 1))
series() {  # series ENTITY NAME METRIC [EXTRA]: jq array of values, raw 10 s buckets
  api "/api/v1/metrics?entity=$1&name=$2&metric=$3&from=$FROM&to=$TO&step=10${4:-}" | jq -c '[.[].value]'
}
mean() { jq 'if length == 0 then -1 else add / length end'; }
# How throttled the burner is depends on how much CPU it got (on a busy
# machine, less than its quota): the kernel's own cpu.stat over the same
# window is the reference, and the quota must have bitten at all.
POD_THROTTLED=$(awk -v t=$((PT1 - PT0)) -v p=$((PP1 - PP0)) 'BEGIN { print p ? t / p : 0 }')
CONTAINER_THROTTLED=$(awk -v t=$((CT1 - CT0)) -v p=$((CP1 - CP0)) 'BEGIN { print p ? t / p : 0 }')
log "burner: cpu.stat says pod $POD_THROTTLED, container $CONTAINER_THROTTLED of periods throttled"
assert_ge "the quota throttled the burner (cpu.stat)" 0.1 "$POD_THROTTLED"
near() {  # near WHAT EXPECTED ACTUAL: within 0.1 (the series' buckets start a sample apart from the window)
  awk -v a="$3" -v e="$2" 'BEGIN { d = a - e; if (d < 0) d = -d; exit !(a >= 0 && d <= 0.1) }' &&
    pass "$1 $3 ~ cpu.stat's $2" || fail "$1 $3 vs cpu.stat's $2"
}
near "burner pod cpu_throttled_ratio" "$POD_THROTTLED" "$(series pod $NS/burner-0 cpu_throttled_ratio | mean)"
near "burner container cpu_throttled_ratio" "$CONTAINER_THROTTLED" \
  "$(series container $NS/burner-0/burner cpu_throttled_ratio | mean)"
near "burner workload cpu_throttled_ratio" "$POD_THROTTLED" \
  "$(series workload $NS/StatefulSet/burner cpu_throttled_ratio | mean)"
EXPECTED=$(awk -v du=$((U1 - U0)) -v dt=$((T1 - T0)) 'BEGIN { print du / dt }')
USAGE=$(series container $NS/burner-0/burner cpu_usage_cores | mean)
log "burner: cpu_usage_cores $USAGE, cgroup's cpuacct.usage says $EXPECTED"
awk -v a="$USAGE" -v e="$EXPECTED" 'BEGIN { d = a - e; if (d < 0) d = -d; exit !(e > 0.02 && d <= 0.1 * e) }' &&
  pass "cpu_usage_cores within 10% of cpuacct.usage" || fail "cpu_usage_cores $USAGE vs $EXPECTED"

log "node: CPU and memory against /proc"
CPUS=$(grep -c '^cpu[0-9]' /proc/stat)
assert_eq "node_cpu_count" "$CPUS" "$(series node $HOST node_cpu_count | jq '.[-1]')"
NODE_BUSY=$(series node $HOST node_cpu_usage_cores | mean)
PROC_BUSY=$(awk -v b=$((B1 - B0)) -v a=$((A1 - A0)) -v n=$CPUS 'BEGIN { print b / a * n }')
awk -v x="$NODE_BUSY" -v y="$PROC_BUSY" -v n=$CPUS 'BEGIN { d = x - y; if (d < 0) d = -d; exit !(d <= 0.05 * n) }' &&
  pass "node_cpu_usage_cores $NODE_BUSY within 5% of /proc/stat's $PROC_BUSY" ||
  fail "node_cpu_usage_cores $NODE_BUSY vs /proc/stat $PROC_BUSY"
ALL_MODES=$(series node $HOST node_cpu_cores | mean)
awk -v x="$ALL_MODES" -v n=$CPUS 'BEGIN { d = x - n; if (d < 0) d = -d; exit !(d <= 0.05 * n) }' &&
  pass "node_cpu_cores over all modes $ALL_MODES ~ $CPUS CPUs" || fail "node_cpu_cores sum $ALL_MODES vs $CPUS"
MEM_TOTAL=$(awk '/^MemTotal:/ { print $2 * 1024 }' /proc/meminfo)
assert_eq "node_memory_total_bytes" "$MEM_TOTAL" "$(series node $HOST node_memory_total_bytes | jq '.[-1] | floor')"
MEM_AVAIL=$(awk '/^MemAvailable:/ { print $2 * 1024 }' /proc/meminfo)
NODE_AVAIL=$(series node $HOST node_memory_available_bytes | jq '.[-1]')
awk -v x="$NODE_AVAIL" -v y="$MEM_AVAIL" 'BEGIN { d = x - y; if (d < 0) d = -d; exit !(d <= 0.05 * y) }' &&
  pass "node_memory_available_bytes within 5% of MemAvailable" || fail "available $NODE_AVAIL vs $MEM_AVAIL"

log "hog: a child allocates past the 64 MiB limit; the container's main process stays"
cat > "$WORK/alloc.py" <<'PY'
chunks = []
while True:
    chunks.append(bytearray(4 << 20))  # bytearray() writes its pages: they are charged at once
PY
(in_pod $UID_HOG $CID_HOG bash -c "python3 '$WORK/alloc.py' & echo \$! > '$WORK/child.pid'; wait; sleep 60") &
HOG=$!
PIDS+=($HOG)
for _ in $(seq 100); do [[ -s $WORK/child.pid ]] && break; sleep 0.05; done
CHILD=$(cat "$WORK/child.pid")
while kill -0 "$CHILD" 2> /dev/null; do sleep 0.05; done
KILLED=$(date +%s%N)
kill -0 $HOG && pass "the container's main process survived" || fail "main process gone"
EVENT=null
while (($(date +%s%N) - KILLED < 5000000000)); do
  EVENT=$(api "/api/v1/events?reason=OOMKilled&namespace=$NS&object=hog-0" | jq -c '.[0]')
  [[ $EVENT != null ]] && break
  sleep 0.1
done
log "event after $((($(date +%s%N) - KILLED) / 1000000)) ms: $EVENT"
assert_eq "OOM event within 5 s: pod, container, workload, pid, command, limit" \
  "Pod hog-0 hog $NS/StatefulSet/hog $CHILD python3 67108864 kernel" \
  "$(jq -r '"\(.kind) \(.name) \(.container) \(.details.workload) \(.details.pid) \(.details.command) \(.details.memory_limit_bytes) \(.source)"' <<< "$EVENT")"
assert_ge "OOM event usage near the limit" $((60 << 20)) "$(jq .details.memory_usage_bytes <<< "$EVENT")"
# No rules file: the built-in ContainerOOMKilled rule fires on the kernel's OOM kill.
oom_alert() { api "/api/v1/alerts?state=firing" | jq -c --arg ns $NS '[.[] | select(.rule == "ContainerOOMKilled" and .labels.namespace == $ns and .labels.pod == "hog-0")][0]'; }
ALERT=null
for _ in $(seq 30); do ALERT=$(oom_alert); [[ $ALERT != null ]] && break; sleep 0.2; done
assert_eq "built-in ContainerOOMKilled fires: pod, container, workload, severity" \
  "hog-0 hog StatefulSet/hog critical" \
  "$(jq -r '"\(.labels.pod) \(.labels.container) \(.labels.workload) \(.labels.severity)"' <<< "$ALERT")"
sleep $((INTERVAL * 2))
MINUTE=$((FROM - FROM % 60))  # rollups answer for minutes that start in the window
for entity in pod/$NS/hog-0 container/$NS/hog-0/hog workload/$NS/StatefulSet/hog; do
  assert_eq "oom_kills of the $entity" 1 \
    "$(api "/api/v1/metrics?entity=${entity%%/*}&name=${entity#*/}&metric=oom_kills&from=$MINUTE&step=60" | jq '[.[].value] | add')"
done
assert_eq "the pod's state: one OOM kill in the window, no restart" "1 0" \
  "$(api "/api/v1/pods?workload=$NS/StatefulSet/hog" | jq -r '.[0] | "\(.oom_kills_in_window) \(.restarts_in_window)"')"
out=$("$LOUPE" query pods --server "$API" --token-file "$WORK/loupe.token" --workload $NS/StatefulSet/hog)
grep -qE "^$NS/hog-0 .* 0 +1 +- " <<< "$out" && pass "loupe query pods: 0 restarts, 1 OOM kill" || fail "query pods: $out"
assert_eq "memory_limit_bytes of the container" 67108864 \
  "$(api "/api/v1/metrics?entity=container&name=$NS/hog-0/hog&metric=memory_limit_bytes&step=10" | jq '.[-1].value | floor')"
log "burner pod connects 3 times to a closed port"
CLOSED=$(free_port)
for _ in 1 2 3; do
  (in_pod $UID_BURN $CID_BURN bash -c "exec 3<>/dev/tcp/127.0.0.1/$CLOSED" 2> /dev/null) && fail "port $CLOSED is open"
done
sleep $((INTERVAL * 2))
tcp() {  # tcp METRIC: the burner pod's count towards the closed port since FROM
  api "/api/v1/metrics?entity=pod&name=$NS/burner-0&metric=$1&label=127.0.0.1:$CLOSED&from=$MINUTE&step=60" |
    jq '[.[].value] | add'
}
assert_eq "tcp_connect_failures of the pod to 127.0.0.1:$CLOSED" 3 "$(tcp tcp_connect_failures)"
assert_eq "tcp_connect_refused" 3 "$(tcp tcp_connect_refused)"
assert_eq "tcp_connects" 0 "$(tcp tcp_connects)"
assert_eq "tcp_connect_failures of the workload" 3 \
  "$(api "/api/v1/metrics?entity=workload&name=$NS/StatefulSet/burner&metric=tcp_connect_failures&from=$MINUTE&step=60" | jq '[.[].value] | add')"

out=$("$LOUPE" query metrics --server "$API" --token-file "$WORK/loupe.token" --entity pod --name $NS/burner-0 --metric cpu_throttled_ratio --step 10)
grep -qE '^[0-9-]+ [0-9:]+ +0\.[1-9]|^[0-9-]+ [0-9:]+ +1$' <<< "$out" && pass "loupe query metrics prints the throttling" ||
  fail "query metrics: $out"
assert_ge "v2 tree read too: PSI series of the burner" 1 \
  "$(api "/api/v1/metrics/series?name=$NS/burner-0/burner" | jq '[.[] | select(.metric == "psi_cpu_some_percent")] | length')"

out=$("$LOUPE" query events --server "$API" --token-file "$WORK/loupe.token" --reason OOMKilled)
grep -q "hog-0" <<< "$out" && pass "loupe query events shows the kernel OOM kill" || fail "query events: $out"

kill -INT $RUN_PID
wait $RUN_PID || true
finish
