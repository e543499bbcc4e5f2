// Metrics: any resource or TCP-health metric of any node, pod, workload,
// container or process, charted on the shared time range with the same
// time axis as the latency charts. The pickers offer what exists
// (/api/v1/metrics/series) with the catalog's units and meanings
// (/api/v1/metrics/catalog); the choice lives in the URL, so a view can be
// shared or reloaded.
import { useMemo } from 'react';
import { useApi } from '../api';
import { TimeChart, type Series } from '../components/Chart';
import { bucketAxis, onAxis, useCatalog, type Axis } from '../components/MetricCharts';
import { Card, Empty, Loading } from '../components/States';
import { fmtBytes, fmtCount, fmtMs, fmtPct, isNum } from '../format';
import { fmtCores } from '../k8s';
import { navigate, useLocation, withQuery } from '../router';
import { stepFor, useTimeRange } from '../timerange';
import type { MetricInfo, MetricPoint, MetricSeries } from '../types';

const ENTITIES = ['node', 'workload', 'pod', 'container', 'process'] as const;

// What a person looks at first, per entity, when the URL names no metric.
const DEFAULTS: Record<string, string[]> = {
  node: ['node_cpu_usage_cores', 'node_memory_available_bytes', 'node_load1'],
  workload: ['cpu_usage_cores', 'memory_working_set_bytes', 'cpu_throttled_ratio', 'tcp_connect_failures'],
  pod: ['cpu_usage_cores', 'memory_working_set_bytes', 'cpu_throttled_ratio', 'tcp_connect_failures'],
  container: ['cpu_usage_cores', 'memory_working_set_bytes', 'cpu_throttled_ratio', 'oom_kills'],
  process: ['tcp_connects', 'tcp_connect_failures', 'tcp_retransmits'],
};

// One line per label for at most this many labels ("each"); more are summed.
const MAX_LINES = 6;
const COLORS = ['#3b6fd8', '#d97706', '#38a169', '#6b5bd2', '#dc2626', '#0e9f9a'];

const sig = (v: number) => (Math.abs(v) >= 100 ? String(Math.round(v)) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2).replace(/\.?0+$/, ''));

/** Formats a value of the catalog's unit the way the other pages do. */
export function unitFormat(unit: string | undefined): (v: number) => string {
  switch (unit) {
    case 'cores':
      return fmtCores;
    case 'bytes':
      return fmtBytes;
    case 'bytes/s':
      return (v) => `${fmtBytes(v)}/s`;
    case 'ratio':
      return fmtPct;
    case 'percent':
      return (v) => `${sig(v)}%`;
    case 'seconds':
      return (v) => fmtMs(v * 1000);
    case 'count':
      return fmtCount;
    default:
      return (v) => `${sig(v)}${unit ? ` ${unit}` : ''}`;
  }
}

function forEntity(m: MetricInfo, entity: string) {
  return !m.entities || (typeof m.entities === 'string' ? m.entities.split(',') : m.entities).includes(entity);
}

/** A metric's series for one label (null: summed over labels) on the axis; path null skips. */
function useLine(enabled: boolean, entity: string, name: string, metric: string, label: string | null, axis: Axis) {
  const res = useApi<MetricPoint[]>(enabled ? 'metrics' : null, { entity, name, metric, label, from: axis.apiFrom, to: axis.apiTo, step: axis.step });
  const pts = useMemo(() => (res.data ?? []), [res.data]);
  return { loading: enabled && res.loading && !res.data, values: useMemo(() => onAxis(axis.xs, pts), [axis.xs, pts]) };
}

