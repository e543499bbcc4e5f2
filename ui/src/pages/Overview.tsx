import { useMemo } from 'react';
import { useApi } from '../api';
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

/** Requests per second while there was traffic (the minutes with requests), else over the window. */
export function rate(s: { rate_per_s?: number; active_rate_per_s?: number; requests?: number }, spanS: number): number | undefined {
  if (isNum(s.active_rate_per_s) && s.active_rate_per_s > 0) return s.active_rate_per_s;
  if (isNum(s.rate_per_s)) return s.rate_per_s;
  if (isNum(s.requests) && spanS > 0) return s.requests / spanS;
  return undefined;
}

/** p95 or errors per step of one service, from its row's `series` (the server counts both per bucket). */
function ServiceSpark({ points, step, what }: { points?: LatencyPoint[]; step: number; what: 'p95' | 'errors' }) {
  const pts = useMemo(() => points ?? [], [points]);
  const xs = useMemo(() => pts.map((p) => p.t), [pts]);
  const ys = useMemo(
    () => pts.map((p) => (!p.count ? null : what === 'errors' ? (p.errors ?? 0) : isNum(p.value_ms) ? p.value_ms : null)),
    [pts, what],
  );
  if (pts.length === 0) return <span className="muted small">no data</span>;
  const peak = what === 'errors' ? Math.max(0, ...ys.map((y) => y ?? 0)) : 0;
  return (
    <span title={what === 'errors' ? `errors per ${step / 60} min; at most ${peak}` : `p95 per ${step / 60} min`} data-peak={what === 'errors' ? peak : undefined} data-testid={`spark-${what}`}>
      <Sparkline xs={xs} ys={ys} color={what === 'errors' ? '#dc2626' : undefined} width={what === 'errors' ? 96 : 120} />
    </span>
  );
}

/** The change from the same window an hour earlier, e.g. "▲ 12%". */
function Delta({ now, before, kind }: { now?: number; before?: number; kind: 'pct' | 'pp' }) {
  if (!isNum(now) || !isNum(before)) return null;
  let text: string;
  let up: boolean;
  if (kind === 'pp') {
    const d = (now - before) * 100;
    if (Math.abs(d) < 0.05) return <span className="delta muted">=</span>;
    text = `${Math.abs(d).toFixed(1)} pp`;
    up = d > 0;
  } else {
    if (before === 0) return now > 0 ? <span className="delta muted">new</span> : null;
    const d = (now / before - 1) * 100;
    if (Math.abs(d) < 1) return <span className="delta muted">=</span>;
    text = `${Math.round(Math.abs(d))}%`;
    up = d > 0;
  }
  return <span className={`delta ${up ? 'up' : 'down'}`}>{up ? '▲' : '▼'} {text}</span>;
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
  // Every row's sparklines come with the list: one call, however many services.
  const sparkStep = stepFor(tr.spanS, 30, 60);
  const { data, loading, error } = useApi<ServiceStats[]>('services', { from: tr.apiFrom, to: tr.apiTo, step: sparkStep, q: 0.95 });
  const all = useMemo(() => (data ?? []), [data]);
  // Loupe's own API and UI traffic (kind "loupe") is left out unless asked.
  const showSelf = loc.query.get('self') === 'show';
  const selfCount = all.filter((s) => s.kind === 'loupe').length;
  const services = useMemo(() => (showSelf ? all : all.filter((s) => s.kind !== 'loupe')), [all, showSelf]);
  // The same window an hour earlier, for the "vs 1 h ago" column.
  const canCompare = Number.isFinite(tr.fromS) && Number.isFinite(tr.toS);
  const prevRes = useApi<ServiceStats[]>(canCompare ? 'services' : null, { from: Math.floor(tr.fromS - 3600), to: Math.floor(tr.toS - 3600) });
  const prev = useMemo(() => new Map((prevRes.data ?? []).map((s) => [s.name, s])), [prevRes.data]);
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
    {
      key: 'name',
      label: 'Service',
      render: (s) => (
        // A long name (an external host) is cut with an ellipsis, whole in the tooltip, so the
        // "vs 1 h ago" column stays on screen.
        <span className="svc-cell" title={`${s.name}${Array.isArray(s.ports) && s.ports.length ? `\nports ${s.ports.join(', ')}` : ''}`}>
          <ServiceLink name={s.name} /> <KindBadge kind={s.kind} />
        </span>
      ),
      sort: (s) => s.name,
    },
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
    { key: 'p95', label: 'p95', numeric: true, render: (s) => fmtMs(s.p95_ms), sort: (s) => s.p95_ms },
    { key: 'p99', label: 'p99', numeric: true, render: (s) => fmtMs(s.p99_ms), sort: (s) => s.p99_ms },
    { key: 'trend', label: 'p95 trend', render: (s) => <ServiceSpark points={s.series} step={sparkStep} what="p95" />, width: '132px' },
    { key: 'errtrend', label: 'Errors trend', title: 'errors per step over the window', render: (s) => <ServiceSpark points={s.series} step={sparkStep} what="errors" />, width: '108px' },
    {
      key: 'compare',
      label: 'vs 1 h ago',
      title: 'rate, error ratio and p95 against the same window one hour earlier',
      render: (s) => {
        const p = prev.get(s.name);
        if (!prevRes.data) return <span className="muted">…</span>;
        if (!p || !p.requests) return <span className="muted small">no traffic then</span>;
        return (
          <span className="compare" data-col="compare">
            <span title="rate" data-part="rate">
              rate <Delta now={rate(s, tr.spanS)} before={rate(p, tr.spanS)} kind="pct" />
            </span>
            <span title="error ratio, in percentage points" data-part="errors">
              err <Delta now={errorRate(s)} before={errorRate(p)} kind="pp" />
            </span>
            <span title="p95" data-part="p95">
              p95 <Delta now={s.p95_ms} before={p.p95_ms} kind="pct" />
            </span>
          </span>
        );
      },
      width: '120px',
    },
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
          <>
            {selfCount > 0 && (
              <label className="check small muted" title="Calls to Loupe's own API and web UI (from this browser, loupe query)">
                <input type="checkbox" name="self" checked={showSelf} onChange={(e) => navigate(withQuery(loc.path, loc.query, { self: e.target.checked ? 'show' : null }), true)} /> Loupe's own traffic
              </label>
            )}
          <input
            className="search"
            type="search"
            placeholder="Filter services…"
            aria-label="Filter services"
            value={filter}
            onChange={(e) => navigate(withQuery(loc.path, loc.query, { filter: e.target.value }), true)}
          />
          </>
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
