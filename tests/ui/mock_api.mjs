#!/usr/bin/env node
// A stand-in for the Loupe server, for developing and testing the web UI:
// serves ui/dist at "/" (index.html fallback for client routes) and the JSON
// API under /api/v1/ with deterministic, realistic traffic for a small shop
// (frontend -> checkout -> payments, Postgres, Redis, DNS). Every aggregate is
// computed from the same generated records, so the numbers agree across
// endpoints like a real server's do.
//
//   node tests/ui/mock_api.mjs [--port 8099] [--dist ui/dist] [--no-map]
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const DEFAULT_DIST = path.resolve(here, '../../ui/dist');

// ---------- deterministic traffic ----------
function rng(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}
const pick = (r, a) => a[Math.floor(r() * a.length)];
const lognormal = (r, medianMs, sigma) => {
  const u = Math.max(1e-9, r()), v = r();
  const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  return medianMs * Math.exp(sigma * z);
};

const SERVICES = {
  frontend: { kind: 'service', ports: [8080], protocol: 'http1', perMin: 24, ns: 'shop', ip: '10.42.0.11', comm: 'node' },
  checkout: { kind: 'service', ports: [5050], protocol: 'http1', perMin: 9, ns: 'shop', ip: '10.42.0.12', comm: 'checkout' },
  payments: { kind: 'service', ports: [7070], protocol: 'http1', perMin: 5, ns: 'shop', ip: '10.42.0.13', comm: 'java' },
  'orders-db': { kind: 'service', ports: [5432], protocol: 'postgres', perMin: 14, ns: 'data', ip: '10.42.0.21', comm: 'postgres' },
  cache: { kind: 'service', ports: [6379], protocol: 'redis', perMin: 30, ns: 'data', ip: '10.42.0.22', comm: 'redis-server' },
  'inventory-db': { kind: 'external', ports: [3306], protocol: 'mysql', perMin: 4, ns: '', ip: '192.0.2.40', comm: 'mysqld' },
  'kube-dns': { kind: 'service', ports: [53], protocol: 'dns', perMin: 6, ns: 'kube-system', ip: '10.43.0.10', comm: 'coredns' },
};

// operations per service: [method, route, path(r) | detail, callers, weight, medianMs, sigma]
const OPS = {
  frontend: [
    ['GET', '/', () => '/', [null], 5, 18, 0.5],
    ['GET', '/product/{id}', (r) => `/product/${1000 + Math.floor(r() * 90)}`, [null], 6, 32, 0.6],
    ['POST', '/cart', () => '/cart', [null], 2, 45, 0.5],
    ['GET', '/static/{path}', (r) => `/static/${pick(r, ['app.js', 'main.css', 'logo.svg'])}`, [null], 4, 2.5, 0.7],
  ],
  checkout: [
    ['POST', '/api/checkout', () => '/api/checkout', ['frontend'], 3, 120, 0.5],
    ['GET', '/api/orders/{id}', (r) => `/api/orders/${Math.floor(r() * 100000)}`, ['frontend'], 5, 22, 0.5],
  ],
  payments: [['POST', '/v1/charge', () => '/v1/charge', ['checkout'], 1, 210, 0.45]],
  'orders-db': [
    ['SELECT', 'SELECT * FROM orders WHERE id = ?', (r) => `SELECT * FROM orders WHERE id = ${Math.floor(r() * 100000)}`, ['checkout'], 6, 1.4, 0.6],
    ['INSERT', 'INSERT INTO orders (user_id, total, items) VALUES (?, ?, ?)', (r) => `INSERT INTO orders (user_id, total, items) VALUES (${Math.floor(r() * 5000)}, ${(r() * 300).toFixed(2)}, '[...]')`, ['checkout'], 2, 4.5, 0.5],
    ['UPDATE', 'UPDATE payments SET state = ? WHERE order_id = ?', (r) => `UPDATE payments SET state = 'captured' WHERE order_id = ${Math.floor(r() * 100000)}`, ['payments'], 1, 3.2, 0.5],
  ],
  cache: [
    ['GET', 'GET session:*', (r) => `GET session:${Math.floor(r() * 1e6).toString(16)}`, ['frontend'], 6, 0.18, 0.5],
    ['SET', 'SET session:*', (r) => `SET session:${Math.floor(r() * 1e6).toString(16)} <312 bytes> EX 3600`, ['frontend'], 2, 0.22, 0.5],
    ['HGETALL', 'HGETALL cart:*', (r) => `HGETALL cart:${Math.floor(r() * 5000)}`, ['checkout'], 2, 0.3, 0.5],
  ],
  'inventory-db': [['SELECT', 'SELECT sku, qty FROM stock WHERE sku IN (?)', () => "SELECT sku, qty FROM stock WHERE sku IN ('A-100', 'B-220')", ['checkout'], 1, 9, 0.6]],
  'kube-dns': [
    ['A', 'payments.shop.svc.cluster.local', () => 'payments.shop.svc.cluster.local', ['checkout'], 2, 0.6, 0.5],
    ['A', 'orders-db.data.svc.cluster.local', () => 'orders-db.data.svc.cluster.local', ['checkout', 'payments'], 2, 0.6, 0.5],
    ['AAAA', 'api.stripe.example', () => 'api.stripe.example', ['payments'], 1, 4, 0.8],
  ],
};