function MetricChart({ entity, name, info, labels, axis }: { entity: string; name: string; info: MetricInfo; labels: string[]; axis: Axis }) {
  const loc = useLocation();
  const splitKey = `split.${info.name}`;
  const split = loc.query.get(splitKey) || ''; // '' summed, '*' each label, else one label
  const each = split === '*' ? labels.slice(0, MAX_LINES) : [];
  const one = split && split !== '*' ? split : null;
  // A fixed number of hooks: the summed (or one-label) line, then MAX_LINES label lines.
  const main = useLine(each.length === 0, entity, name, info.name, one, axis);
  const perLabel = Array.from({ length: MAX_LINES }, (_, i) =>
    // eslint-disable-next-line react-hooks/rules-of-hooks
    useLine(i < each.length, entity, name, info.name, each[i] ?? null, axis),
  );
  const series = useMemo<Series[]>(() => {
    if (each.length === 0) return [{ label: one ?? (labels.length > 1 ? `all ${info.label ?? 'label'}s` : info.name), color: COLORS[0], values: main.values, fill: true }];
    return each.map((l, i) => ({ label: l || '(none)', color: COLORS[i % COLORS.length], values: perLabel[i].values }));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [each.join('\n'), one, main.values, ...perLabel.map((p) => p.values)]);
  const loading = main.loading || perLabel.some((p) => p.loading);
  const shown = series.reduce((n, s) => n + s.values.filter(isNum).length, 0);
  const per = info.kind === 'counter' ? ` · per ${axis.step} s` : '';
  return (
    <Card
      title={
        <>
          <span className="mono">{info.name}</span> <span className="muted">({info.unit}{per})</span>
        </>
      }
      hint={info.help}
      actions={
        labels.length > 1 || (labels.length === 1 && labels[0] !== '') ? (
          <select
            name={`split-${info.name}`}
            aria-label={`${info.label ?? 'label'} of ${info.name}`}
            value={split}
            onChange={(e) => navigate(withQuery(loc.path, loc.query, { [splitKey]: e.target.value }), true)}
          >
            <option value="">all {info.label ?? 'label'}s, summed</option>
            <option value="*">each {info.label ?? 'label'}{labels.length > MAX_LINES ? ` (first ${MAX_LINES})` : ''}</option>
            {labels.map((l) => (
              <option key={l} value={l}>
                {l}
              </option>
            ))}
          </select>
        ) : undefined
      }
    >
      <div data-testid="metric-chart" data-metric={info.name} data-values={shown}>
        {loading ? (
          <Loading />
        ) : shown === 0 ? (
          <Empty title="No samples in this time range" />
        ) : (
          <TimeChart xs={axis.xs} series={series} yFormat={unitFormat(info.unit)} height={170} />
        )}
      </div>
    </Card>
  );
}

export function MetricsPage() {
  const tr = useTimeRange();
  const loc = useLocation();
  const step = stepFor(tr.spanS, 360, 60); // as the Workload page's latency charts
  const axis = useMemo<Axis>(() => ({ xs: bucketAxis(tr.fromS, tr.toS, step), step, apiFrom: tr.apiFrom, apiTo: tr.apiTo }), [tr.fromS, tr.toS, step, tr.apiFrom, tr.apiTo]);
  const entity = (ENTITIES as readonly string[]).includes(loc.query.get('entity') ?? '') ? loc.query.get('entity')! : 'node';
  const set = (changes: Record<string, string | null>) => navigate(withQuery(loc.path, loc.query, changes), true);

  const { catalog, loading: catLoading, missing } = useCatalog();
  // A workload's series are its pods'.
  const seriesRes = useApi<MetricSeries[]>(missing ? null : 'metrics/series', { entity: entity === 'workload' ? 'pod' : entity });
  const all = useMemo(() => (seriesRes.data ?? []), [seriesRes.data]);
  const nameOf = (s: MetricSeries) => (entity === 'workload' ? s.workload : s.name);
  const names = useMemo(() => [...new Set(all.map(nameOf).filter(Boolean))].sort(), [all, entity]); // eslint-disable-line react-hooks/exhaustive-deps
  const asked = loc.query.get('name') || '';
  const name = asked || names[0] || '';

  const mine = useMemo(() => all.filter((s) => nameOf(s) === name), [all, name, entity]); // eslint-disable-line react-hooks/exhaustive-deps
  const labelsOf = useMemo(() => {
    const m = new Map<string, Set<string>>();
    for (const s of mine) {
      if (!m.has(s.metric)) m.set(s.metric, new Set());
      m.get(s.metric)!.add(s.label);
    }
    return m;
  }, [mine]);
  const offered = useMemo(() => (catalog ?? []).filter((m) => forEntity(m, entity) && (labelsOf.has(m.name) || mine.length === 0)), [catalog, entity, labelsOf, mine.length]);
  const askedMetrics = (loc.query.get('metric') || '').split(',').filter(Boolean);
  const chosen = askedMetrics.length ? askedMetrics : DEFAULTS[entity].filter((m) => offered.some((o) => o.name === m));
  const toggle = (metric: string) => {
    const next = chosen.includes(metric) ? chosen.filter((m) => m !== metric) : [...chosen, metric];
    set({ metric: next.join(',') || null });
  };

  if (catLoading) return <Loading label="Loading the metric catalog…" />;
  if (missing || !catalog)
    return (
      <Card title="Metrics">
        <Empty title="This server does not serve resource metrics">/api/v1/metrics is missing: upgrade the server, or run the agent with --metrics-interval above 0.</Empty>
      </Card>
    );

  return (
    <>
      <div className="page-head">
        <h1>Metrics</h1>
        <p className="sub">CPU, memory, throttling, OOM kills, node resources and TCP health of any node, workload, pod, container or process, on the page's time range.</p>
      </div>
      <div className="filters" data-testid="metric-pickers">
        <label>
          Entity
          <select name="entity" value={entity} onChange={(e) => set({ entity: e.target.value, name: null, metric: null })}>
            {ENTITIES.map((e) => (
              <option key={e} value={e}>
                {e}
              </option>
            ))}
          </select>
        </label>
        <label>
          Name
          <select name="name" value={name} onChange={(e) => set({ name: e.target.value })} disabled={names.length === 0}>
            {[...new Set([...names, asked].filter(Boolean))].map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
      </div>
      {seriesRes.loading && !seriesRes.data ? (
        <Loading />
      ) : !name ? (
        <Empty title={`No ${entity} has metrics yet`}>The agent samples every --metrics-interval (10 s by default); pods and workloads need the cluster collector.</Empty>
      ) : (
        <>
          <Card title="Metrics" hint={`${offered.length} with samples for ${name}`}>
            <div className="metric-picks" data-testid="metric-list">
              {offered.map((m) => (
                <label key={m.name} title={m.help} className="metric-pick">
                  <input type="checkbox" data-metric={m.name} checked={chosen.includes(m.name)} onChange={() => toggle(m.name)} /> <span className="mono">{m.name}</span>
                </label>
              ))}
            </div>
          </Card>
          <div className="grid2" data-testid="metric-charts">
            {chosen.map((metric) => {
              const info = catalog.find((m) => m.name === metric);
              if (!info) return null;
              const labels = [...(labelsOf.get(metric) ?? [])].sort();
              return <MetricChart key={`${entity}|${name}|${metric}`} entity={entity} name={name} info={info} labels={labels} axis={axis} />;
            })}
          </div>
        </>
      )}
    </>
  );
}
