// Nodes: readiness and pressure conditions, capacity and allocatable, and
// versions, from the cluster collector (/api/v1/nodes).
import { useMemo } from 'react';
import { asArray, useApi } from '../api';
import { Card, Empty, Loading } from '../components/States';
import { SortTable, type Column } from '../components/Table';
import { fmtBytes } from '../format';
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

export function NodesPage() {
  const { data, loading, error } = useApi<unknown>('nodes');
  const rows = useMemo(() => asArray<NodeState>(data, 'nodes'), [data]);
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
    </>
  );
}
