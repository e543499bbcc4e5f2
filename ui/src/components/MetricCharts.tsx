// Resource metrics (/api/v1/metrics) charted on a given time axis, so they
// line up with the latency charts above them. The catalog says which
// metrics this server has; a server without /api/v1/metrics shows a note.
import { useMemo } from 'react';
import { useApi } from '../api';
import { TimeChart, type Series } from './Chart';
import { Card, Empty, Loading } from './States';
import { fmtBytes, fmtCount, fmtPct, isNum } from '../format';
import { fmtCores } from '../k8s';
import type { MetricInfo, MetricPoint } from '../types';

export interface Axis {
  xs: number[];
  step: number;
  apiFrom: string;
  apiTo: string;
}

/** Bucket starts from..to every step: the one time axis of a page's charts. */
export function bucketAxis(fromS: number, toS: number, step: number): number[] {
  if (!Number.isFinite(fromS) || !Number.isFinite(toS) || toS <= fromS || (toS - fromS) / step > 2000) return [];
  const xs: number[] = [];
  for (let t = Math.floor(fromS / step) * step; t < toS; t += step) xs.push(t);
  return xs;
}

export function onAxis(xs: number[], pts: { t: number; value?: number | null; value_ms?: number | null }[], field: 'value' | 'value_ms' = 'value'): (number | null)[] {
  const m = new Map(pts.map((p) => [p.t, p[field]]));
  return xs.map((t) => {
    const v = m.get(t);
    return isNum(v) ? v : null;
  });
}

const WANTED = ['cpu_usage_cores', 'memory_working_set_bytes', 'memory_limit_bytes', 'cpu_throttled_ratio', 'oom_kills', 'tcp_connect_failures', 'tcp_retransmits', 'tcp_resets_received'] as const;
type Wanted = (typeof WANTED)[number];

const line = (v: number | null, n: number) => Array.from({ length: n }, () => v);

/** The metric catalog, or null on a server without /api/v1/metrics. */
export function useCatalog() {
  const cat = useApi<MetricInfo[]>('metrics/catalog', {}, { allow404: true });
  const catalog = useMemo(() => (cat.data ? (cat.data ?? []) : null), [cat.data]);
  return { catalog, loading: cat.loading && !cat.data, missing: cat.notFound };
}

/** One series of `metric` for an entity on the axis (path null when the catalog lacks it). */
export function useSeries(catalog: MetricInfo[] | null, entity: string, name: string, metric: string, axis: Axis) {
  const forEntity = (m: MetricInfo) => !m.entities || (typeof m.entities === 'string' ? m.entities.split(',') : m.entities).includes(entity);
  const known = !!catalog?.some((m) => m.name === metric && forEntity(m));
  const res = useApi<MetricPoint[]>(known ? 'metrics' : null, { entity, name, metric, from: axis.apiFrom, to: axis.apiTo, step: axis.step });
  const pts = useMemo(() => (res.data ?? []), [res.data]);
  return { known, values: useMemo(() => onAxis(axis.xs, pts), [axis.xs, pts]) };
}

