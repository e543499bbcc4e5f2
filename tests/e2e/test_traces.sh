#!/usr/bin/env bash
# Zero-code distributed traces over real servers: a threaded Python web
# service calls a threaded Python API service over HTTP, which queries
# PostgreSQL and Redis (three_tier.py). For each top-level request,
# /api/v1/traces/{id} must return the whole tree (the load generator's
# call, the web server span, its client call, the API's server span, its
# Redis and SQL client spans and their server sides) with the right
# parents and nothing from another request, for at least 95% of them;
# /api/v1/traces finds them by service and duration; the spans exported
# over OTLP (received and decoded by npm's @opentelemetry/otlp-transformer,
# otlp/receiver.js) have the same trace ids and parents; the map of one
# endpoint (/api/v1/map?service=&route=) holds the calls made on its behalf
# and no other. About 30 s.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/db_servers.sh"
require_root
HERE=$(cd "$(dirname "$0")" && pwd)
/usr/bin/python3 -c 'import psycopg2, redis' 2> /dev/null ||
  { echo "needs python3-psycopg2 and python3-redis (scripts/setup.sh --test)" >&2; exit 1; }
command -v node > /dev/null || { echo "needs node and npm (scripts/setup.sh)" >&2; exit 1; }
if [[ ! -d "$HERE/otlp/node_modules/@opentelemetry/otlp-transformer" ]]; then
  (cd "$HERE/otlp" && npm ci --no-audit --no-fund --loglevel=error > /dev/null)
fi

WEB_PORT=$(free_port)
APP_PORT=$(free_port)
PG_PORT=$(free_port)
REDIS_PORT=$(free_port)
API_PORT=$(free_port)
API="http://127.0.0.1:$API_PORT"
RECV_PORT=$(free_port)
N=100
mkdir -p "$WORK/recv"
node "$HERE/otlp/receiver.js" "$RECV_PORT" "$WORK/recv" 2> "$WORK/recv.err" & PIDS+=($!)

start_postgres "$PG_PORT"
as_pg "$PGBIN/psql" -h "$PG/sock" -p "$PG_PORT" -q -c \
  "CREATE TABLE items(id int PRIMARY KEY, name text); INSERT INTO items SELECT i, 'item' || i FROM generate_series(0, 9) i;"
start_redis "$REDIS_PORT"
"$LOUPE" run --listen "127.0.0.1:$API_PORT" --data-dir "$WORK/data" --metrics-interval 0 \
  --otlp-endpoint "http://127.0.0.1:$RECV_PORT" --otlp-metrics-interval 0 --otlp-link-delay 2s \
  > "$WORK/run.out" 2> "$WORK/run.err" &
RUN_PID=$!
PIDS+=($RUN_PID)
wait_for_line "$WORK/run.out" "Loupe is running" $RUN_PID
# Started after Loupe, so every connection is seen from its first byte.
/usr/bin/python3 "$HERE/three_tier.py" api "$APP_PORT" "$PG_PORT" "$REDIS_PORT" & PIDS+=($!)
/usr/bin/python3 "$HERE/three_tier.py" web "$WEB_PORT" "$APP_PORT" & PIDS+=($!)
wait_for_port "$APP_PORT"
wait_for_port "$WEB_PORT"
wait_for_port "$RECV_PORT"

# A call to the API not made for web (the oldest: traces below are found newest first).
curl -s -o /dev/null "http://127.0.0.1:$APP_PORT/items/3"
log "$N top-level requests over 4 keep-alive connections"
/usr/bin/python3 "$HERE/three_tier.py" load "$WEB_PORT" "$N" 4
web_requests() {
  curl -s "$API/api/v1/requests?service=python3:$WEB_PORT&limit=1000" | jq '[.[] | select(.role == "server")] | length'
}
for i in $(seq 1 100); do [[ $(web_requests) -ge $N ]] && break; sleep 0.2; done
assert_eq "web server records" "$N" "$(web_requests)"
sleep 1  # the API's and the databases' records of the last requests