const cache = new Map(); // minute index -> records (oldest first)
const T0 = Math.floor(Date.now() / 60000); // mock start minute

function genMinute(m) {
  if (cache.has(m)) return cache.get(m);
  const r = rng(m * 2654435761);
  const recent = T0 - m < 150; // busier in the last 2.5 h
  const out = [];
  for (const [svc, s] of Object.entries(SERVICES)) {
    const wave = 1 + 0.35 * Math.sin(m / 37 + svc.length);
    const n = Math.round(3 * s.perMin * (recent ? 1 : 0.18) * wave * (0.8 + 0.4 * r()));
    const ops = OPS[svc];
    const total = ops.reduce((a, o) => a + o[4], 0);
    for (let i = 0; i < n; i++) {
      let w = r() * total;
      let op = ops[0];
      for (const o of ops) { if ((w -= o[4]) < 0) { op = o; break; } }
      const [method, route, gen, callers, , med, sigma] = op;
      // payments has a slow, error-prone spell 40-25 minutes ago
      const incident = svc === 'payments' && T0 - m <= 40 && T0 - m >= 25;
      let ms = lognormal(r, med * (incident ? 3 : 1), sigma);
      if (r() < 0.01) ms *= 8; // occasional outliers
      const startNs = BigInt(m * 60) * 1000000000n + BigInt(Math.floor(r() * 60e9));
      const durNs = BigInt(Math.max(20000, Math.round(ms * 1e6)));
      const caller = pick(r, callers);
      const rec = baseRecord(svc, s, caller, r, startNs, durNs);
      fill(rec, svc, s, method, route, gen(r), r, incident);
      out.push(rec);
    }
  }
  out.sort((a, b) => (a.start_ns < b.start_ns ? -1 : 1));
  cache.set(m, out);
  return out;
}

function baseRecord(svc, s, caller, r, startNs, durNs) {
  const cs = caller ? SERVICES[caller] : null;
  const pod = s.kind === 'external' ? '' : `${svc}-${(svc.length * 7919).toString(36).slice(0, 5)}-${'xk2p9'.slice(0, 5)}`;
  return {
    ts: nsToRfc3339(startNs),
    start_ns: Number(startNs),
    end_ns: Number(startNs + durNs),
    duration_ns: Number(durNs),
    protocol: s.protocol,
    role: s.kind === 'external' ? 'client' : 'server',
    tls: s.protocol === 'http1' && svc === 'payments',
    pid: 1200 + svc.length * 17,
    comm: s.kind === 'external' ? 'checkout' : s.comm,
    local_addr: `${s.kind === 'external' ? SERVICES.checkout.ip : s.ip}:${s.kind === 'external' ? 40000 + Math.floor(r() * 20000) : s.ports[0]}`,
    remote_addr: s.kind === 'external' ? `${s.ip}:${s.ports[0]}` : cs ? `${cs.ip}:${40000 + Math.floor(r() * 20000)}` : `10.42.0.${100 + Math.floor(r() * 50)}:${40000 + Math.floor(r() * 20000)}`,
    method: '', path: '', route: '', host: '', status: 0, error: false, error_code: '', error_message: '', detail: '',
    trace_id: r() < 0.6 ? Math.floor(r() * 2 ** 52).toString(16).padStart(16, '0') + Math.floor(r() * 2 ** 52).toString(16).padStart(16, '0') : '',
    req_bytes: 0, resp_bytes: 0,
    node: 'node-a',
    namespace: s.kind === 'external' ? 'shop' : s.ns,
    pod: s.kind === 'external' ? 'checkout-7d9f8-xk2p9' : pod,
    container: s.kind === 'external' ? 'checkout' : svc,
    workload: s.kind === 'external' ? 'checkout' : svc,
    service: svc,
    remote_namespace: cs ? cs.ns : '',
    remote_pod: cs ? `${caller}-7d9f8-${'ab3cd'}` : '',
    remote_workload: caller || '',
    remote_service: caller || '',
  };
}

