import { useMemo } from 'react';
import { useApi } from '../api';
import { Card, Empty, Loading } from '../components/States';
import { SortTable, type Column } from '../components/Table';
import { fmtCount, fmtMs, fmtPct, isNum } from '../format';
import { Pill, WorkloadLink } from '../k8s';
import { navigate, useLocation, withQuery } from '../router';
import { useTimeRange } from '../timerange';
import type { WorkloadStats } from '../types';
import { errorRate } from './Overview';

export const NO_CLUSTER = (
  <>
    Loupe learns workloads, pods and nodes from <code>loupe cluster</code>, the collector that watches the Kubernetes API
    (see docs/kubernetes.md). On a host without Kubernetes this page stays empty.
  </>
);

function readiness(w: WorkloadStats) {
  if (!isNum(w.desired_replicas)) return <span className="muted">–</span>;
  const ready = w.ready_replicas ?? 0;
  const tone = ready >= w.desired_replicas ? 'ok' : ready === 0 && w.desired_replicas > 0 ? 'bad' : 'warn';
  return (
    <Pill tone={tone}>
      {ready}/{w.desired_replicas}
    </Pill>
  );
}

export function WorkloadsPage() {
  const tr = useTimeRange();
  const loc = useLocation();
  const filter = loc.query.get('filter') || '';
  const { data, loading, error } = useApi<WorkloadStats[]>('workloads', { from: tr.apiFrom, to: tr.apiTo });
  const rows = useMemo(() => (data ?? []), [data]);
  const shown = useMemo(() => {
    const f = filter.trim().toLowerCase();
    return f ? rows.filter((w) => `${w.name} ${(w.images ?? []).join(' ')}`.toLowerCase().includes(f)) : rows;
  }, [rows, filter]);

  const columns: Column<WorkloadStats>[] = [
    { key: 'name', label: 'Workload', render: (w) => <WorkloadLink name={w.name} />, sort: (w) => w.name },
    { key: 'kind', label: 'Kind', render: (w) => <span className="badge">{w.kind}</span>, sort: (w) => w.kind },
    { key: 'ready', label: 'Ready', render: readiness, sort: (w) => (isNum(w.desired_replicas) ? (w.ready_replicas ?? 0) - w.desired_replicas : undefined) },
    { key: 'pods', label: 'Pods', numeric: true, render: (w) => <span data-col="pods">{w.pods ?? 0}</span>, sort: (w) => w.pods },
    {
      key: 'restarts',
      label: 'Restarts',
      numeric: true,
      title: 'container restarts in the time range (since the pods started)',
      render: (w) => (
        <span data-col="restarts" className={(w.restarts_in_window ?? 0) > 0 ? 'bad' : ''}>
          {w.restarts_in_window ?? 0} <span className="muted">({w.restarts ?? 0})</span>
        </span>
      ),
      sort: (w) => w.restarts_in_window,
    },
    { key: 'images', label: 'Images', render: (w) => <span className="images mono" title={(w.images ?? []).join('\n')}>{(w.images ?? []).join(', ') || '–'}</span> },
    { key: 'requests', label: 'Requests', numeric: true, render: (w) => (w.traffic ? fmtCount(w.requests) : <span className="muted">no traffic</span>), sort: (w) => w.requests },
    { key: 'errors', label: 'Errors', numeric: true, render: (w) => (w.traffic ? <span className={(errorRate(w) ?? 0) >= 0.05 ? 'bad' : ''}>{fmtPct(errorRate(w))}</span> : '–'), sort: (w) => errorRate(w) },
    { key: 'p95', label: 'p95', numeric: true, render: (w) => (w.traffic ? fmtMs(w.p95_ms) : '–'), sort: (w) => w.p95_ms },
  ];

  return (
    <>
      <div className="page-head">
        <h1>Workloads</h1>
        <p className="sub">Every Deployment, StatefulSet, DaemonSet, Job, CronJob and bare pod the cluster collector knows, with or without traffic.</p>
      </div>
      <Card
        title="Workloads"
        actions={
          <input
            className="search"
            type="search"
            placeholder="Filter workloads…"
            aria-label="Filter workloads"
            value={filter}
            onChange={(e) => navigate(withQuery(loc.path, loc.query, { filter: e.target.value }), true)}
          />
        }
      >
        {loading && !data ? (
          <Loading />
        ) : error && !data ? (
          <Empty title="Workloads could not be loaded">See the error above.</Empty>
        ) : rows.length === 0 ? (
          <Empty title="No workloads known">{NO_CLUSTER}</Empty>
        ) : (
          <SortTable rows={shown} columns={columns} initialSort="name" initialDesc={false} rowKey={(w) => w.name} testId="workloads-table" />
        )}
      </Card>
    </>
  );
}
