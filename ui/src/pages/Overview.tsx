import { useMemo } from 'react';
import { asArray, useApi } from '../api';
import { Sparkline } from '../components/Chart';
import { LossMarker, useLosses } from '../components/LossMarker';
import { Card, Empty, Loading, NO_TRAFFIC } from '../components/States';
import { SortTable, type Column } from '../components/Table';
import { fmtCount, fmtMs, fmtPct, fmtRate, isNum } from '../format';
import { Link, navigate, useHref, useLocation, withQuery } from '../router';
import { stepFor, useTimeRange } from '../timerange';
import type { LatencyPoint, ServiceStats } from '../types';

export function errorRate(s: { error_rate?: number; errors?: number; requests?: number }): number | undefined {
  if (isNum(s.error_rate)) return s.error_rate;
  if (isNum(s.errors) && isNum(s.requests) && s.requests > 0) return s.errors / s.requests;
  return undefined;
}

export function rate(s: { rate_per_s?: number; requests?: number }, spanS: number): number | undefined {
  if (isNum(s.rate_per_s)) return s.rate_per_s;
  if (isNum(s.requests) && spanS > 0) return s.requests / spanS;
  return undefined;
}

function ServiceSpark({ name }: { name: string }) {
  const tr = useTimeRange();
  const step = stepFor(tr.spanS, 30, 60);
  const { data } = useApi<unknown>('latency', { service: name, q: 0.95, step, from: tr.apiFrom, to: tr.apiTo });
  const pts = useMemo(() => asArray<LatencyPoint>(data, 'points', 'latency'), [data]);
  const xs = useMemo(() => pts.map((p) => p.t), [pts]);
  const ys = useMemo(() => pts.map((p) => (isNum(p.value_ms) ? p.value_ms : null)), [pts]);
  if (!data) return <div className="sparkline placeholder" />;
  if (pts.length === 0) return <span className="muted small">no data</span>;
  return <Sparkline xs={xs} ys={ys} />;
}

export function KindBadge({ kind }: { kind?: string }) {
  if (!kind) return null;
  return <span className={`badge kind-${kind.toLowerCase().replace(/[^a-z0-9]/g, '')}`}>{kind}</span>;
}

function ServiceLink({ name }: { name: string }) {
  const href = useHref(`/services/${encodeURIComponent(name)}`);
  return (
    <Link href={href} className="strong-link">
      {name}
    </Link>
  );
}

export function Overview() {
  const tr = useTimeRange();
  const loc = useLocation();
  const filter = loc.query.get('filter') || '';
  const { data, loading, error } = useApi<unknown>('services', { from: tr.apiFrom, to: tr.apiTo });
  const services = useMemo(() => asArray<ServiceStats>(data, 'services'), [data]);
  const losses = useLosses(tr.apiFrom, tr.apiTo);
  const shown = useMemo(() => {
    const f = filter.trim().toLowerCase();
    if (!f) return services;
    return services.filter((s) => `${s.name} ${s.kind ?? ''} ${String(s.ports ?? '')}`.toLowerCase().includes(f));
  }, [services, filter]);

  const totals = useMemo(() => {
    let req = 0;
    let err = 0;
    let r = 0;
    for (const s of services) {
      req += s.requests ?? 0;
      err += s.errors ?? (isNum(s.error_rate) && isNum(s.requests) ? s.error_rate * s.requests : 0);
      r += rate(s, tr.spanS) ?? 0;
    }
    return { req, err, rate: r };
  }, [services, tr.spanS]);

  const columns: Column<ServiceStats>[] = [
    { key: 'name', label: 'Service', render: (s) => <ServiceLink name={s.name} />, sort: (s) => s.name },
    { key: 'kind', label: 'Kind', render: (s) => <KindBadge kind={s.kind} />, sort: (s) => s.kind },
    { key: 'ports', label: 'Ports', render: (s) => <span className="muted">{Array.isArray(s.ports) ? s.ports.join(', ') : String(s.ports ?? '')}</span> },
    { key: 'requests', label: 'Requests', numeric: true, render: (s) => <span data-col="requests">{fmtCount(s.requests)}</span>, sort: (s) => s.requests },
    { key: 'rate', label: 'Rate', numeric: true, render: (s) => fmtRate(rate(s, tr.spanS)), sort: (s) => rate(s, tr.spanS) },
    {
      key: 'errors',
      label: 'Errors',
      numeric: true,
      render: (s) => {
        const e = errorRate(s);
        return <span className={isNum(e) && e >= 0.05 ? 'bad' : isNum(e) && e >= 0.01 ? 'warn' : ''}>{fmtPct(e)}</span>;
      },
      sort: (s) => errorRate(s),
    },
    { key: 'p50', label: 'p50', numeric: true, render: (s) => fmtMs(s.p50_ms), sort: (s) => s.p50_ms },
    { key: 'p95', label: 'p95', numeric: true, render: (s) => fmtMs(s.p95_ms), sort: (s) => s.p95_ms },
    { key: 'p99', label: 'p99', numeric: true, render: (s) => fmtMs(s.p99_ms), sort: (s) => s.p99_ms },
    { key: 'trend', label: 'p95 trend', render: (s) => <ServiceSpark name={s.name} />, width: '136px' },
  ];

  return (
    <>
      <div className="page-head">
        <h1>Overview</h1>
        <p className="sub">Every service Loupe has seen traffic for, with rate, errors and duration (RED).</p>
      </div>
      <LossMarker data={losses} />
      <div className="tiles">
        <div className="tile">
          <div className="tile-label">Services</div>
          <div className="tile-value">{data ? services.length : '–'}</div>
        </div>
        <div className="tile">
          <div className="tile-label">Requests</div>
          <div className="tile-value">{data ? fmtCount(totals.req) : '–'}</div>
        </div>
        <div className="tile">
          <div className="tile-label">Throughput</div>
          <div className="tile-value">{data ? fmtRate(totals.rate) : '–'}</div>
        </div>
        <div className="tile">
          <div className="tile-label">Error rate</div>
          <div className="tile-value">{data ? fmtPct(totals.req ? totals.err / totals.req : 0) : '–'}</div>
        </div>
      </div>
      <Card
        title="Services"
        actions={
          <input
            className="search"
            type="search"
            placeholder="Filter services…"
            aria-label="Filter services"
            value={filter}
            onChange={(e) => navigate(withQuery(loc.path, loc.query, { filter: e.target.value }), true)}
          />
        }
      >
        {loading && !data ? (
          <Loading label="Loading services…" />
        ) : error && !data ? (
          <Empty title="Services could not be loaded">See the error above.</Empty>
        ) : services.length === 0 ? (
          <Empty title="No services in this time range">{NO_TRAFFIC}</Empty>
        ) : shown.length === 0 ? (
          <Empty title={`No service matches “${filter}”`}>Clear the filter to see all {services.length} services.</Empty>
        ) : (
          <SortTable rows={shown} columns={columns} initialSort="rate" rowKey={(s) => s.name} testId="services-table" />
        )}
      </Card>
    </>
  );
}
