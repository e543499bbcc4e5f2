import { useMemo, useState } from 'react';
import { useApi } from '../api';
import { AlertsCard } from '../components/AlertList';
import { TimeChart, type Series } from '../components/Chart';
import { methodAnd, ProtoBadge, RequestDetail, RequestsTable } from '../components/RequestViews';
import { ErrorLogsCard } from '../components/LogViews';
import { LossMarker, lossesWithin, lossMinutes, useLosses } from '../components/LossMarker';
import { ProfileLink, profileFilter, useProfileHref } from '../components/ProfileLink';
import { Card, Empty, Loading, NO_TRAFFIC } from '../components/States';
import { SortTable, type Column } from '../components/Table';
import { fmtCount, fmtHM, fmtMs, fmtPct, fmtRate, isNum } from '../format';
import { Link, navigate, useHref, useLocation, withQuery } from '../router';
import type { RouteParams } from '../nav';
import { stepFor, useTimeRange } from '../timerange';
import type { EndpointStats, LatencyPoint, RequestRecord, ServiceStats } from '../types';
import { errorRate, KindBadge, rate } from './Overview';

const COLORS = { p50: '#38a169', p95: '#3b6fd8', p99: '#d97706', rate: '#6b5bd2', err: '#dc2626' };
const SLOWEST = 20;

function useLatency(service: string, q: number, step: number) {
  const tr = useTimeRange();
  const res = useApi<LatencyPoint[]>('latency', { service, q, step, from: tr.apiFrom, to: tr.apiTo });
  const pts = useMemo(() => (res.data ?? []), [res.data]);
  return { ...res, pts };
}

/** Fills missing buckets with null so gaps show as gaps, not as slopes. */
function align(step: number, fromS: number, toS: number, sets: LatencyPoint[][]): { xs: number[]; maps: Map<number, LatencyPoint>[] } {
  const maps = sets.map((s) => new Map(s.map((p) => [p.t, p])));
  const ts = new Set<number>();
  sets.forEach((s) => s.forEach((p) => ts.add(p.t)));
  if (Number.isFinite(fromS) && Number.isFinite(toS) && toS > fromS && (toS - fromS) / step <= 2000 && ts.size > 0) {
    const first = Math.min(...ts);
    for (let t = first; t >= fromS; t -= step) ts.add(t);
    for (let t = first; t < toS; t += step) ts.add(t);
  }
  return { xs: [...ts].sort((a, b) => a - b), maps };
}