function fill(rec, svc, s, method, route, concrete, r, incident) {
  rec.method = method;
  rec.route = route;
  if (s.protocol === 'http1') {
    rec.path = concrete;
    rec.host = `${svc}${svc === 'frontend' ? '.shop.example' : `.${s.ns}.svc:${s.ports[0]}`}`;
    let status = method === 'POST' && svc === 'frontend' && r() < 0.02 ? 400 : 200;
    if (route === '/product/{id}' && r() < 0.03) status = 404;
    if (r() < (incident ? 0.2 : svc === 'payments' ? 0.03 : 0.006)) status = pick(r, [500, 502, 503]);
    rec.status = status;
    rec.error = status >= 500;
    rec.req_bytes = method === 'POST' ? 300 + Math.floor(r() * 900) : 120 + Math.floor(r() * 200);
    rec.resp_bytes = route.startsWith('/static') ? 20000 + Math.floor(r() * 80000) : 200 + Math.floor(r() * 4000);
    if (rec.error) rec.error_message = status === 502 ? 'upstream connect error' : 'internal server error';
  } else if (s.protocol === 'postgres' || s.protocol === 'mysql') {
    rec.detail = concrete;
    rec.req_bytes = 40 + concrete.length;
    rec.resp_bytes = method === 'SELECT' ? 200 + Math.floor(r() * 2000) : 20;
    if (method === 'INSERT' && r() < 0.01) {
      rec.error = true;
      rec.error_code = s.protocol === 'postgres' ? '23505' : '1062';
      rec.error_message = 'duplicate key value violates unique constraint "orders_pkey"';
    }
  } else if (s.protocol === 'redis') {
    rec.detail = concrete;
    rec.req_bytes = 30 + concrete.length;
    rec.resp_bytes = method === 'GET' ? 300 : method === 'HGETALL' ? 800 : 5;
  } else if (s.protocol === 'dns') {
    rec.detail = `${method} ${concrete}`;
    rec.path = concrete;
    rec.req_bytes = 40 + concrete.length;
    rec.resp_bytes = 90;
    if (concrete === 'api.stripe.example' && r() < 0.1) {
      rec.error = true;
      rec.error_code = 'NXDOMAIN';
      rec.error_message = 'name does not exist';
    }
  }
}

function nsToRfc3339(ns) {
  const ms = Number(ns / 1000000n);
  const frac = (ns % 1000000000n).toString().padStart(9, '0');
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, `.${frac}Z`);
}

function recordsBetween(fromS, toS) {
  const out = [];
  const lastComplete = Math.floor(Date.now() / 60000) - 1;
  const m0 = Math.max(Math.floor(fromS / 60), T0 - 24 * 60);
  const m1 = Math.min(Math.floor((toS - 1) / 60), lastComplete);
  for (let m = m0; m <= m1; m++) {
    for (const rec of genMinute(m)) {
      const t = rec.start_ns / 1e9;
      if (t >= fromS && t < toS) out.push(rec);
    }
  }
  return out;
}

// ---------- API ----------
class BadRequest extends Error {
  constructor(msg, parameter) { super(msg); this.parameter = parameter; }
}

function parseTime(v, name) {
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v);
  const ms = Date.parse(v);
  if (!/^\d{4}-\d\d-\d\dT/.test(v) || Number.isNaN(ms)) throw new BadRequest(`invalid time "${v}": use unix seconds or RFC 3339`, name);
  return ms / 1000;
}

function range(q) {
  const now = Date.now() / 1000;
  const to = q.has('to') ? parseTime(q.get('to'), 'to') : now;
  const from = q.has('from') ? parseTime(q.get('from'), 'from') : to - 3600;
  if (from >= to) throw new BadRequest('from must be earlier than to', 'from');
  return { from, to };
}