export function MetricCharts({ entity, name, axis, requests, limits }: { entity: string; name: string; axis: Axis; requests: { cpu: number | null; memory: number | null }; limits: { cpu: number | null; memory: number | null } }) {
  const cat = useCatalog();
  const catalog = cat.catalog;
  const m: Record<Wanted, ReturnType<typeof useSeries>> = {
    cpu_usage_cores: useSeries(catalog, entity, name, 'cpu_usage_cores', axis),
    memory_working_set_bytes: useSeries(catalog, entity, name, 'memory_working_set_bytes', axis),
    memory_limit_bytes: useSeries(catalog, entity, name, 'memory_limit_bytes', axis),
    cpu_throttled_ratio: useSeries(catalog, entity, name, 'cpu_throttled_ratio', axis),
    oom_kills: useSeries(catalog, entity, name, 'oom_kills', axis),
    tcp_connect_failures: useSeries(catalog, entity, name, 'tcp_connect_failures', axis),
    tcp_retransmits: useSeries(catalog, entity, name, 'tcp_retransmits', axis),
    tcp_resets_received: useSeries(catalog, entity, name, 'tcp_resets_received', axis),
  };
  const n = axis.xs.length;
  const charts = useMemo(() => {
    const out: { key: string; title: string; series: Series[]; fmt: (v: number) => string }[] = [];
    if (m.cpu_usage_cores.known) {
      const s: Series[] = [{ label: 'CPU used', color: '#3b6fd8', values: m.cpu_usage_cores.values, fill: true }];
      if (requests.cpu !== null) s.push({ label: 'requests', color: '#38a169', values: line(requests.cpu, n), dash: [5, 3] });
      if (limits.cpu !== null) s.push({ label: 'limits', color: '#dc2626', values: line(limits.cpu, n), dash: [5, 3] });
      out.push({ key: 'cpu', title: 'CPU (cores) against requests and limits', series: s, fmt: fmtCores });
    }
    if (m.memory_working_set_bytes.known) {
      const s: Series[] = [{ label: 'working set', color: '#6b5bd2', values: m.memory_working_set_bytes.values, fill: true }];
      if (requests.memory !== null) s.push({ label: 'requests', color: '#38a169', values: line(requests.memory, n), dash: [5, 3] });
      if (m.memory_limit_bytes.known && m.memory_limit_bytes.values.some(isNum)) s.push({ label: 'limit', color: '#dc2626', values: m.memory_limit_bytes.values, dash: [5, 3] });
      else if (limits.memory !== null) s.push({ label: 'limits', color: '#dc2626', values: line(limits.memory, n), dash: [5, 3] });
      out.push({ key: 'memory', title: 'Memory against requests and limits', series: s, fmt: fmtBytes });
    }
    if (m.cpu_throttled_ratio.known) out.push({ key: 'throttling', title: 'CPU throttling (throttled periods / periods)', series: [{ label: 'throttled', color: '#d97706', values: m.cpu_throttled_ratio.values, fill: true }], fmt: fmtPct });
    if (m.oom_kills.known) out.push({ key: 'oom', title: 'OOM kills', series: [{ label: 'OOM kills', color: '#dc2626', values: m.oom_kills.values, fill: true }], fmt: fmtCount });
    const tcp: Series[] = [];
    if (m.tcp_connect_failures.known) tcp.push({ label: 'connect failures', color: '#dc2626', values: m.tcp_connect_failures.values });
    if (m.tcp_retransmits.known) tcp.push({ label: 'retransmits', color: '#d97706', values: m.tcp_retransmits.values });
    if (m.tcp_resets_received.known) tcp.push({ label: 'resets received', color: '#6b5bd2', values: m.tcp_resets_received.values });
    if (tcp.length) out.push({ key: 'tcp', title: 'TCP health (outgoing and accepted connections)', series: tcp, fmt: fmtCount });
    return out;
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [n, requests.cpu, requests.memory, limits.cpu, limits.memory, ...WANTED.map((k) => m[k].values), ...WANTED.map((k) => m[k].known)]);

  if (cat.loading) return <Loading label="Loading resource metrics…" />;
  if (cat.missing || !catalog)
    return (
      <Card title="Resources">
        <p className="note" data-testid="metrics-unavailable">
          This server does not serve resource metrics (/api/v1/metrics). Requests and limits:{' '}
          CPU {fmtCores(requests.cpu)} / {fmtCores(limits.cpu)} cores, memory {fmtBytes(requests.memory)} / {fmtBytes(limits.memory)}.
        </p>
      </Card>
    );
  if (charts.length === 0) return <Empty title="No resource metrics for this workload" />;
  return (
    <div className="grid2" data-testid="metric-charts">
      {charts.map((c) => (
        <Card key={c.key} title={c.title}>
          <TimeChart xs={axis.xs} series={c.series} yFormat={c.fmt} height={150} testId={`metric-${c.key}`} />
        </Card>
      ))}
    </div>
  );
}
