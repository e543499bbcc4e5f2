#!/usr/bin/env bash
# The API's description cannot drift: `loupe run` with real traffic, a
# cluster snapshot, logs, metrics and a silence, then every documented
# operation is called (and a bad parameter, a missing token, an unknown id)
# and each answer is validated against /api/v1/openapi.json
# (tests/e2e/openapi_check.py).
source "$(dirname "$0")/lib.sh"
require_root
HERE=$(cd "$(dirname "$0")" && pwd)

APP_PORT=$(free_port)
API_PORT=$(free_port)
API="http://127.0.0.1:$API_PORT"
head -c 24 /dev/urandom | base64 > "$WORK/token"
api() { curl -s -H "Authorization: Bearer $(cat "$WORK/token")" "$@"; }

python3 -m http.server "$APP_PORT" --bind 127.0.0.1 --directory "$WORK" >/dev/null 2>&1 & PIDS+=($!)
wait_for_port "$APP_PORT"
start_loupe_run --listen "127.0.0.1:$API_PORT" --data-dir "$WORK/data" --token-file "$WORK/token"

log "traffic, a cluster snapshot, log entries, a metric sample"
for i in $(seq 1 10); do curl -s -o /dev/null "127.0.0.1:$APP_PORT/"; curl -s -o /dev/null "127.0.0.1:$APP_PORT/missing$i"; done
now_ns=$(date +%s%N)
cat > "$WORK/k8s.json" <<EOF
{"kind": "LoupeK8sIngest", "version": 1, "type": "snapshot", "collector": "test",
 "snapshot": {"seq": 1, "services": [], "endpointslices": [], "ip_history": [],
  "workloads": [{"kind": "Deployment", "namespace": "shop", "name": "api", "desired": 1, "ready": 1,
                 "images": ["api:1"]},
                {"kind": "ReplicaSet", "namespace": "shop", "name": "api-5d9f",
                 "owner_kind": "Deployment", "owner_name": "api"}],
  "pods": [{"uid": "11111111-2222-3333-4444-555555555555", "namespace": "shop", "name": "api-5d9f-x",
            "node": "node-1", "phase": "Running", "ready": true, "ips": ["10.244.1.10"],
            "host_network": false, "owner_kind": "ReplicaSet", "owner_name": "api-5d9f",
            "containers": [{"name": "api", "id": "$(printf 'a%.0s' {1..64})", "runtime": "containerd",
                            "image": "api:1", "state": "running", "ready": true, "restarts": 1,
                            "started_ns": $((now_ns - 60000000000)),
                            "last_termination": {"reason": "OOMKilled", "exit_code": 137,
                                                 "finished_ns": $((now_ns - 61000000000))},
                            "requests": {"cpu_cores": 0.5, "memory_bytes": 1073741824}}],
            "start_ns": $((now_ns - 120000000000)), "deleted_ns": 0}],
  "nodes": [{"name": "node-1", "ready": true, "addresses": ["192.168.0.1"],
             "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                             "message": "ready", "since_ns": $((now_ns - 3600000000000))}],
             "capacity": {"cpu_cores": 4, "memory_bytes": 16757923840, "pods": 110},
             "kernel_version": "6.1.0", "kubelet_version": "v1.31.4"}]},
 "changes": [],
 "events": [{"time_ns": $now_ns, "namespace": "shop", "kind": "Pod", "name": "api-5d9f-x",
             "container": "api", "reason": "OOMKilled", "type": "Warning",
             "message": "container api terminated (OOMKilled, exit code 137)", "exit_code": 137,
             "source": "pod-status"}]}
EOF
cat > "$WORK/logs.json" <<EOF
{"entries": [
  {"time_ns": $((now_ns - 2000000000)), "text": "payment 81723 declined: card expired", "stream": "stderr",
   "level": "error", "source": "fe00-1", "offset": 0, "node": "node-1",
   "pod_uid": "11111111-2222-3333-4444-555555555555", "container": "api"},
  {"time_ns": $((now_ns - 1000000000)), "text": "payment 81724 declined: card expired", "stream": "stderr",
   "level": "error", "source": "fe00-1", "offset": 40, "node": "node-1",
   "pod_uid": "11111111-2222-3333-4444-555555555555", "container": "api"}]}
EOF
echo "{\"samples\": [{\"time_ns\": $now_ns, \"entity\": \"node\", \"name\": \"node-1\", \"metric\": \"cpu_usage_cores\", \"value\": 1.5}], \"oom_kills\": []}" > "$WORK/metrics.json"
echo "{\"batch\": {\"agent\": \"openapi-test\", \"seq\": 1}, \"records\": [{\"start_ns\": $now_ns, \"end_ns\": $((now_ns + 1000000)), \"protocol\": \"http1\", \"role\": \"server\", \"comm\": \"remote\", \"local_addr\": \"10.0.0.1:80\", \"remote_addr\": \"10.0.0.2:5000\", \"method\": \"GET\", \"path\": \"/x\", \"route\": \"/x\", \"status\": 200}]}" > "$WORK/ingest.json"
cat > "$WORK/profile.json" <<EOF
{"frames": ["main", "serve", "parse"],
 "profiles": [{"minute": $((now_ns / 1000000000)), "node": "node-1", "pid": 42, "process": "api",
               "container_id": "$(printf 'a%.0s' {1..64})",
               "pod_uid": "11111111-2222-3333-4444-555555555555",
               "stacks": [[[0, 1, 2], 30], [[0, 1], 10]]}]}
