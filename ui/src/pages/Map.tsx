import { useMemo } from 'react';
import { useApi } from '../api';
import { Card, Empty, Loading, NO_TRAFFIC } from '../components/States';
import { SortTable, type Column } from '../components/Table';
import { fmtCount, fmtMs, fmtPct, fmtRate, isNum } from '../format';
import { navigate, sharedQuery, useLocation, withQuery } from '../router';
import { useTimeRange } from '../timerange';
import type { EndpointStats, MapEdge, ServiceMap } from '../types';
import { errorRate, rate } from './Overview';

interface Edge {
  from: string;
  to: string;
  e: MapEdge;
  rate?: number;
  err?: number;
  p95?: number;
}

const NODE_W = 150;
const NODE_H = 40;
const COL_GAP = 210;
const ROW_GAP = 44;
const LABEL_W = 132;
const LABEL_H = 32;
// A column taller than this packs its nodes closer (a host with a hundred
// services would otherwise be a map many screens tall); the edge labels in
// the gap before it still get their own slots.
const COMPACT_ROWS = 12;
const COMPACT_ROW_GAP = 12;
// Names longer than NODE_FIT are drawn narrower to fit the box; longer than
// NODE_CHARS they are cut in the middle, so prefixes and numbered suffixes
// ("python3 (pid 812)", "leaf-3-7.example") both show.
const NODE_FIT = 15;
const NODE_CHARS = 22;

interface Placed extends Edge {
  d: string;
  lx: number;
  ly: number;
}

/**
 * Longest-path layering (bounded for cycles), barycentre ordering, then each
 * forward edge is routed through a label slot in the gap before its callee;
 * slots in one gap are spread so labels never overlap.
 */
function layout(edges: Edge[]) {
  const names = [...new Set(edges.flatMap((e) => [e.from, e.to]))].sort();
  const layer = new Map(names.map((n) => [n, 0]));
  for (let iter = 0; iter < names.length; iter++) {
    let changed = false;
    for (const e of edges) {
      if (e.from === e.to) continue;
      const want = layer.get(e.from)! + 1;
      if (want > layer.get(e.to)! && want < names.length) {
        layer.set(e.to, want);
        changed = true;
      }
    }
    if (!changed) break;
  }
  const cols: string[][] = [];
  for (const n of names) (cols[layer.get(n)!] ||= []).push(n);
  const filled = cols.filter(Boolean);
  const pos = new Map<string, { x: number; y: number }>();
  const maxRows = Math.max(...filled.map((c) => c.length));
  const rowGap = maxRows > COMPACT_ROWS ? COMPACT_ROW_GAP : ROW_GAP;
  const height0 = maxRows * (NODE_H + rowGap) + rowGap;
  filled.forEach((col, ci) => {
    if (ci > 0) {
      const bary = (n: string) => {
        const ys = edges.filter((e) => e.to === n && pos.has(e.from)).map((e) => pos.get(e.from)!.y);
        return ys.length ? ys.reduce((a, b) => a + b, 0) / ys.length : Infinity;
      };
      col.sort((a, b) => bary(a) - bary(b) || a.localeCompare(b));
    }
    const top = (height0 - col.length * (NODE_H + rowGap) + rowGap) / 2;
    col.forEach((n, ri) => pos.set(n, { x: 20 + ci * (NODE_W + COL_GAP), y: top + ri * (NODE_H + rowGap) }));
  });

  // label slots per gap
  const slots = new Map<number, { e: Edge; want: number; y?: number }[]>();
  const placed: Placed[] = [];
  for (const e of edges) {
    const a = pos.get(e.from)!;
    const b = pos.get(e.to)!;
    if (b.x > a.x) {
      const gx = b.x - COL_GAP / 2;
      const want = (a.y + b.y) / 2 + NODE_H / 2;
      (slots.get(gx) || slots.set(gx, []).get(gx)!).push({ e, want });
    }
  }
  let maxY = height0;
  for (const [gx, list] of slots) {
    list.sort((p, q) => p.want - q.want);
    let prev = -Infinity;
    for (const s of list) {
      s.y = Math.max(s.want, prev + LABEL_H + 6);
      prev = s.y;
    }
    // shift the stack back up so it stays centred on what it wanted
    const shift = Math.min(
      list.reduce((acc, s) => acc + (s.y! - s.want), 0) / list.length,
      list[0].y! - LABEL_H / 2 - 8,
    );
    for (const s of list) {
      s.y! -= Math.max(0, shift);
      const a = pos.get(s.e.from)!;
      const b = pos.get(s.e.to)!;
      const x1 = a.x + NODE_W;
      const y1 = a.y + NODE_H / 2;
      const x2 = b.x - 2;
      const y2 = b.y + NODE_H / 2;
      const l = gx - LABEL_W / 2;
      const r = gx + LABEL_W / 2;
      const m1 = (x1 + l) / 2;
      const m2 = (r + x2) / 2;
      const d = `M${x1},${y1} C${m1},${y1} ${m1},${s.y} ${l},${s.y} L${r},${s.y} C${m2},${s.y} ${m2},${y2} ${x2},${y2}`;
      placed.push({ ...s.e, d, lx: gx, ly: s.y! });
      maxY = Math.max(maxY, s.y! + LABEL_H);
    }
  }
  for (const e of edges) {
    const a = pos.get(e.from)!;
    const b = pos.get(e.to)!;
    if (b.x > a.x) continue;
    // back edge or same column: loop under the nodes
    const x1 = a.x + NODE_W / 2;
    const y1 = a.y + NODE_H;
    const x2 = b.x + NODE_W / 2;
    const y2 = b.y + NODE_H + 2;
    const dip = Math.max(y1, y2) + 60;
    placed.push({ ...e, d: `M${x1},${y1} C${x1},${dip} ${x2},${dip} ${x2},${y2}`, lx: (x1 + x2) / 2 || x1 + 40, ly: dip - 14 });
    maxY = Math.max(maxY, dip + 10);
  }
  const width = 40 + filled.length * NODE_W + (filled.length - 1) * COL_GAP;
  return { pos, placed, width, height: maxY + 16 };
}

