// One workload: its latency, resource metrics on the same time axis (so a
// latency spike and a CPU-throttling spike line up by eye), its pods with
// their state and last termination, and the cluster events about them.
import { useMemo } from 'react';
import { useApi } from '../api';
import { AlertsCard } from '../components/AlertList';
import { TimeChart, type Series } from '../components/Chart';
import { ErrorLogsCard } from '../components/LogViews';
import { bucketAxis, MetricCharts, onAxis, type Axis } from '../components/MetricCharts';
import { ProfileLink, useProfileHref } from '../components/ProfileLink';
import { Card, Empty, Loading } from '../components/States';
import { SortTable, type Column } from '../components/Table';
import { fmtCount, fmtDuration, fmtMs, fmtPct, fmtRate } from '../format';
import { ContainerStates, fmtAmount, LastTermination, Pill, podTone, sumAmounts } from '../k8s';
import type { RouteParams } from '../nav';
import { Link, navigate, useHref, useLocation, withQuery } from '../router';
import { stepFor, useTimeRange } from '../timerange';
import type { ClusterEvent, LatencyPoint, PodState, WorkloadStats } from '../types';
import { EventsTable } from './Events';
import { errorRate, rate } from './Overview';

function useLatency(service: string, q: number, axis: Axis) {
  const res = useApi<LatencyPoint[]>('latency', { service, q, step: axis.step, from: axis.apiFrom, to: axis.apiTo });
  const pts = useMemo(() => (res.data ?? []), [res.data]);
  return { loading: res.loading && !res.data, pts };
}

function requestsLimits(c: PodState['containers'], which: 'requests' | 'limits') {
  const cs = (c ?? []).filter((x) => !x.init);
  if (cs.length === 0) return '–';
  const one = (k: 'cpu_cores' | 'memory_bytes', kind: 'cpu' | 'memory') => {
    const vals = cs.map((x) => x[which]?.[k]);
    return vals.every((v) => typeof v === 'number') ? fmtAmount(kind, vals.reduce((a, b) => (a as number) + (b as number), 0)) : '–';
  };
  return `${one('cpu_cores', 'cpu')} · ${one('memory_bytes', 'memory')}`;
}