SPANS="$WORK/recv/spans.jsonl"
otlp_web_spans() {
  [[ -f "$SPANS" ]] && jq -s "[.[] | select(.kind == 2 and .resource[\"service.name\"] == \"python3:$WEB_PORT\")] | length" "$SPANS" || echo 0
}
for i in $(seq 1 100); do [[ $(otlp_web_spans) -ge $N ]] && break; sleep 0.2; done
sleep 1  # the exports of the last requests' other spans

python3 - "$API" "$WEB_PORT" "$APP_PORT" "$PG_PORT" "$REDIS_PORT" "$N" "$SPANS" > "$WORK/check.out" <<'PY'
import collections, json, sys, urllib.request
api, (web, app, pg, redis, n), spans_file = sys.argv[1], map(int, sys.argv[2:7]), sys.argv[7]
otlp = collections.defaultdict(set)  # trace id -> {(span id, parent span id)}
for line in open(spans_file):
    s = json.loads(line)
    otlp[s["traceId"]].add((s["spanId"], s["parentSpanId"]))
same_in_otlp = 0
get = lambda path: json.load(urllib.request.urlopen(api + path))
roots = [r for r in get(f"/api/v1/requests?service=python3:{web}&limit=1000") if r["role"] == "server"]
good, problems = 0, []
for r in roots:
    i = r["path"].rsplit("/", 1)[-1]
    t = get("/api/v1/traces/" + r["trace_ref"])
    spans = {s["span_id"]: s for s in t["spans"]}
    def port(addr): return int(addr.rsplit(":", 1)[1])
    def find(kind, remote_or_local_port, pred=lambda s: True):
        key = "remote_addr" if kind == "client" else "local_addr"
        return [s for s in t["spans"] if s["kind"] == kind and port(s["request"][key]) == remote_or_local_port and pred(s)]
    issues = []
    def one(what, found, parent):
        if len(found) != 1:
            issues.append(f"{what}: {len(found)} spans")
            return None
        s = found[0]
        if parent is not None and s["parent_span_id"] != parent["span_id"]:
            issues.append(f"{what}: parent {s['parent_span_id']} not {parent['span_id']}")
        return s
    top = one("load client", find("client", web), None)
    if top and top["parent_span_id"] is not None: issues.append("load client is not the root")
    ws = one("web server", find("server", web), top)
    wc = one("web -> api client", find("client", app), ws)
    a = one("api server", find("server", app), wc)
    rc = find("client", redis)
    if len(rc) != 2 or any(s["parent_span_id"] != (a or {}).get("span_id") for s in rc):
        issues.append(f"redis client spans: {[(s['operation'], s['parent_span_id']) for s in rc]}")
    rs = find("server", redis)
    if len(rs) != 2 or any(spans.get(s["parent_span_id"], {}).get("kind") != "client" for s in rs):
        issues.append(f"redis server spans: {len(rs)}")
    pc = one("sql client", find("client", pg, lambda s: s["protocol"] == "postgres" and s["operation"].startswith("SELECT")), a)
    one("sql server", find("server", pg, lambda s: s["operation"].startswith("SELECT")), pc)
    foreign = [s["request"]["path"] for s in t["spans"] if s["protocol"] in ("http1", "redis")
               and not s["request"]["path"].endswith(("/" + i, ":" + i))]
    if foreign: issues.append(f"foreign spans {foreign}")
    if any(s["ambiguous"] for s in t["spans"]): issues.append("ambiguous links")
    if issues: problems.append(f"/order/{i} ({t['trace_id']}): " + "; ".join(issues))
    else: good += 1
    tree = {(s["span_id"], s["parent_span_id"] or "") for s in t["spans"]}
    if otlp.get(t["trace_id"]) == tree: same_in_otlp += 1
    elif len(problems) < 20: problems.append(f"OTLP trace {t['trace_id']}: {sorted(otlp.get(t['trace_id'], []))} vs {sorted(tree)}")
