// CPU profiles (/api/v1/profile, docs/profiling.md): an icicle graph of the
// window's on-CPU stacks (callers on top, callees below, width = samples)
// with search and click-to-zoom, and the top functions by self samples.
// Compared with an earlier window (compare_from/compare_to), frames are
// coloured by how their share of the samples changed: red grew, blue shrank.
import { useMemo, useState } from 'react';
import { useApi } from '../api';
import { DebouncedInput } from '../components/DebouncedInput';
import { Card, Empty, Loading } from '../components/States';
import { SortTable, type Column } from '../components/Table';
import { fmtCount } from '../format';
import { navigate, useLocation, withQuery } from '../router';
import { useTimeRange } from '../timerange';
import type { Profile, ProfileFunction, ProfileNode } from '../types';

const ROW_PX = 20;
// Frames narrower than this share of the zoomed width are not drawn.
const MIN_SHARE = 0.002;

interface Rect {
  node: ProfileNode;
  path: string; // names from the root, joined: the zoom target
  x: number; // 0..1 of the zoomed width
  w: number;
  depth: number;
}

/** The node at `path` (names under the root joined by '\u0001'), or the root. */
function findNode(root: ProfileNode, path: string): ProfileNode {
  if (!path) return root;
  let n = root;
  for (const name of path.split('\u0001')) {
    const next = n.children.find((c) => c.name === name);
    if (!next) return root;
    n = next;
  }
  return n;
}

function layout(focus: ProfileNode, focusPath: string): Rect[] {
  const out: Rect[] = [];
  const total = focus.total || 1;
  const walk = (n: ProfileNode, path: string, x: number, depth: number) => {
    const w = n.total / total;
    if (w < MIN_SHARE) return;
    out.push({ node: n, path, x, w, depth });
    let cx = x;
    for (const c of n.children) {
      walk(c, path ? `${path}\u0001${c.name}` : c.name, cx, depth + 1);
      cx += c.total / total;
    }
  };
  walk(focus, focusPath, 0, 0);
  return out;
}

// A stable, warm colour per name (kernel frames cooler), so a function keeps its colour across zooms.
function colour(name: string): string {
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) >>> 0;
  const kernel = name.endsWith('_[k]');
  return kernel ? `hsl(${190 + (h % 30)}, 45%, ${62 + (h % 12)}%)` : `hsl(${10 + (h % 45)}, 75%, ${58 + (h % 14)}%)`;
}

/** Share points a node gained since the baseline (+ grew, - shrank). */
function deltaPts(n: ProfileNode, total: number, baselineTotal: number): number {
  const now = total > 0 ? n.total / total : 0;
  const before = baselineTotal > 0 ? (n.baseline_total ?? 0) / baselineTotal : 0;
  return 100 * (now - before);
}

// Red for a frame that grew, blue for one that shrank, paler the smaller the change (5 points: full).
function diffColour(pts: number): string {
  const strength = Math.min(1, Math.abs(pts) / 5);
  const light = 92 - 42 * strength;
  return pts >= 0 ? `hsl(0, 75%, ${light}%)` : `hsl(215, 75%, ${light}%)`;
}

const fmtPts = (pts: number) => `${pts >= 0 ? '+' : '−'}${Math.abs(pts).toFixed(1)} pts`;

function FlameGraph({ root, zoom, onZoom, search, baselineTotal }: { root: ProfileNode; zoom: string; onZoom: (path: string) => void; search: string; baselineTotal?: number }) {
  const focus = findNode(root, zoom);
  const rects = useMemo(() => layout(focus, zoom), [focus, zoom]);
  const depth = rects.reduce((m, r) => Math.max(m, r.depth), 0) + 1;
  const needle = search.toLowerCase();
  return (
    <div className="flame" data-testid="flame-graph" style={{ position: 'relative', height: depth * ROW_PX }}>
      {rects.map((r) => {
        const hit = needle !== '' && r.node.name.toLowerCase().includes(needle);
        const pct = (100 * r.node.total) / (root.total || 1);
        const pts = baselineTotal !== undefined ? deltaPts(r.node, root.total, baselineTotal) : undefined;
        return (
          <div
            key={r.path || '(root)'}
            className={`flame-frame${hit ? ' hit' : ''}${needle && !hit ? ' dim' : ''}`}
            data-testid="flame-frame"
            data-name={r.node.name}
            data-total={r.node.total}
            data-delta={pts?.toFixed(2)}
            title={`${r.node.name}\n${fmtCount(r.node.total)} samples (${pct.toFixed(1)}%), self ${fmtCount(r.node.self)}${pts !== undefined ? `\n${fmtPts(pts)} since the baseline (${fmtCount(r.node.baseline_total ?? 0)} samples then)` : ''}`}
            onClick={() => onZoom(r.path)}
            style={{
              position: 'absolute',
              left: `${r.x * 100}%`,
              width: `${r.w * 100}%`,
              top: r.depth * ROW_PX,
              height: ROW_PX - 1,
              background: hit ? '#e040fb' : pts !== undefined ? diffColour(pts) : colour(r.node.name),
            }}
          >
            {r.w > 0.02 ? r.node.name : ''}
          </div>
        );
      })}
    </div>
  );
}

/** Samples of chains holding a frame whose name contains `needle` (each chain once). */
function matchedSamples(root: ProfileNode, needle: string): number {
  const walk = (n: ProfileNode): number => (n.name.toLowerCase().includes(needle) ? n.total : n.children.reduce((s, c) => s + walk(c), 0));
  return needle ? walk(root) : 0;
}

