// Nodes: readiness and pressure conditions, capacity and allocatable, and
// versions, from the cluster collector (/api/v1/nodes).
import { useMemo } from 'react';
import { useApi } from '../api';
import { TimeChart } from '../components/Chart';
import { bucketAxis, useCatalog, useSeries, type Axis } from '../components/MetricCharts';
import { Card, Empty, Loading } from '../components/States';
import { SortTable, type Column } from '../components/Table';
import { fmtBytes, isNum } from '../format';
import { Link, useHref } from '../router';
import { stepFor, useTimeRange } from '../timerange';
import { fmtCores, Pill } from '../k8s';
import type { NodeState } from '../types';
import { NO_CLUSTER } from './Workloads';

const PRESSURES = ['MemoryPressure', 'DiskPressure', 'PIDPressure'];

function Conditions({ n }: { n: NodeState }) {
  const conds = n.conditions ?? [];
  return (
    <span className="pills" data-col="conditions">
      {conds.map((c) => {
        const good = c.type === 'Ready' ? c.status === 'True' : c.status === 'False';
        const tone = good ? 'ok' : c.status === 'Unknown' ? 'warn' : 'bad';
        if (good && c.type !== 'Ready' && !PRESSURES.includes(c.type)) return null;
        return (
          <span key={c.type} data-condition={c.type} data-status={c.status}>
            <Pill tone={tone} title={[c.reason, c.message, c.since ? `since ${new Date(c.since).toLocaleString()}` : ''].filter(Boolean).join(' · ')}>
              {c.type === 'Ready' ? (good ? 'Ready' : 'NotReady') : good ? `no ${c.type}` : c.type}
            </Pill>
          </span>
        );
      })}
      {n.unschedulable && <Pill tone="warn">cordoned</Pill>}
    </span>
  );
}

const MAX_NODE_CHARTS = 8;

// CPU used against allocatable, memory used (total - available) against
// allocatable, on one time axis, when the server has node metrics.
function NodeCharts({ n, axis }: { n: NodeState; axis: Axis }) {
  const { catalog } = useCatalog();
  const cpu = useSeries(catalog, 'node', n.name, 'node_cpu_usage_cores', axis);
  const total = useSeries(catalog, 'node', n.name, 'node_memory_total_bytes', axis);
  const avail = useSeries(catalog, 'node', n.name, 'node_memory_available_bytes', axis);
  const series = useMemo(() => {
    const flat = (v: number | null | undefined) => axis.xs.map(() => (isNum(v) ? v : null));
    const used = total.values.map((t, i) => (isNum(t) && isNum(avail.values[i]) ? t - avail.values[i]! : null));
    return {
      cpu: [
        { label: 'CPU used', color: '#3b6fd8', values: cpu.values, fill: true },
        { label: 'allocatable', color: '#dc2626', values: flat(n.allocatable?.cpu_cores), dash: [5, 3] },
      ],
      mem: [
        { label: 'memory used', color: '#6b5bd2', values: used, fill: true },
        { label: 'allocatable', color: '#dc2626', values: flat(n.allocatable?.memory_bytes), dash: [5, 3] },
      ],
    };
  }, [axis.xs, cpu.values, total.values, avail.values, n.allocatable?.cpu_cores, n.allocatable?.memory_bytes]);
  const metricsHref = useHref('/metrics', { entity: 'node', name: n.name });
  if (!cpu.known) return null;
  return (
    <div className="grid2" data-testid="node-charts" data-node={n.name}>
      <Card title={`${n.name}: CPU (cores)`} actions={<Link href={metricsHref}>all metrics →</Link>}>
        <TimeChart xs={axis.xs} series={series.cpu} yFormat={fmtCores} height={130} />
      </Card>
      <Card title={`${n.name}: memory`}>
        <TimeChart xs={axis.xs} series={series.mem} yFormat={fmtBytes} height={130} />
      </Card>
    </div>
  );
}

export function NodesPage() {
  const tr = useTimeRange();
  const step = stepFor(tr.spanS, 240, 60);
  const axis = useMemo<Axis>(() => ({ xs: bucketAxis(tr.fromS, tr.toS, step), step, apiFrom: tr.apiFrom, apiTo: tr.apiTo }), [tr.fromS, tr.toS, step, tr.apiFrom, tr.apiTo]);
  const { data, loading, error } = useApi<NodeState[]>('nodes');
  const rows = useMemo(() => (data ?? []), [data]);
  const cols: Column<NodeState>[] = [
    { key: 'name', label: 'Node', render: (n) => <b>{n.name}</b>, sort: (n) => n.name },
    { key: 'conditions', label: 'Conditions', render: (n) => <Conditions n={n} />, sort: (n) => (n.ready ? 1 : 0), width: '360px' },
    { key: 'cpu', label: 'CPU allocatable / capacity', numeric: true, render: (n) => `${fmtCores(n.allocatable?.cpu_cores)} / ${fmtCores(n.capacity?.cpu_cores)}`, sort: (n) => n.allocatable?.cpu_cores ?? undefined },
    { key: 'memory', label: 'Memory allocatable / capacity', numeric: true, render: (n) => `${fmtBytes(n.allocatable?.memory_bytes)} / ${fmtBytes(n.capacity?.memory_bytes)}`, sort: (n) => n.allocatable?.memory_bytes ?? undefined },
    { key: 'pods', label: 'Pods', numeric: true, render: (n) => `${n.pods ?? 0}${n.allocatable?.pods ? ` / ${n.allocatable.pods}` : ''}`, sort: (n) => n.pods },
    { key: 'addresses', label: 'Addresses', render: (n) => <span className="mono">{(n.addresses ?? []).join(', ') || '–'}</span> },
    { key: 'kernel', label: 'Kernel', render: (n) => <span className="mono" data-col="kernel">{n.kernel_version || '–'}</span>, sort: (n) => n.kernel_version },
    { key: 'kubelet', label: 'Kubelet', render: (n) => <span className="mono">{n.kubelet_version || '–'}</span>, sort: (n) => n.kubelet_version },
    { key: 'runtime', label: 'Runtime', render: (n) => <span className="mono">{n.container_runtime || '–'}</span> },
  ];
  return (
    <>
      <div className="page-head">
        <h1>Nodes</h1>
        <p className="sub">Readiness and pressure conditions, allocatable resources and versions of every node.</p>
      </div>
      <Card title="Nodes">
        {loading && !data ? (
          <Loading />
        ) : error && !data ? (
          <Empty title="Nodes could not be loaded">See the error above.</Empty>
        ) : rows.length === 0 ? (
          <Empty title="No nodes known">{NO_CLUSTER}</Empty>
        ) : (
          <SortTable rows={rows} columns={cols} initialSort="name" initialDesc={false} rowKey={(n) => n.name} testId="nodes-table" />
        )}
      </Card>
      {rows.slice(0, MAX_NODE_CHARTS).map((n) => (
        <NodeCharts key={n.name} n={n} axis={axis} />
      ))}
    </>
  );
}