export function WorkloadPage({ params }: { params: RouteParams }) {
  const name = params.name; // "namespace/Kind/name"
  const ns = name.split('/')[0];
  const tr = useTimeRange();
  const step = stepFor(tr.spanS, 360, 60);
  const axis = useMemo<Axis>(() => ({ xs: bucketAxis(tr.fromS, tr.toS, step), step, apiFrom: tr.apiFrom, apiTo: tr.apiTo }), [tr.fromS, tr.toS, step, tr.apiFrom, tr.apiTo]);

  const wl = useApi<WorkloadStats[]>('workloads', { namespace: ns, from: tr.apiFrom, to: tr.apiTo });
  const w = useMemo(() => (wl.data ?? []).find((x) => x.name === name), [wl.data, name]);
  const podsRes = useApi<PodState[]>('pods', { workload: name, from: tr.apiFrom, to: tr.apiTo });
  const pods = useMemo(() => (podsRes.data ?? []), [podsRes.data]);
  const workloadOfPod = useMemo(() => new Map(pods.map((p) => [`${p.namespace}/${p.pod}`, name])), [pods, name]);
  const evRes = useApi<ClusterEvent[]>('events', { namespace: ns, from: tr.apiFrom, to: tr.apiTo, limit: 500 });
  const events = useMemo(() => {
    const names = new Set(pods.map((p) => p.pod));
    const object = w?.object ?? '';
    return (evRes.data ?? []).filter((e) => (e.kind === 'Pod' && names.has(e.name ?? '')) || (e.name === object && e.kind === w?.kind));
  }, [evRes.data, pods, w]);

  const p50 = useLatency(name, 0.5, axis);
  const p95 = useLatency(name, 0.95, axis);
  const p99 = useLatency(name, 0.99, axis);
  const latency = useMemo(() => {
    const lat: Series[] = [
      { label: 'p50', color: '#38a169', values: onAxis(axis.xs, p50.pts, 'value_ms') },
      { label: 'p95', color: '#3b6fd8', values: onAxis(axis.xs, p95.pts, 'value_ms') },
      { label: 'p99', color: '#d97706', values: onAxis(axis.xs, p99.pts, 'value_ms'), dash: [5, 3] },
    ];
    const counts = new Map(p50.pts.map((p) => [p.t, p.count ?? 0]));
    const thr: Series[] = [{ label: 'Throughput', color: '#6b5bd2', values: axis.xs.map((t) => (counts.has(t) ? counts.get(t)! / step : null)), fill: true }];
    return { lat, thr, any: p95.pts.length > 0 };
  }, [axis.xs, p50.pts, p95.pts, p99.pts, step]);

  // A picked point (or a range dragged across the latency chart) links to
  // the CPU profile of the workload's processes in those minutes.
  const loc = useLocation();
  const at = Number(loc.query.get('at')) || null;
  const pick = (t: number) => navigate(withQuery(loc.path, loc.query, { at: at === t ? null : t }), true);
  const profile = useMemo(() => ({ workload: name }), [name]);
  const profileHref = useProfileHref(profile);

  const metricsHref = useHref('/metrics', { entity: 'workload', name });
  const req = { cpu: sumAmounts(pods, 'requests', 'cpu_cores'), memory: sumAmounts(pods, 'requests', 'memory_bytes') };
  const lim = { cpu: sumAmounts(pods, 'limits', 'cpu_cores'), memory: sumAmounts(pods, 'limits', 'memory_bytes') };

  const cols: Column<PodState>[] = [
    { key: 'pod', label: 'Pod', render: (p) => <span className="mono">{p.pod}</span>, sort: (p) => p.pod },
    {
      key: 'phase',
      label: 'Phase',
      render: (p) => (
        <Pill tone={podTone(p)}>
          {p.known === false ? 'gone' : p.phase || 'unknown'}
          {p.known !== false && p.phase === 'Running' && !p.ready ? ', not ready' : ''}
          {p.reason ? ` (${p.reason})` : ''}
        </Pill>
      ),
      sort: (p) => p.phase,
    },
    { key: 'containers', label: 'Containers', render: (p) => <ContainerStates containers={p.containers} /> },
    { key: 'restarts', label: 'Restarts', numeric: true, render: (p) => <span data-col="restarts" className={(p.restarts ?? 0) > 0 ? 'warn' : ''}>{p.restarts ?? 0}</span>, sort: (p) => p.restarts },
    { key: 'last', label: 'Last termination', render: (p) => <span data-col="last-termination"><LastTermination containers={p.containers} /></span> },
    {
      key: 'oom',
      label: 'OOM kills',
      numeric: true,
      render: (p) => <span data-col="oom-kills" title="processes the kernel's OOM killer ended in this pod in the time range, also when the container kept running" className={(p.oom_kills_in_window ?? 0) > 0 ? 'bad' : ''}>{p.oom_kills_in_window ?? 0}</span>,
      sort: (p) => p.oom_kills_in_window,
    },
    { key: 'node', label: 'Node', render: (p) => p.node || '–', sort: (p) => p.node },
    { key: 'ip', label: 'IP', render: (p) => <span className="mono">{p.ip || '–'}</span> },
    { key: 'qos', label: 'QoS', render: (p) => p.qos_class || '–', sort: (p) => p.qos_class },
    { key: 'age', label: 'Age', numeric: true, render: (p) => (p.age_s ? fmtDuration(p.age_s) : '–'), sort: (p) => p.age_s },
    { key: 'req', label: 'Requests (CPU · mem)', render: (p) => requestsLimits(p.containers, 'requests') },
    { key: 'lim', label: 'Limits (CPU · mem)', render: (p) => requestsLimits(p.containers, 'limits') },
    { key: 'requests', label: 'Reqs', numeric: true, render: (p) => fmtCount(p.requests), sort: (p) => p.requests },
    { key: 'p95', label: 'p95', numeric: true, render: (p) => fmtMs(p.p95_ms), sort: (p) => p.p95_ms },
  ];

  const listHref = useHref('/workloads');
  // A name the cluster collector never reported (a typo, an old link): say so, not empty charts.
  if (wl.data && !w && podsRes.data && pods.length === 0)
    return (
      <>
        <div className="page-head">
          <div className="crumb">
            <Link href={listHref}>Workloads</Link> /
          </div>
          <h1>{name}</h1>
        </div>
        <Card>
          <Empty title={`Workload “${name}” not found`}>
            The cluster collector reports no workload of that name. Pick one on <Link href={listHref}>Workloads</Link>, or check the spelling (namespace/Kind/name).
          </Empty>
        </Card>
      </>
    );

  return (
    <>
      <div className="page-head">
        <div className="crumb">
          <Link href={listHref}>Workloads</Link> /
        </div>
        <h1>
          {name} {w?.kind && <span className="badge">{w.kind}</span>}
        </h1>
        {w && (
          <div className="stats-row" data-testid="workload-stats">
            {w.desired_replicas != null && (
              <span>
                <b>
                  {w.ready_replicas ?? 0}/{w.desired_replicas}
                </b>{' '}
                ready
              </span>
            )}
            <span>
              <b>{w.pods ?? 0}</b> pods
            </span>
            <span>
              <b className={(w.restarts_in_window ?? 0) > 0 ? 'bad' : ''}>{w.restarts_in_window ?? 0}</b> restarts in range
            </span>
            <span>
              <b className={(w.oom_kills_in_window ?? 0) > 0 ? 'bad' : ''}>{w.oom_kills_in_window ?? 0}</b> OOM kills in range
            </span>
            <Link href={metricsHref} data-testid="workload-metrics-link">
              all metrics →
            </Link>
            {w.traffic && (
              <>
                <span>
                  <b>{fmtRate(rate(w, tr.spanS))}</b> throughput
                </span>
                <span>
                  <b>{fmtPct(errorRate(w))}</b> errors
                </span>
                <span>
                  p95 <b>{fmtMs(w.p95_ms)}</b>
                </span>
              </>
            )}
            {(w.images ?? []).length > 0 && <span className="muted mono">{(w.images ?? []).join(', ')}</span>}
          </div>
        )}
      </div>

      <div className="grid2">
        <Card
          title="Latency"
          actions={at ? <ProfileLink filter={profile} from={at} to={at + step} /> : latency.any ? <span className="hint">Click a point or drag across to profile those minutes</span> : undefined}
        >
          {p95.loading ? (
            <Loading />
          ) : !latency.any ? (
            <Empty title="No traffic in this time range">Charts appear once the workload serves requests.</Empty>
          ) : (
            <TimeChart xs={axis.xs} series={latency.lat} yFormat={fmtMs} onPick={pick} onRange={(from, to) => navigate(profileHref(from, to))} selected={at} height={150} testId="workload-latency-chart" />
          )}
        </Card>
        <Card title="Throughput">
          {p95.loading ? <Loading /> : !latency.any ? <Empty title="No traffic" /> : <TimeChart xs={axis.xs} series={latency.thr} yFormat={(v) => fmtRate(v)} height={150} testId="workload-throughput-chart" />}
        </Card>
      </div>
      <ErrorLogsCard filter={{ workload: name }} xs={axis.xs} step={axis.step} apiFrom={axis.apiFrom} apiTo={axis.apiTo} />
      <MetricCharts entity="workload" name={name} axis={axis} requests={req} limits={lim} />

      <AlertsCard
        about={name}
        workloadOfPod={workloadOfPod}
        match={(a) => {
          const l = a.labels;
          if (l.namespace !== ns) return false;
          return (!!l.workload && (l.workload === name || `${ns}/${l.workload}` === name)) || (!!l.pod && workloadOfPod.has(`${ns}/${l.pod}`));
        }}
      />
      <Card title="Pods">
        {podsRes.loading && !podsRes.data ? (
          <Loading />
        ) : pods.length === 0 ? (
          <Empty title="No pods">The cluster collector reports no pods for this workload.</Empty>
        ) : (
          <SortTable rows={pods} columns={cols} initialSort="pod" initialDesc={false} rowKey={(p) => `${p.namespace}/${p.pod}`} testId="pods-table" />
        )}
      </Card>
      <Card title="Events" hint="restarts, OOM kills and Warning events of these pods">
        {evRes.loading && !evRes.data ? <Loading /> : events.length === 0 ? <Empty title="No events in this time range" /> : <EventsTable rows={events} testId="workload-events-table" />}
      </Card>
    </>
  );
}
