// Cluster events: OOM kills, restarts, CrashLoopBackOff, node readiness and
// Kubernetes Warning events, one shape (/api/v1/events), newest first.
import { useMemo } from 'react';
import { useApi } from '../api';
import { Card, Empty, Loading } from '../components/States';
import { SortTable, type Column } from '../components/Table';
import { fmtTime } from '../format';
import { navigate, useLocation, withQuery } from '../router';
import { useTimeRange } from '../timerange';
import type { ClusterEvent } from '../types';
import { NO_CLUSTER } from './Workloads';

const REASONS = ['OOMKilled', 'Restarted', 'CrashLoopBackOff', 'ImagePullBackOff', 'Evicted', 'NodeNotReady', 'FailedScheduling', 'BackOff'];

export function EventsTable({ rows, testId }: { rows: ClusterEvent[]; testId: string }) {
  const cols: Column<ClusterEvent>[] = [
    { key: 'time', label: 'Time', render: (e) => <span className="mono">{fmtTime((e.time_ns ?? 0) / 1e9)}</span>, sort: (e) => e.time_ns },
    { key: 'type', label: 'Type', render: (e) => <span className={e.type === 'Warning' ? 'warn' : 'muted'}>{e.type}</span>, sort: (e) => e.type },
    { key: 'reason', label: 'Reason', render: (e) => <span data-col="reason" className={e.reason === 'OOMKilled' ? 'bad' : ''}>{e.reason}</span>, sort: (e) => e.reason },
    {
      key: 'object',
      label: 'Object',
      render: (e) => (
        <span className="mono" data-col="object">
          {e.kind}/{e.namespace ? `${e.namespace}/` : ''}
          {e.name}
          {e.container ? ` (${e.container})` : ''}
        </span>
      ),
      sort: (e) => `${e.namespace}/${e.name}`,
    },
    { key: 'count', label: 'Count', numeric: true, render: (e) => e.count ?? 1, sort: (e) => e.count },
    { key: 'message', label: 'Message', render: (e) => <span className="op" title={e.message}>{e.message}</span> },
  ];
  return <SortTable rows={rows} columns={cols} initialSort="time" rowKey={(e, i) => `${e.time_ns}|${e.kind}|${e.namespace}|${e.name}|${e.container}|${e.reason}|${i}`} testId={testId} />;
}

export function EventsPage() {
  const tr = useTimeRange();
  const loc = useLocation();
  const reason = loc.query.get('reason') || '';
  const type = loc.query.get('type') || '';
  const namespace = loc.query.get('namespace') || '';
  const { data, loading, error } = useApi<ClusterEvent[]>('events', { from: tr.apiFrom, to: tr.apiTo, reason, type, namespace, limit: 1000 });
  const rows = useMemo(() => (data ?? []), [data]);
  const set = (k: string, v: string) => navigate(withQuery(loc.path, loc.query, { [k]: v }), true);
  return (
    <>
      <div className="page-head">
        <h1>Events</h1>
        <p className="sub">OOM kills, container restarts, CrashLoopBackOff, node readiness and Kubernetes Warning events, newest first.</p>
      </div>
      <div className="filters">
        <label>
          Reason
          <select name="reason" value={reason} onChange={(e) => set('reason', e.target.value)}>
            <option value="">all</option>
            {[...new Set([...REASONS, reason].filter(Boolean))].map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>
        <label>
          Type
          <select name="type" value={type} onChange={(e) => set('type', e.target.value)}>
            <option value="">all</option>
            <option value="Warning">Warning</option>
            <option value="Normal">Normal</option>
          </select>
        </label>
        <label>
          Namespace
          <input name="namespace" type="search" value={namespace} placeholder="all" onChange={(e) => set('namespace', e.target.value)} />
        </label>
      </div>
      <Card title="Events">
        {loading && !data ? (
          <Loading />
        ) : error && !data ? (
          <Empty title="Events could not be loaded">See the error above.</Empty>
        ) : rows.length === 0 ? (
          <Empty title="No events in this time range">{NO_CLUSTER}</Empty>
        ) : (
          <EventsTable rows={rows} testId="events-table" />
        )}
      </Card>
    </>
  );
}