EOF
echo '{"node": "node-2", "exporter": {"captured": 1, "sent": 1}, "capture": {"records": 1}}' > "$WORK/agent.json"
echo '{"matchers": [{"name": "service", "value": "x"}], "duration": "1h", "comment": "openapi test", "createdBy": "e2e"}' > "$WORK/silence.json"
echo '{"kind": "LoupeK8sIngest"}' > "$WORK/bad_k8s.json"

api -X POST --data-binary @"$WORK/k8s.json" "$API/api/v1/k8s/ingest" >/dev/null
api -X POST --data-binary @"$WORK/logs.json" "$API/api/v1/logs/ingest" >/dev/null
silence=$(api -X POST --data-binary @"$WORK/silence.json" "$API/api/v1/silences" | jq -r .silenceID)
for i in $(seq 1 50); do
  [[ $(api "$API/api/v1/requests?service=python3:$APP_PORT" | jq length) -ge 20 ]] && break
  sleep 0.2
done
request=$(api "$API/api/v1/requests?service=python3:$APP_PORT&limit=1")
request_id=$(jq -r '.[0].id' <<<"$request")
trace_ref=$(jq -r '.[0].trace_ref' <<<"$request")
from=$(( $(date +%s) - 600 ))

"/usr/bin/python3" "$HERE/openapi_check.py" "$API" "$WORK/token" \
  "$LOUPE_SRC/src/server/openapi/openapi.yaml" > "$WORK/check.out" <<EOF || true
200 GET /api/v1/openapi.json
200 GET /api/v1/services?from=$from&limit=10
200 GET /api/v1/endpoints?service=python3:$APP_PORT
200 GET /api/v1/latency?service=python3:$APP_PORT&q=0.99&step=60
200 GET /api/v1/requests?service=python3:$APP_PORT&order=slowest&limit=5
200 GET /api/v1/requests?protocol=http1&status=404&counted=true&min_duration_ms=0&q=missing
200 GET /api/v1/requests/count?service=python3:$APP_PORT
200 GET /api/v1/requests/$request_id
404 GET /api/v1/requests/999999999999
400 GET /api/v1/requests/abc
200 GET /api/v1/traces?service=python3:$APP_PORT&min_duration_ms=0&limit=5
200 GET /api/v1/traces/$trace_ref
404 GET /api/v1/traces/00000000000000000000000000000000
200 GET /api/v1/protocols
200 GET /api/v1/map
200 GET /api/v1/workloads?namespace=shop
200 GET /api/v1/pods?workload=shop/Deployment/api
200 GET /api/v1/nodes
200 GET /api/v1/events?reason=OOMKilled
200 GET /api/v1/metrics?entity=node&name=node-1&metric=cpu_usage_cores&step=60
200 GET /api/v1/metrics/catalog
200 GET /api/v1/metrics/series?entity=node
200 GET /api/v1/logs?namespace=shop&level=error
200 GET /api/v1/logs/patterns?q=payment
200 GET /api/v1/logs/histogram?step=60
200 GET /api/v1/status
200 GET /api/v1/doctor
200 GET /api/v1/losses
200 GET /api/v1/alerts
200 GET /api/v1/alerts/rules
200 GET /api/v1/silences
200 POST /api/v1/silences $WORK/silence.json
200 DELETE /api/v1/silences/$silence
404 DELETE /api/v1/silences/abcdef0123
200 POST /api/v1/ingest $WORK/ingest.json
200 POST /api/v1/agents/stats $WORK/agent.json
200 GET /api/v1/status
200 POST /api/v1/metrics/ingest $WORK/metrics.json
200 POST /api/v1/logs/ingest $WORK/logs.json
200 POST /api/v1/profile/ingest $WORK/profile.json
200 GET /api/v1/profile?pod=shop/api-5d9f-x
200 GET /api/v1/profile?process=api&node=node-1&format=folded
200 GET /api/v1/profile?workload=shop/Deployment/api&format=pprof
400 GET /api/v1/profile?format=svg
200 POST /api/v1/k8s/ingest $WORK/k8s.json
400 POST /api/v1/k8s/ingest $WORK/bad_k8s.json
400 GET /api/v1/latency?q=0.5
400 GET /api/v1/latency?service=x&q=2
400 GET /api/v1/alerts?state=nope
401 GET /api/v1/services noauth
200 GET /metrics
EOF
cat "$WORK/check.out"
assert_eq "answers that do not match the OpenAPI document" 0 "$(grep -c '^FAIL' "$WORK/check.out" || true)"
assert_ge "answers validated" 40 "$(grep -c '^ok: .* matches' "$WORK/check.out" || true)"
finish