print(good)
print(same_in_otlp)
for p in problems[:10]: print(p, file=sys.stderr)
PY
GOOD=$(sed -n 1p "$WORK/check.out")
assert_ge "whole trees with correct parents and nothing foreign (of $N)" 95 "$GOOD"
assert_ge "the same trees (trace id, span ids, parents) exported over OTLP (of $N)" 95 "$(sed -n 2p "$WORK/check.out")"

SLOWEST=$(curl -s "$API/api/v1/traces?service=python3:$APP_PORT&limit=5")
assert_eq "traces found by the API's service" 5 "$(jq length <<< "$SLOWEST")"
assert_eq "their roots are the load generator's calls" 5 \
  "$(jq "[.[] | select(.root.kind == \"client\" and (.root.request.remote_addr | endswith(\":$WEB_PORT\")))] | length" <<< "$SLOWEST")"
ONE=$(jq -r '.[0].trace_id' <<< "$SLOWEST")
assert_eq "a found trace opens by its id" "$ONE" "$(curl -s "$API/api/v1/traces/$ONE" | jq -r .trace_id)"
[[ -s "$WORK/recv/errors.log" ]] && fail "receiver could not decode: $(head -3 "$WORK/recv/errors.log")"
log "the service map of one endpoint: only the calls made on its behalf"
FULL=$(curl -s "$API/api/v1/map")
route_of() { curl -s "$API/api/v1/endpoints?service=python3:$1" | jq -r '[.[] | select(.protocol == "http1")][0].route'; }
WEB_MAP=$(curl -s -G "$API/api/v1/map" --data-urlencode "service=python3:$WEB_PORT" --data-urlencode "route=$(route_of "$WEB_PORT")")
APP_MAP=$(curl -s -G "$API/api/v1/map" --data-urlencode "service=python3:$APP_PORT" --data-urlencode "route=$(route_of "$APP_PORT")")
edges() { jq -r '.edges[] | "\(.caller)>\(.callee)"' | sort; }
db_edges() { jq -r --arg app "python3:$APP_PORT" '[.edges[] | select(.caller == $app and (.protocol == "postgres" or .protocol == "redis")) | .protocol] | sort | unique | join(",")'; }
assert_eq "the whole map has the direct call to the API" "curl python3:$WEB_PORT" \
  "$(jq -r "[.edges[] | select(.callee == \"python3:$APP_PORT\") | .caller | sub(\" [(]pid [0-9]+[)]\"; \"\")] | sort | join(\" \")" <<< "$FULL")"
assert_eq "web endpoint: its newest 50 requests sampled" 50 "$(jq .endpoint.sampled_requests <<< "$WEB_MAP")"
assert_eq "web endpoint: web -> API once per request" "1" \
  "$(jq "[.edges[] | select(.caller == \"python3:$WEB_PORT\" and .callee == \"python3:$APP_PORT\") | .calls_per_request] | .[0]" <<< "$WEB_MAP")"
assert_eq "web endpoint: the API's PostgreSQL and Redis calls" "postgres,redis" "$(db_edges <<< "$WEB_MAP")"
assert_eq "web endpoint: no edge the whole map lacks, nor the direct call" "" \
  "$(comm -23 <(edges <<< "$WEB_MAP") <(edges <<< "$FULL" | grep -v '^curl '))"
assert_eq "API endpoint: web's call into it and its own calls, not the caller of web" \
  "postgres,redis 1 0" \
  "$(db_edges <<< "$APP_MAP") $(jq "[.edges[] | select(.callee == \"python3:$APP_PORT\" and .caller == \"python3:$WEB_PORT\")] | length" <<< "$APP_MAP") $(jq "[.edges[] | select(.callee == \"python3:$WEB_PORT\")] | length" <<< "$APP_MAP")"
assert_eq "a route without its service: 400" 400 \
  "$(curl -s -o /dev/null -w '%{http_code}' "$API/api/v1/map?route=/x")"
assert_eq "unknown trace: 404" 404 "$(curl -s -o /dev/null -w '%{http_code}' "$API/api/v1/traces/0123456789abcdef0123456789abcdef")"
finish