function quantile(sorted, q) {
  if (!sorted.length) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

const isErr = (r) => r.error;

function red(recs, spanS) {
  const d = recs.map((r) => r.duration_ns / 1e6).sort((a, b) => a - b);
  const errors = recs.filter(isErr).length;
  const round = (x) => Math.round(x * 1000) / 1000;
  return {
    requests: recs.length,
    errors,
    error_rate: recs.length ? errors / recs.length : 0,
    rate_per_s: recs.length / spanS,
    p50_ms: round(quantile(d, 0.5)),
    p95_ms: round(quantile(d, 0.95)),
    p99_ms: round(quantile(d, 0.99)),
  };
}

function groupBy(recs, key) {
  const m = new Map();
  for (const r of recs) {
    const k = key(r);
    if (!m.has(k)) m.set(k, []);
    m.get(k).push(r);
  }
  return m;
}

const startedAt = Date.now();

// A small cluster for the Kubernetes pages, in the API's shapes: a
// Deployment with traffic, a StatefulSet whose pod was OOM-killed, a
// DaemonSet without traffic; two nodes, one under disk pressure.
function cluster() {
  const now = Date.now();
  const iso = (minAgo) => new Date(now - minAgo * 60000).toISOString();
  const ns = (minAgo) => (now - minAgo * 60000) * 1e6;
  const none = { requests: 0, errors: 0, error_rate: 0, rate_per_s: 0, p50_ms: 0, p95_ms: 0, p99_ms: 0 };
  const res = (cpu, mem) => ({ cpu_cores: cpu, memory_bytes: mem });
  const container = (name, image, extra = {}) => ({
    name, id: name.padEnd(64, '0'), image, init: false, state: 'running', state_reason: '', ready: true, restarts: 0,
    started_at: iso(50), last_termination: null, requests: res(0.25, 268435456), limits: res(1, 536870912), ...extra,
  });
  const pod = (name, workload, node, ip, c, extra = {}) => ({
    namespace: workload.split('/')[0], pod: name, workload, known: true, uid: `uid-${name}`, node, phase: 'Running', reason: '', ready: true,
    ip, ips: [ip], host_network: false, qos_class: 'Burstable', started_at: iso(60), age_s: 3600, restarts: c.restarts, containers: [c], ...none, ...extra,
  });
  const pods = [
    pod('checkout-7d9f-a1', 'shop/Deployment/checkout', 'node-1', '10.42.0.12', container('checkout', 'ghcr.io/acme/checkout:3.1'), { requests: 540, rate_per_s: 0.15, p95_ms: 180 }),
    pod('checkout-7d9f-b2', 'shop/Deployment/checkout', 'node-2', '10.42.1.12', container('checkout', 'ghcr.io/acme/checkout:3.1')),
    pod('orders-db-0', 'data/StatefulSet/orders-db', 'node-1', '10.42.0.21', container('postgres', 'postgres:16', {
      restarts: 1, last_termination: { reason: 'OOMKilled', exit_code: 137, finished_at: iso(20), finished_ns: ns(20) }, limits: res(1, 1073741824),
    })),
    pod('node-agent-x1', 'kube-system/DaemonSet/node-agent', 'node-1', '192.168.0.1', container('agent', 'registry.k8s.io/agent:1'), { qos_class: 'BestEffort' }),
  ];
  const wl = (name, desired, ready, images, red = none) => {
    const [namespace, kind, object] = name.split('/');
    const mine = pods.filter((p) => p.workload === name);
    return { name, namespace, workload: `${kind}/${object}`, kind, object, known: true, desired_replicas: desired, ready_replicas: ready,
      pods: mine.length, ready_pods: mine.length, restarts: mine.reduce((a, p) => a + p.restarts, 0),
      restarts_in_window: mine.reduce((a, p) => a + p.restarts, 0), images, traffic: red.requests > 0, ...none, ...red };
  };
  const cond = (type, status, minAgo = 120) => ({ type, status, reason: '', message: '', since: iso(minAgo), since_ns: ns(minAgo) });
  const node = (name, disk) => ({
    name, ready: true, unschedulable: false, addresses: [name === 'node-1' ? '192.168.0.1' : '192.168.0.2'],
    conditions: [cond('MemoryPressure', 'False'), cond('DiskPressure', disk ? 'True' : 'False', 8), cond('PIDPressure', 'False'), cond('Ready', 'True')],
    capacity: { cpu_cores: 4, memory_bytes: 16757923840, pods: 110 }, allocatable: { cpu_cores: 3.8, memory_bytes: 15604490240, pods: 110 },
    kernel_version: '6.1.0-28-amd64', kubelet_version: 'v1.31.4', os_image: 'Debian GNU/Linux 12 (bookworm)', container_runtime: 'containerd://1.7.24',
    pods: pods.filter((p) => p.node === name).length,
  });
  const ev = (minAgo, namespace, kind, name, container, reason, message, extra = {}) => ({
    time: iso(minAgo), time_ns: ns(minAgo), namespace, kind, name, container, reason, type: 'Warning', message, count: 1, exit_code: 0,
    first_ns: ns(minAgo), last_ns: ns(minAgo), source: 'pod-status', ...extra,
  });
  return {
    workloads: [
      wl('shop/Deployment/checkout', 2, 2, ['ghcr.io/acme/checkout:3.1'], { requests: 540, rate_per_s: 0.15, p95_ms: 180 }),
      wl('data/StatefulSet/orders-db', 1, 1, ['postgres:16']),
      wl('kube-system/DaemonSet/node-agent', 2, 1, ['registry.k8s.io/agent:1']),
    ],
    pods,
    nodes: [node('node-1', true), node('node-2', false)],
    events: [
      ev(20, 'data', 'Pod', 'orders-db-0', 'postgres', 'OOMKilled', 'container postgres terminated (OOMKilled, exit code 137), restart 1', { exit_code: 137 }),
      ev(8, '', 'Node', 'node-1', '', 'NodeHasDiskPressure', 'Node node-1 status is now: NodeHasDiskPressure', { source: 'event' }),
    ],
  };
}

// Log lines the shop's pods printed about their requests (an access line,
// an error line with a stack trace for failures), in /api/v1/logs's shape.
const LEVEL_ORDER = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
function logsOf(recs) {
  const out = [];
  for (const r of recs) {
    if (r.role !== 'server' || r.protocol !== 'http1') continue;
    const base = {
      time_ns: r.end_ns, stream: 'stdout', namespace: r.namespace, pod: r.pod, container: r.container,
      workload: `${r.namespace}/Deployment/${r.service}`, node: r.node, file: `/var/log/pods/${r.namespace}_${r.pod}_uid/${r.container}/0.log`,
    };
    const trace = r.trace_id ? ` trace_id=${r.trace_id}` : '';
    const ms = (r.duration_ns / 1e6).toFixed(1);
    const level = r.status >= 500 ? 'error' : r.duration_ns > 500e6 ? 'warn' : 'info';
    out.push({ ...base, level, text: `${level.toUpperCase()} ${r.method} ${r.path} ${r.status} ${ms}ms${trace}` });
    if (r.status >= 500 && r.comm === 'java') {
      const frames = ['at com.acme.pay.Gateway.charge(Gateway.java:88)', 'at com.acme.pay.Api.post(Api.java:41)', 'at io.undertow.server.Connectors.executeRootHandler(Connectors.java:387)'];
      out.push({ ...base, time_ns: r.end_ns + 1, stream: 'stderr', level: 'error', text: `java.lang.IllegalStateException: upstream ${r.error_message || 'failed'} for ${r.path}${trace}\n\t${frames.join('\n\t')}` });
    }
  }
  return out.sort((a, b) => b.time_ns - a.time_ns).map((e) => {
    const id = Math.floor(e.time_ns / 1000) * 2 + (e.stream === 'stderr' ? 1 : 0);
    return { ...e, id, time: new Date(e.time_ns / 1e6).toISOString(), cursor: `${e.time_ns}-${id}` };
  });
}

function logRange(q) {
  if (!q.has('around')) {
    if (q.has('window')) throw new BadRequest('window goes with around', 'window');
    const { from, to } = range(q);
    return q.has('from') ? { from, to } : { from: to - 900, to };
  }
  if (q.has('from') || q.has('to')) throw new BadRequest('around replaces from and to: give one or the other', 'around');
  const t = parseTime(q.get('around'), 'around');
  const m = (q.get('window') || '5s').match(/^(\d+)(ms|s|m|h)$/);
  if (!m) throw new BadRequest(`'${q.get('window')}' is not a window: use a duration up to 1h, e.g. 5s`, 'window');
  const w = Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2]];
  return { from: t - w, to: t + w };
}