function TopFunctions({ rows, total, baselineTotal, onPick }: { rows: ProfileFunction[]; total: number; baselineTotal?: number; onPick: (name: string) => void }) {
  const pct = (n: number) => `${((100 * n) / (total || 1)).toFixed(1)}%`;
  const selfPts = (f: ProfileFunction) => 100 * (f.self / (total || 1) - (f.baseline_self ?? 0) / (baselineTotal || 1));
  const cols: Column<ProfileFunction>[] = [
    { key: 'name', label: 'Function', render: (f) => <span className="mono" data-col="name">{f.name}</span>, sort: (f) => f.name },
    { key: 'self', label: 'Self', numeric: true, render: (f) => <span data-col="self">{fmtCount(f.self)}</span>, sort: (f) => f.self },
    { key: 'self_pct', label: 'Self %', numeric: true, render: (f) => pct(f.self), sort: (f) => f.self },
    { key: 'total', label: 'Total', numeric: true, render: (f) => <span data-col="total">{fmtCount(f.total)}</span>, sort: (f) => f.total },
    { key: 'total_pct', label: 'Total %', numeric: true, render: (f) => pct(f.total), sort: (f) => f.total },
    ...(baselineTotal !== undefined
      ? [{ key: 'self_delta', label: 'Self vs baseline', numeric: true, render: (f: ProfileFunction) => <span data-col="self-delta">{fmtPts(selfPts(f))}</span>, sort: (f: ProfileFunction) => selfPts(f) }]
      : []),
  ];
  return <SortTable rows={rows} columns={cols} initialSort="self" rowKey={(f) => f.name} onRowClick={(f) => onPick(f.name)} testId="top-functions" />;
}

const FILTERS = [
  { key: 'workload', label: 'Workload', placeholder: 'namespace/Kind/name' },
  { key: 'pod', label: 'Pod', placeholder: 'namespace/pod' },
  { key: 'process', label: 'Process', placeholder: 'pid or name' },
  { key: 'node', label: 'Node', placeholder: 'all' },
];

export function FlamePage() {
  const tr = useTimeRange();
  const loc = useLocation();
  const get = (k: string) => loc.query.get(k) || '';
  const set = (changes: Record<string, string>) => navigate(withQuery(loc.path, loc.query, changes), true);
  const [zoom, setZoom] = useState('');
  const filters = Object.fromEntries(FILTERS.map((f) => [f.key, get(f.key)]));
  // A differential profile against the same span just before, or a day earlier.
  const compare = get('compare');
  const shift = compare === 'before' ? tr.spanS : compare === 'day' ? 86400 : 0;
  const baselineParams = shift > 0 && tr.spanS > 0 ? { compare_from: String(tr.fromS - shift), compare_to: String(tr.toS - shift) } : {};
  const { data, loading, error } = useApi<Profile>('profile', { from: tr.apiFrom, to: tr.apiTo, ...filters, ...baselineParams });
  const baselineTotal = data?.baseline ? data.baseline.samples : undefined;
  const search = get('search');
  const matched = useMemo(() => (data ? matchedSamples(data.root, search.toLowerCase()) : 0), [data, search]);
  const focus = data ? findNode(data.root, zoom) : null;
  return (
    <>
      <div className="page-head">
        <h1>Flame graphs</h1>
        <p className="sub">Where the CPU went: on-CPU stacks sampled by the agents, callers above callees, width by samples. Click a frame to zoom into it.</p>
      </div>
      <div className="filters">
        {FILTERS.map((f) => (
          <label key={f.key}>
            {f.label}
            <DebouncedInput name={f.key} type="search" value={get(f.key)} placeholder={f.placeholder} onCommit={(v) => { setZoom(''); set({ [f.key]: v }); }} />
          </label>
        ))}
        <label>
          Search
          <DebouncedInput name="search" type="search" value={search} placeholder="function name" onCommit={(v) => set({ search: v })} />
        </label>
        <label>
          Compare with
          <select name="compare" value={compare} onChange={(e) => set({ compare: e.target.value })}>
            <option value="">nothing</option>
            <option value="before">the window before</option>
            <option value="day">a day earlier</option>
          </select>
        </label>
      </div>
      {data?.baseline && (
        <div className="banner banner-info" data-testid="flame-diff">
          Compared with {fmtCount(data.baseline.samples)} samples from {data.baseline.from} to {data.baseline.to}: red frames took a larger share of the CPU than then, blue a smaller one.
        </div>
      )}
      {loading && !data ? (
        <Loading />
      ) : error && !data ? (
        <Empty title="The profile could not be loaded">See the error above.</Empty>
      ) : !data || data.samples === 0 ? (
        <Empty title="No CPU samples in this time range">Profiles are sampled by `loupe run` and `loupe agent` unless started with --no-profile; they arrive within about 10 seconds.</Empty>
      ) : (
        <>
          <Card
            title={<span data-testid="flame-samples">{fmtCount(data.samples)} samples</span>}
            hint={search ? <span data-testid="flame-matched">{`“${search}”: ${fmtCount(matched)} samples (${((100 * matched) / (data.samples || 1)).toFixed(1)}%)`}</span> : undefined}
            actions={
              zoom ? (
                <button type="button" data-testid="flame-reset" onClick={() => setZoom('')}>
                  Reset zoom ({focus?.name})
                </button>
              ) : undefined
            }
          >
            <FlameGraph root={data.root} zoom={zoom} onZoom={setZoom} search={search} baselineTotal={baselineTotal} />
          </Card>
          <Card title="Top functions" hint="Self: samples in the function itself; total: samples in it and what it called.">
            <TopFunctions rows={data.functions} total={data.samples} baselineTotal={baselineTotal} onPick={(name) => set({ search: name })} />
          </Card>
        </>
      )}
    </>
  );
}