export function ServicePage({ params }: { params: RouteParams }) {
  const name = params.name;
  const tr = useTimeRange();
  const loc = useLocation();
  const step = stepFor(tr.spanS, 360, 60);
  const stepLabel = step === 60 ? 'minute' : step < 3600 ? `${step / 60} minutes` : `${step / 3600} h`;
  const at = Number(loc.query.get('at')) || null;

  const svcRes = useApi<ServiceStats[]>('services', { from: tr.apiFrom, to: tr.apiTo });
  const svc = useMemo(() => (svcRes.data ?? []).find((s) => s.name === name), [svcRes.data, name]);
  const p50 = useLatency(name, 0.5, step);
  const p95 = useLatency(name, 0.95, step);
  const p99 = useLatency(name, 0.99, step);
  const eps = useApi<EndpointStats[]>('endpoints', { service: name, from: tr.apiFrom, to: tr.apiTo });
  const endpoints = useMemo(() => (eps.data ?? []), [eps.data]);

  // The server counts every request of each bucket: requests and errors
  // per step come from the latency points, never from a sample of records.
  const charts = useMemo(() => {
    const { xs, maps } = align(step, tr.fromS, tr.toS, [p50.pts, p95.pts, p99.pts]);
    const val = (m: Map<number, LatencyPoint>) => xs.map((t) => (isNum(m.get(t)?.value_ms) && (m.get(t)?.count ?? 1) > 0 ? m.get(t)!.value_ms : null));
    const lat: Series[] = [
      { label: 'p50', color: COLORS.p50, values: val(maps[0]) },
      { label: 'p95', color: COLORS.p95, values: val(maps[1]) },
      { label: 'p99', color: COLORS.p99, values: val(maps[2]), dash: [5, 3] },
    ];
    // Buckets before the first one with requests are unknown (capture had
    // not started, or the store kept nothing): gaps, not zeros. After it, a
    // bucket without requests had no traffic: zero throughput, no errors.
    const pt = (t: number) => maps[1].get(t) ?? maps[0].get(t);
    const known = xs.filter((t) => (pt(t)?.count ?? 0) > 0);
    const lo = known.length ? known[0] : Infinity;
    const hi = known.length ? known[known.length - 1] : -Infinity;
    const counts = xs.map((t) => pt(t)?.count ?? 0);
    const errs = xs.map((t) => pt(t)?.errors ?? 0);
    const inData = (i: number) => xs[i] >= lo && xs[i] <= hi;
    const thr: Series[] = [{ label: 'Throughput', color: COLORS.rate, values: counts.map((c, i) => (inData(i) ? c / step : null)), fill: true }];
    const err: Series[] = [
      {
        label: 'Errors',
        color: COLORS.err,
        values: errs.map((e, i) => (inData(i) && counts[i] > 0 ? e : null)),
        fill: true,
        legend: (i) => (counts[i] > 0 ? `${fmtCount(errs[i])} of ${fmtCount(counts[i])} (${fmtPct(errs[i] / counts[i])})` : '–'),
      },
    ];
    let peak = -1;
    errs.forEach((e, i) => {
      if (e > 0 && (peak < 0 || e > errs[peak])) peak = i;
    });
    const errPeak = peak < 0 ? null : { t: xs[peak], errors: errs[peak], ratio: errs[peak] / counts[peak] };
    return { xs, lat, thr, err, errPeak };
  }, [p50.pts, p95.pts, p99.pts, step, tr.fromS, tr.toS]);

  const losses = useLosses(tr.apiFrom, tr.apiTo);
  const marked = useMemo(() => lossMinutes(losses), [losses]);
  const pickedLosses = useMemo(() => (at ? lossesWithin(losses, at, at + step) : undefined), [losses, at, step]);
  const pick = (t: number) => navigate(withQuery(loc.path, loc.query, { at: at === t ? null : t }), true);
  // The CPU profile of the service's processes: of the picked interval, or
  // of a range dragged across the latency chart.
  const profile = profileFilter(svc?.kind, name);
  const profileHref = useProfileHref(profile);

  // The slowest requests of the window, or of the picked bucket, chosen by
  // the server over all of it; each call once (its server side when both
  // sides were seen).
  const reqParams = { service: name, from: at ?? tr.apiFrom, to: at ? at + step : tr.apiTo, order: 'slowest', counted: 'true', limit: at ? 100 : SLOWEST };
  const reqs = useApi<RequestRecord[]>(svcRes.data && !svc ? null : 'requests', reqParams);
  const reqRows = useMemo(() => (reqs.data ?? []), [reqs.data]);
  const [sel, setSel] = useState<{ r: RequestRecord; k: string } | null>(null);
  const explorerHref = useHref('/requests', { service: name });
  const homeHref = useHref('/');

  const epCols: Column<EndpointStats>[] = [
    {
      key: 'op',
      label: 'Operation',
      render: (e) => (
        <span className="op">
          <ProtoBadge p={e.protocol} /> {methodAnd(e.method, e.route) !== e.route && <span className="method">{e.method}</span>} <span className="mono" title={e.route}>{e.route}</span>
        </span>
      ),
      sort: (e) => `${e.route} ${e.method}`,
    },
    { key: 'requests', label: 'Requests', numeric: true, render: (e) => fmtCount(e.requests), sort: (e) => e.requests },
    { key: 'rate', label: 'Rate', numeric: true, render: (e) => fmtRate(rate(e, tr.spanS)), sort: (e) => rate(e, tr.spanS) },
    { key: 'err', label: 'Errors', numeric: true, render: (e) => <span className={(errorRate(e) ?? 0) >= 0.05 ? 'bad' : ''}>{fmtPct(errorRate(e))}</span>, sort: (e) => errorRate(e) },
    { key: 'p50', label: 'p50', numeric: true, render: (e) => fmtMs(e.p50_ms), sort: (e) => e.p50_ms },
    { key: 'p95', label: 'p95', numeric: true, render: (e) => fmtMs(e.p95_ms), sort: (e) => e.p95_ms },
    { key: 'p99', label: 'p99', numeric: true, render: (e) => fmtMs(e.p99_ms), sort: (e) => e.p99_ms },
  ];

  const latLoading = p95.loading && !p95.data;
  const noData = !latLoading && charts.xs.length === 0;

  if (svcRes.data && !svc)
    return (
      <>
        <div className="page-head">
          <div className="crumb">
            <Link href={homeHref}>Overview</Link> /
          </div>
          <h1>{name}</h1>
        </div>
        <Card>
          <Empty title={`Service “${name}” not found`}>
            Loupe has seen no service of that name. Pick one on the <Link href={homeHref}>Overview</Link>, or check the spelling.
          </Empty>
        </Card>
      </>
    );

  return (
    <>
      <div className="page-head">
        <div className="crumb">
          <Link href={homeHref}>Overview</Link> /
        </div>
        <h1>
          {name} <KindBadge kind={svc?.kind} />
        </h1>
        {svc && (
          <div className="stats-row" data-testid="service-stats">
            <span>
              <b title="requests per second over the minutes that had traffic">{fmtRate(rate(svc, tr.spanS))}</b> throughput
            </span>
            <span>
              <b>{fmtCount(svc.requests)}</b> requests
            </span>
            <span>
              <b className={(errorRate(svc) ?? 0) >= 0.05 ? 'bad' : ''}>{fmtPct(errorRate(svc))}</b> errors
            </span>
            <span>
              p50 <b>{fmtMs(svc.p50_ms)}</b>
            </span>
            <span>
              p95 <b>{fmtMs(svc.p95_ms)}</b>
            </span>
            <span>
              p99 <b>{fmtMs(svc.p99_ms)}</b>
            </span>
            {Array.isArray(svc.ports) && svc.ports.length > 0 && <span className="muted">ports {svc.ports.join(', ')}</span>}
          </div>
        )}
      </div>
      <LossMarker data={losses} what="on this host in this window" />

      <Card
        title={`Latency per ${stepLabel}`}
        actions={
          <>
            <span className="hint">
              Click a point to list the requests of that {step === 60 ? 'minute' : 'interval'}
              {profile && ', drag across to profile a range'}
            </span>
            {at && <ProfileLink filter={profile} from={at} to={at + step} />}
          </>
        }
      >
        {latLoading ? (
          <Loading />
        ) : noData ? (
          <Empty title="No latency data in this time range">{NO_TRAFFIC}</Empty>
        ) : (
          <TimeChart xs={charts.xs} series={charts.lat} yFormat={fmtMs} onPick={pick} onRange={profile ? (from, to) => navigate(profileHref(from, to)) : undefined} selected={at} marked={marked} height={220} testId="latency-chart" />
        )}
      </Card>
      <div className="grid2">
        <Card title="Throughput">
          {latLoading ? <Loading /> : noData ? <Empty title="No data" /> : <TimeChart xs={charts.xs} series={charts.thr} yFormat={(v) => fmtRate(v)} onPick={pick} selected={at} marked={marked} height={150} testId="throughput-chart" />}
        </Card>
        <Card
          title={`Errors per ${stepLabel}`}
          actions={
            charts.errPeak ? (
              <span className="hint" data-testid="error-peak">
                most: {fmtCount(charts.errPeak.errors)} errors at {fmtHM(charts.errPeak.t)} ({fmtPct(charts.errPeak.ratio)})
              </span>
            ) : undefined
          }
        >
          {latLoading ? <Loading /> : noData ? <Empty title="No data" /> : <TimeChart xs={charts.xs} series={charts.err} yFormat={fmtCount} onPick={pick} selected={at} marked={marked} height={150} testId="error-chart" />}
        </Card>
      </div>

      {svc?.kind === 'workload' && <ErrorLogsCard filter={{ workload: name }} xs={charts.xs} step={step} apiFrom={tr.apiFrom} apiTo={tr.apiTo} />}
      <AlertsCard about={name} match={(a) => a.labels.service === name} />

      <Card title="Endpoints and operations">
        {eps.loading && !eps.data ? (
          <Loading />
        ) : endpoints.length === 0 ? (
          <Empty title="No endpoints in this time range">Routes, SQL statements and Redis commands appear here once {name} handles traffic.</Empty>
        ) : (
          <SortTable
            rows={endpoints}
            columns={epCols}
            initialSort="requests"
            rowKey={(e, i) => `${e.method}|${e.route}|${e.protocol}|${i}`}
            onRowClick={(e) => navigate(withQuery('/requests', new URLSearchParams(explorerHref.split('?')[1] || ''), { route: e.route ?? null }))}
            testId="endpoints-table"
          />
        )}
      </Card>

      <Card
        title={at ? `Slowest requests ${fmtHM(at)}–${fmtHM(at + step)}` : 'Slowest requests in this window'}
        hint={at ? `the ${100} slowest of that ${step === 60 ? 'minute' : 'interval'}` : `the ${SLOWEST} slowest of all requests in the window`}
        actions={
          <>
            {at && (
              <button className="chip" onClick={() => pick(at)} data-testid="clear-minute">
                {fmtHM(at)} ✕
              </button>
            )}
            <Link href={explorerHref} className="small">
              Open in Requests →
            </Link>
          </>
        }
      >
        {at && <LossMarker data={pickedLosses} what="on this host in this interval" />}
        {reqs.loading && !reqs.data ? (
          <Loading />
        ) : reqRows.length === 0 ? (
          <Empty title={at ? 'No requests in that interval' : 'No requests in this time range'} />
        ) : (
          <RequestsTable rows={reqRows} showService={false} onPick={(r, k) => setSel({ r, k })} selected={sel?.k} testId="service-requests-table" />
        )}
      </Card>
      {sel && <RequestDetail r={sel.r} onClose={() => setSel(null)} />}
    </>
  );
}