// The pattern of a line, as the server's miner makes it: numbers and ids
// masked; its id a hash of the pattern, stable across calls.
const patternOf = (t) => t.split('\n')[0].replace(/\b[0-9a-f]{16,}\b/g, '<*>').replace(/\/\d+|\b\d+(\.\d+)?(ms)?\b/g, (m) => (m.startsWith('/') ? '/<*>' : '<*>'));
const patternId = (p) => [...p].reduce((h, c) => (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0, 7) % 1e6 + 1;

function matchingLogs(q) {
  const { from, to } = logRange(q);
  const levels = (q.get('level') || '').split(',').filter(Boolean);
  for (const l of levels) if (!LEVEL_ORDER.includes(l)) throw new BadRequest(`'${l}' is not a level: use trace, debug, info, warn, error or fatal`, 'level');
  const words = (q.get('q') || '').toLowerCase().split(/\s+/).filter(Boolean);
  return logsOf(recordsBetween(from - 1, to)).filter((e) => {
    if (e.time_ns < from * 1e9 || e.time_ns >= to * 1e9) return false;
    for (const k of ['namespace', 'workload', 'pod', 'container', 'node']) if (q.get(k) && e[k] !== q.get(k)) return false;
    if (levels.length && !levels.includes(e.level)) return false;
    if (q.get('pattern') && String(patternId(patternOf(e.text))) !== q.get('pattern')) return false;
    const text = e.text.toLowerCase();
    return words.every((w) => (w.endsWith('*') ? text.includes(w.slice(0, -1)) : text.includes(w)));
  });
}

// A stand-in for the server's table (src/protocols/*/declare.cpp), shaped
// like GET /api/v1/protocols: the protocols this mock's traffic uses.
const MOCK_PROTOCOLS = [
  ['http1', 'HTTP/1.x', [80, 8080, 8000, 3000]],
  ['postgres', 'PostgreSQL', [5432]],
  ['mysql', 'MySQL / MariaDB', [3306]],
  ['redis', 'Redis', [6379]],
  ['dns', 'DNS', [53]],
].map(([name, display_name, default_ports]) => ({ name, display_name, default_ports, carried_by: null, fields: { method: 'method' }, docs: `docs/protocols/${name}.md` }));

// CPU profiles in /api/v1/profile's shape: two processes' folded stacks,
// each minute's samples scaled by its traffic so windows differ, built into
// the call tree and function table the server answers with.
const MOCK_STACKS = [
  ['checkout;main;serve;handle_order;price_cart', 6],
  ['checkout;main;serve;handle_order;json_encode', 3],
  ['checkout;main;serve;read_request;__x64_sys_read_[k]', 2],
  ['checkout;main;gc_collect', 1],
  ['postgres;main;PostgresMain;exec_simple_query;ExecScan', 5],
];

function profileOf(q) {
  const now = Date.now() / 1000;
  const to = q.get('to') ? Number(q.get('to')) : now;
  const from = q.get('from') ? Number(q.get('from')) : to - 900;
  const minutes = recordsBetween(from, to).length;
  const process = q.get('process');
  const stacks = MOCK_STACKS.filter(([chain]) => !process || chain.startsWith(`${process};`)).map(([chain, w]) => [chain.split(';'), w * minutes]);
  const root = { name: 'all', total: 0, self: 0, children: [] };
  const fns = new Map();
  for (const [frames, n] of stacks) {
    if (!n) continue;
    root.total += n;
    let node = root;
    for (const f of frames) {
      let c = node.children.find((k) => k.name === f);
      if (!c) node.children.push((c = { name: f, total: 0, self: 0, children: [] }));
      c.total += n;
      node = c;
    }
    node.self += n;
    for (const f of new Set(frames)) {
      const e = fns.get(f) ?? { name: f, self: 0, total: 0 };
      e.total += n;
      fns.set(f, e);
    }
    fns.get(frames[frames.length - 1]).self += n;
  }
  const sortTree = (n) => { n.children.sort((a, b) => b.total - a.total); n.children.forEach(sortTree); };
  sortTree(root);
  const functions = [...fns.values()].sort((a, b) => b.self - a.self || b.total - a.total);
  return { from: new Date(from * 1000).toISOString(), to: new Date(to * 1000).toISOString(), samples: root.total, stacks: stacks.filter(([, n]) => n).length, root, functions };
}

function api(route, q, opts) {
  switch (route) {
    case 'protocols':
      return MOCK_PROTOCOLS;
    case 'profile':
      return profileOf(q);
    case 'logs': {
      let all = matchingLogs(q);
      const limit = q.get('limit') ? Number(q.get('limit')) : 100;
      if (!Number.isInteger(limit) || limit < 1 || limit > 10000) throw new BadRequest('limit must be between 1 and 10000', 'limit');
      if (q.get('cursor')) {
        const i = all.findIndex((e) => e.cursor === q.get('cursor'));
        if (i < 0) throw new BadRequest('cursor must be a next_cursor value from an earlier answer', 'cursor');
        all = all.slice(i + 1);
      }
      const entries = all.slice(0, limit);
      return { entries, next_cursor: all.length > limit ? entries[entries.length - 1].cursor : null };
    }
    case 'logs/patterns': {
      // Lines grouped by their text with numbers and ids masked, as the server's miner does.
      const { from, to } = logRange(q);
      const step = Number(q.get('step') || 60);
      const groups = new Map();
      if (q.get('pattern')) throw new BadRequest('pattern filters /logs, not /patterns', 'pattern');
      const before = new URLSearchParams(q);
      before.delete('around');
      before.delete('window');
      before.set('from', String(2 * from - to));
      before.set('to', String(from));
      const previous = new Map();
      for (const e of matchingLogs(before)) previous.set(patternOf(e.text), (previous.get(patternOf(e.text)) ?? 0) + 1);
      for (const e of matchingLogs(q).reverse()) {
        const text = patternOf(e.text);
        if (!groups.has(text)) groups.set(text, { id: patternId(text), pattern: text, level: e.level, count: 0, previous_count: previous.get(text) ?? 0, first_seen_ns: e.time_ns, first_seen: e.time, example: e.text.split('\n')[0], buckets: new Map() });
        const g = groups.get(text);
        g.count++;
        const t = Math.floor(e.time_ns / 1e9 / step) * step;
        g.buckets.set(t, (g.buckets.get(t) ?? 0) + 1);
      }
      const limit = q.get('limit') ? Number(q.get('limit')) : 100;
      const patterns = [...groups.values()].sort((a, b) => b.count - a.count).slice(0, limit).map(({ buckets, ...g }) => {
        const points = [];
        for (let t = Math.floor(from / step) * step; t < to; t += step) points.push({ t, count: buckets.get(t) ?? 0 });
        return { ...g, points };
      });
      return { step_s: step, patterns };
    }
    case 'logs/histogram': {
      const { from, to } = logRange(q);
      const step = Number(q.get('step') || Math.max(1, Math.ceil((to - from) / 100)));
      const points = new Map();
      for (const e of matchingLogs(q)) {
        const t = Math.floor(e.time_ns / 1e9 / step) * step;
        if (!points.has(t)) points.set(t, {});
        const c = points.get(t);
        c[e.level] = (c[e.level] ?? 0) + 1;
      }
      return { step_s: step, points: [...points].sort((a, b) => a[0] - b[0]).map(([t, counts]) => ({ t, counts })) };
    }
    case 'services': {
      const { from, to } = range(q);
      const recs = recordsBetween(from, to);
      // step: each service's /latency points too, as the server gives them.
      const series = (name) => (q.get('step') ? { series: api('latency', new URLSearchParams([...q, ['service', name]]), opts) } : {});
      return [...groupBy(recs, (r) => r.service)].map(([name, rs]) => ({ name, kind: SERVICES[name].kind, ports: SERVICES[name].ports, ...red(rs, to - from), ...series(name) }))
        .sort((a, b) => b.requests - a.requests);
    }
    case 'endpoints': {
      const { from, to } = range(q);
      let recs = recordsBetween(from, to);
      if (q.get('service')) recs = recs.filter((r) => r.service === q.get('service'));
      return [...groupBy(recs, (r) => `${r.service}\u0000${r.method}\u0000${r.route}\u0000${r.protocol}`)].map(([, rs]) => ({
        service: rs[0].service, method: rs[0].method, route: rs[0].route, protocol: rs[0].protocol, ...red(rs, to - from),
      })).sort((a, b) => b.requests - a.requests);
    }
    case 'latency': {
      const { from, to } = range(q);
      if (!q.get('service')) throw new BadRequest('service is required', 'service');
      const step = Number(q.get('step') || 60);
      if (!Number.isInteger(step) || step <= 0 || step % 60) throw new BadRequest('step must be a positive multiple of 60 seconds', 'step');
      const qq = Number(q.get('q') || 0.95);
      if (!(qq > 0 && qq <= 1)) throw new BadRequest('q must be in (0, 1]', 'q');
      let recs = recordsBetween(from, to).filter((r) => r.service === q.get('service'));
      if (q.get('route')) recs = recs.filter((r) => r.route === q.get('route'));
      if (q.get('method')) recs = recs.filter((r) => r.method === q.get('method'));
      const b = groupBy(recs, (r) => Math.floor(r.start_ns / 1e9 / step) * step);
      return [...b].sort((x, y) => x[0] - y[0]).map(([t, rs]) => ({
        t, value_ms: Math.round(quantile(rs.map((r) => r.duration_ns / 1e6).sort((a, c) => a - c), qq) * 1000) / 1000, count: rs.length, errors: rs.filter(isErr).length,
      }));
    }
    case 'requests/count':
      return { count: api('requests', new URLSearchParams([...q, ['limit', '10000']]), opts).length };
    case 'requests': {
      const { from, to } = range(q);
      let recs = recordsBetween(from, to).map((r) => ({ ...r, id: String(r.start_ns), counted: true, caller: r.remote_workload || r.remote_addr }));
      if (q.get('q')) {
        const t = q.get('q').toLowerCase();
        recs = recs.filter((r) => [r.path, r.host, r.detail, r.error_message].some((f) => (f || '').toLowerCase().includes(t)));
      }
      if (q.get('service')) recs = recs.filter((r) => r.service === q.get('service'));
      if (q.get('route')) recs = recs.filter((r) => r.route === q.get('route'));
      if (q.get('protocol')) {
        const p = q.get('protocol');
        if (!MOCK_PROTOCOLS.some((m) => m.name === p)) throw new BadRequest(`unknown protocol "${p}"`, 'protocol');
        recs = recs.filter((r) => r.protocol === p);
      }
      if (q.get('status')) {
        const s = q.get('status');
        if (!/^\d+$/.test(s)) throw new BadRequest(`status must be an integer, got "${s}"`, 'status');
        recs = recs.filter((r) => r.status === Number(s));
      }
      if (q.get('min_duration_ms')) {
        const md = Number(q.get('min_duration_ms'));
        if (!(md >= 0)) throw new BadRequest('min_duration_ms must be a non-negative number', 'min_duration_ms');
        recs = recs.filter((r) => r.duration_ns >= md * 1e6);
      }
      const limit = q.get('limit') ? Number(q.get('limit')) : 100;
      if (!Number.isInteger(limit) || limit < 1 || limit > 10000) throw new BadRequest('limit must be between 1 and 10000', 'limit');
      if (q.get('order') === 'slowest') return recs.sort((a, b) => b.duration_ns - a.duration_ns).slice(0, limit);
      return recs.reverse().slice(0, limit);
    }
    case 'map': {
      if (!opts.map) return null;
      const { from, to } = range(q);
      const recs = recordsBetween(from, to).filter((r) => r.remote_service || r.role === 'client');
      const g = groupBy(recs, (r) => `${r.role === 'client' && !r.remote_service ? r.workload === r.service ? 'checkout' : r.workload : r.remote_service}\u0000${r.service}`);
      return {
        edges: [...g].map(([k, rs]) => {
          const [caller, callee] = k.split('\u0000');
          const x = red(rs, to - from);
          return { caller, callee, protocol: rs[0].protocol, requests: x.requests, errors: x.errors, error_rate: x.error_rate, rate_per_s: x.rate_per_s, p95_ms: x.p95_ms };
        }),
      };
    }
    case 'workloads': {
      const ns = q.get('namespace');
      return cluster().workloads.filter((w) => !ns || w.namespace === ns);
    }
    case 'pods': {
      const ns = q.get('namespace');
      const w = q.get('workload');
      return cluster().pods.filter((p) => (!ns || p.namespace === ns) && (!w || p.workload === w));
    }
    case 'nodes':
      return cluster().nodes;
    case 'events': {
      const { from, to } = range(q);
      return cluster().events.filter((e) => e.time_ns >= from * 1e9 && e.time_ns < to * 1e9 && (!q.get('reason') || e.reason === q.get('reason'))
        && (!q.get('namespace') || e.namespace === q.get('namespace')) && (!q.get('type') || e.type === q.get('type')));
    }
    case 'losses': {
      // A burst 20 minutes ago that the store could not keep up with.
      const { from, to } = range(q);
      const burst = Math.floor((Date.now() / 1000 - 20 * 60) / 60) * 60;
      const minutes = [
        { t: burst, records: 12480, events: 0 },
        { t: burst + 60, records: 3020, events: 512 },
      ].filter((m) => m.t >= from && m.t < to);
      return {
        records: minutes.reduce((n, m) => n + m.records, 0),
        events: minutes.reduce((n, m) => n + m.events, 0),
        minutes,
      };
    }
    case 'doctor':
      return {
        ok: false,
        checks: [
          { name: 'kernel version', status: 'pass', detail: 'Linux 6.1.0-21-amd64', fix: '' },
          { name: 'BTF', status: 'fail', detail: '/sys/kernel/btf/vmlinux missing', fix: 'use a kernel built with CONFIG_DEBUG_INFO_BTF=y' },
          { name: 'server reachable, token accepted', status: 'skip', detail: 'no --server (agents only)', fix: '' },
        ],
        canary_record: null,
      };
    case 'status': {
      const all = recordsBetween(Date.now() / 1000 - 3600, Date.now() / 1000);
      return {
        version: '0.1.0-mock',
        uptime_s: Math.round((Date.now() - startedAt) / 1000) + 86400,
        agent: {
          running: true,
          kernel: '6.1.0-21-amd64',
          btf: true,
          events_total: 1843221 + all.length * 4,
          events_per_s: Math.round((all.length * 4) / 3600 * 10) / 10,
          drops: 0,
          ringbuf_bytes: 8 * 1024 * 1024,
          probes: [
            { name: 'sys_enter_read', type: 'tracepoint', attached: true },
            { name: 'sys_exit_read', type: 'tracepoint', attached: true },
            { name: 'sys_enter_write', type: 'tracepoint', attached: true },
            { name: 'sys_exit_write', type: 'tracepoint', attached: true },
            { name: 'sys_enter_connect', type: 'tracepoint', attached: true },
            { name: 'ssl_write (libssl.so.3)', type: 'uprobe', attached: true },
            { name: 'ssl_read (libssl.so.3)', type: 'uprobe', attached: true },
          ],
        },
        kernel_features: { btf: true, ringbuf: true, fentry: true, uprobe_multi: false, bpf_loop: true, cgroup_v2: true },
        store: { path: '/var/lib/loupe/loupe.db', records_stored: 412345 + all.length, store_size_bytes: 187 * 1024 * 1024 + all.length * 310, retention_h: 72, ingest_dropped: 0, write_errors: 0, last_error: '' },
      };
    }
    default:
      return undefined;
  }
}

// ---------- HTTP ----------
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json', '.ico': 'image/x-icon', '.woff2': 'font/woff2' };

export function startMock({ port = 0, host = '127.0.0.1', dist = DEFAULT_DIST, map = true } = {}) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const send = (code, body, type = 'application/json') => {
      res.writeHead(code, { 'Content-Type': type, 'Cache-Control': 'no-store' });
      res.end(type === 'application/json' ? JSON.stringify(body) : body);
    };
    if (url.pathname.startsWith('/api/')) {
      const m = url.pathname.match(/^\/api\/v1\/([a-z]+(?:\/[a-z]+)?)\/?$/);
      const one = url.pathname.match(/^\/api\/v1\/requests\/(\d+)$/);
      try {
        const out = one
          ? api('requests', new URLSearchParams([['from', String(Number(one[1]) / 1e9 - 1)], ['to', String(Number(one[1]) / 1e9 + 1)], ['limit', '10000']]), { map }).find((r) => r.id === one[1])
          : m ? api(m[1], url.searchParams, { map }) : undefined;
        if (out === undefined || out === null) return send(404, { error: `no such endpoint: ${url.pathname}` });
        return send(200, out);
      } catch (e) {
        if (e instanceof BadRequest) return send(400, { error: e.message, parameter: e.parameter });
        console.error(e);
        return send(500, { error: String(e) });
      }
    }
    let file = path.join(dist, path.normalize(decodeURIComponent(url.pathname)).replace(/^(\.\.[/\\])+/, ''));
    if (!file.startsWith(dist) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) file = path.join(dist, 'index.html');
    if (!fs.existsSync(file)) return send(503, 'ui/dist is missing: run scripts/build-ui.sh', 'text/plain');
    send(200, fs.readFileSync(file), TYPES[path.extname(file)] || 'application/octet-stream');
  });
  return new Promise((resolve) => {
    server.listen(port, host, () => {
      const url = `http://${host}:${server.address().port}`;
      resolve({ url, close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }) });
    });
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (n, d) => { const i = process.argv.indexOf(n); return i > 0 ? process.argv[i + 1] : d; };
  const { url } = await startMock({ port: Number(arg('--port', 8099)), dist: path.resolve(arg('--dist', DEFAULT_DIST)), map: !process.argv.includes('--no-map') });
  console.log(`mock Loupe API and UI on ${url}`);
}