/** A node's name as drawn: an external callee without its "external:" prefix (its box is dashed), cut in the middle to fit. */
function nodeLabel(name: string, kind: unknown): string {
  const n = kind === 'external' && name.startsWith('external:') ? name.slice('external:'.length) : name;
  if (n.length <= NODE_CHARS) return n;
  const head = Math.ceil((NODE_CHARS - 1) / 2);
  return `${n.slice(0, head)}…${n.slice(n.length - (NODE_CHARS - 1 - head))}`;
}

/** "shop" of "shop/Deployment/api"; empty for names that are not Kubernetes workloads. */
function namespaceOf(name: string): string {
  const parts = name.split('/');
  return parts.length === 3 ? parts[0] : '';
}

function edgeColor(err?: number) {
  if (!isNum(err)) return '#94a3b8';
  if (err >= 0.05) return '#dc2626';
  if (err >= 0.01) return '#d97706';
  return '#64748b';
}

export function MapPage() {
  const tr = useTimeRange();
  const loc = useLocation();
  // One endpoint's calls (service + route in the URL): the map drawn from
  // the traces of its newest requests, not from every record.
  const epService = loc.query.get('service') || '';
  const epRoute = loc.query.get('route') || '';
  const endpointMode = !!(epService && epRoute);
  const { data, loading, notFound, error } = useApi<ServiceMap>(
    'map',
    { from: tr.apiFrom, to: tr.apiTo, ...(endpointMode ? { service: epService, route: epRoute } : {}) },
    { allow404: true },
  );
  const edges: Edge[] = useMemo(
    () =>
      (data?.edges ?? [])
        .map((e) => ({
          from: e.caller,
          to: e.callee,
          e,
          rate: rate(e, tr.spanS),
          err: errorRate(e),
          p95: e.p95_ms,
        })),
    [data, tr.spanS],
  );
  // Focus on one service and its direct callers and callees, and filter by
  // namespace ("ns/Kind/name" services) and protocol: a busy host's map
  // stays legible. All in the URL.
  const focus = loc.query.get('focus') || '';
  const ns = loc.query.get('namespace') || '';
  const proto = loc.query.get('protocol') || '';
  const setQ = (changes: Record<string, string | null>) => navigate(withQuery(loc.path, loc.query, changes), true);
  const nodeNames = useMemo(() => [...new Set(edges.flatMap((e) => [e.from, e.to]))].sort(), [edges]);
  const namespaces = useMemo(() => [...new Set(nodeNames.map(namespaceOf).filter(Boolean))].sort(), [nodeNames]);
  const protocols = useMemo(() => [...new Set(edges.flatMap((e) => (Array.isArray(e.e.protocols) ? e.e.protocols : [e.e.protocol])).filter(Boolean) as string[])].sort(), [edges]);
  const showSelf = loc.query.get('self') === 'show';
  const shown = useMemo(
    () =>
      edges.filter(
        (e) =>
          (showSelf || (e.e.callee_kind !== 'loupe' && e.e.caller_kind !== 'loupe')) &&
          (!focus || e.from === focus || e.to === focus) &&
          (!ns || namespaceOf(e.from) === ns || namespaceOf(e.to) === ns) &&
          (!proto || e.e.protocol === proto || (Array.isArray(e.e.protocols) && e.e.protocols.includes(proto))),
      ),
    [edges, focus, ns, proto, showSelf],
  );
  const lay = useMemo(() => (shown.length ? layout(shown) : null), [shown]);
  const kinds = useMemo(() => new Map(edges.flatMap((e) => [[e.from, e.e.caller_kind], [e.to, e.e.callee_kind]] as [string, unknown][])), [edges]);
  const maxRate = Math.max(1e-9, ...shown.map((e) => e.rate ?? 0));
  const goService = (n: string) => navigate(withQuery(`/services/${encodeURIComponent(n)}`, sharedQuery(loc.query), {}));
  // The focused service's endpoints, to draw one's calls only.
  const epOwner = endpointMode ? epService : focus;
  const endpoints = useApi<EndpointStats[]>(epOwner ? 'endpoints' : null, { service: epOwner, from: tr.apiFrom, to: tr.apiTo });
  const routes = useMemo(() => [...new Set((endpoints.data ?? []).map((e) => e.route).filter(Boolean) as string[])].sort(), [endpoints.data]);

  const cols: Column<Edge>[] = [
    { key: 'from', label: 'Caller', render: (e) => e.from, sort: (e) => e.from },
    { key: 'to', label: 'Callee', render: (e) => e.to, sort: (e) => e.to },
    { key: 'proto', label: 'Protocol', render: (e) => e.e.protocol ?? '' },
    { key: 'req', label: 'Requests', numeric: true, render: (e) => fmtCount(e.e.requests), sort: (e) => e.e.requests },
    { key: 'rate', label: 'Rate', numeric: true, render: (e) => fmtRate(e.rate), sort: (e) => e.rate },
    { key: 'err', label: 'Errors', numeric: true, render: (e) => fmtPct(e.err), sort: (e) => e.err },
    { key: 'p95', label: 'p95', numeric: true, render: (e) => fmtMs(e.p95), sort: (e) => e.p95 },
  ];

  return (
    <>
      <div className="page-head">
        <h1>Service map</h1>
        <p className="sub">Who calls whom: each arrow is caller → callee, labelled with request rate, error rate and p95.</p>
      </div>
      {endpointMode && (
        <div className="banner banner-info" data-testid="endpoint-map">
          Only the calls made on behalf of <strong>{epRoute}</strong> of <strong>{epService}</strong>: drawn from the traces of its newest{' '}
          {data?.endpoint ? fmtCount(data.endpoint.sampled_requests) : ''} requests in this range; rates are estimates.{' '}
          <a href={withQuery(loc.path, loc.query, { service: null, route: null })} onClick={(ev) => { ev.preventDefault(); setQ({ service: null, route: null }); }}>
            Show the whole map
          </a>
        </div>
      )}
      {edges.length > 0 && (
        <div className="filters" data-testid="map-filters">
          <label>
            Focus on
            <select name="focus" value={focus} onChange={(e) => setQ({ focus: e.target.value })}>
              <option value="">Every service</option>
              {focus && !nodeNames.includes(focus) && <option value={focus}>{focus}</option>}
              {nodeNames.map((n) => (
                <option key={n}>{n}</option>
              ))}
            </select>
          </label>
          {epOwner && routes.length > 0 && (
            <label>
              Calls made for
              <select name="route" value={endpointMode ? epRoute : ''} onChange={(e) => setQ(e.target.value ? { service: epOwner, route: e.target.value } : { service: null, route: null })}>
                <option value="">Every request of {epOwner}</option>
                {endpointMode && !routes.includes(epRoute) && <option value={epRoute}>{epRoute}</option>}
                {routes.map((r) => (
                  <option key={r} value={r}>
                    {r}
                  </option>
                ))}
              </select>
            </label>
          )}
          {namespaces.length > 0 && (
            <label>
              Namespace
              <select name="namespace" value={ns} onChange={(e) => setQ({ namespace: e.target.value })}>
                <option value="">All</option>
                {namespaces.map((n) => (
                  <option key={n}>{n}</option>
                ))}
              </select>
            </label>
          )}
          <label>
            Protocol
            <select name="protocol" value={proto} onChange={(e) => setQ({ protocol: e.target.value })}>
              <option value="">Any</option>
              {protocols.map((p) => (
                <option key={p}>{p}</option>
              ))}
            </select>
          </label>
          <label className="check">
            <input type="checkbox" name="self" checked={showSelf} onChange={(e) => setQ({ self: e.target.checked ? 'show' : null })} /> Loupe's own traffic
          </label>
          <span className="muted small">
            {shown.length} of {edges.length} edges
          </span>
        </div>
      )}
      <Card>
        {loading && !data ? (
          <Loading label="Loading map…" />
        ) : notFound ? (
          <Empty title="The service map is not available on this server yet">
            This Loupe server does not serve <code>/api/v1/map</code> (it answered 404). Upgrade the server to see callers and callees.
          </Empty>
        ) : error && !data ? (
          <Empty title="The map could not be loaded">See the error above.</Empty>
        ) : !lay && edges.length > 0 ? (
          <Empty title="No edge matches these filters">Clear the focus, namespace or protocol to see the whole map.</Empty>
        ) : !lay ? (
          <Empty title="No calls between services in this time range">{NO_TRAFFIC}</Empty>
        ) : (
          <div className="map-scroll">
            <svg className="map" width={lay.width} height={lay.height} style={{ maxWidth: '100%', minWidth: lay.width * 0.8, height: 'auto' }} viewBox={`0 0 ${lay.width} ${lay.height}`} data-testid="service-map">
              <defs>
                {['#64748b', '#d97706', '#dc2626', '#94a3b8'].map((c) => (
                  <marker key={c} id={`arrow-${c.slice(1)}`} viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto-start-reverse">
                    <path d="M0,0 L10,5 L0,10 z" fill={c} />
                  </marker>
                ))}
              </defs>
              {lay.placed.map((e, i) => {
                const color = edgeColor(e.err);
                const w = 1.2 + 3 * Math.sqrt((e.rate ?? 0) / maxRate);
                const line1 = `${fmtRate(e.rate)} · ${fmtPct(e.err)} err`;
                const line2 = `p95 ${fmtMs(e.p95)}`;
                return (
                  <g key={i} className="edge" data-edge={`${e.from}->${e.to}`}>
                    <title>{`${e.from} → ${e.to}\n${fmtCount(e.e.requests)} requests\n${line1}\n${line2}`}</title>
                    <path d={e.d} fill="none" stroke={color} strokeWidth={w} strokeOpacity={0.7} markerEnd={`url(#arrow-${color.slice(1)})`} />
                    <rect x={e.lx - LABEL_W / 2} y={e.ly - LABEL_H / 2} width={LABEL_W} height={LABEL_H} rx={6} className="edge-label-bg" stroke={color} strokeOpacity={0.35} />
                    <text x={e.lx} y={e.ly - 3} textAnchor="middle" className="edge-label" fill={color === '#64748b' ? '#334155' : color}>
                      {line1}
                    </text>
                    <text x={e.lx} y={e.ly + 11} textAnchor="middle" className="edge-label sub" fill={color === '#64748b' ? '#64748b' : color}>
                      {line2}
                    </text>
                  </g>
                );
              })}
              {[...lay.pos.entries()].map(([n, p]) => (
                <g key={n} className={`node ${n === focus ? 'focused' : ''} ${kinds.get(n) === 'external' ? 'external' : ''}`} transform={`translate(${p.x},${p.y})`} onClick={(ev) => (ev.shiftKey || n === focus ? goService(n) : setQ({ focus: n }))} data-node={n}>
                  <title>{`${n}\nclick: focus on it and its neighbours; click again (or shift-click): open the service`}</title>
                  <rect width={NODE_W} height={NODE_H} rx={8} />
                  <text x={NODE_W / 2} y={NODE_H / 2 + 4} textAnchor="middle" {...(nodeLabel(n, kinds.get(n)).length > NODE_FIT ? { textLength: NODE_W - 12, lengthAdjust: 'spacingAndGlyphs' } : {})}>
                    {nodeLabel(n, kinds.get(n))}
                  </text>
                </g>
              ))}
            </svg>
          </div>
        )}
      </Card>
      {shown.length > 0 && (
        <Card title="Edges">
          <SortTable rows={shown} columns={cols} initialSort="rate" rowKey={(e, i) => `${e.from}>${e.to}>${i}`} testId="edges-table" />
        </Card>
      )}
    </>
  );
}
