import { useMemo, useState } from 'react';
import { useApi } from '../api';
import { DebouncedInput } from '../components/DebouncedInput';
import { RequestDetail, RequestsTable } from '../components/RequestViews';
import type { RouteParams } from '../nav';
import { Card, Empty, Loading, NO_TRAFFIC } from '../components/States';
import { fmtCount, isNum } from '../format';
import { navigate, useLocation, withQuery } from '../router';
import { useTimeRange } from '../timerange';
import type { EndpointStats, ProtocolInfo, RequestRecord, ServiceStats } from '../types';

const LIMITS = [100, 200, 500, 1000];

/** /requests/<id>: the explorer with that request's detail open (a link to one request). */
export function RequestPage({ params }: { params: RouteParams }) {
  return <RequestsPage openId={params.id} />;
}

export function RequestsPage({ openId }: { openId?: string; params?: RouteParams }) {
  const loc = useLocation();
  const tr = useTimeRange();
  const q = loc.query;
  const f = {
    service: q.get('service') || '',
    route: q.get('route') || '',
    protocol: q.get('protocol') || '',
    status: q.get('status') || '',
    min_duration_ms: q.get('min_duration_ms') || '',
    q: q.get('q') || '',
    limit: q.get('limit') || '200',
  };
  // Each call once unless asked: a local call's client copy is hidden (its
  // server copy is listed), calls to the outside keep their client copy.
  const bothSides = q.get('sides') === 'both';
  // Loupe's own API and UI traffic (service kind "loupe") is left out by the server unless asked.
  const showSelf = q.get('self') === 'show';
  const set = (changes: Record<string, string | null>) => navigate(withQuery(loc.path, loc.query, changes), true);

  const services = useApi<ServiceStats[]>('services', { from: tr.apiFrom, to: tr.apiTo });
  const svcNames = useMemo(
    () =>
      (services.data ?? [])
        .filter((s) => showSelf || s.kind !== 'loupe')
        .map((s) => s.name)
        .sort(),
    [services.data, showSelf],
  );
  const endpoints = useApi<EndpointStats[]>(f.service ? 'endpoints' : null, { service: f.service, from: tr.apiFrom, to: tr.apiTo });
  const routes = useMemo(() => [...new Set((endpoints.data ?? []).map((e) => e.route).filter(Boolean) as string[])].sort(), [endpoints.data]);

  // The server's protocol table (src/protocols/registry.cpp), not a copy.
  const protocols = useApi<ProtocolInfo[]>('protocols').data ?? [];

  const apiFilters = { ...f, counted: bothSides ? undefined : 'true', self: showSelf ? 'show' : undefined, from: tr.apiFrom, to: tr.apiTo };
  const { data, loading, error } = useApi<RequestRecord[]>('requests', apiFilters);
  const { limit: _l, ...countFilters } = apiFilters;
  const total = useApi<{ count?: number; capped?: boolean }>('requests/count', countFilters);
  const totalCount = total.data?.count;
  const rows = useMemo(() => (data ?? []), [data]);
  const [sel, setSel] = useState<{ r: RequestRecord; k: string } | null>(null);
  // A deep link names the request by id; picking a row puts its id in the URL.
  const linked = useApi<RequestRecord>(openId ? `requests/${encodeURIComponent(openId)}` : null, {}, { allow404: true });
  const shownDetail = openId ? (linked.data ? { r: linked.data, k: `id-${openId}` } : null) : sel;
  const pick = (r: RequestRecord, k: string) => {
    if (typeof r.id === 'string' && r.id) navigate(withQuery(`/requests/${r.id}`, loc.query, {}), true);
    else setSel({ r, k });
  };
  const closeDetail = () => (openId ? navigate(withQuery('/requests', loc.query, {}), true) : setSel(null));
  const active = Object.entries(f).filter(([k, v]) => v && k !== 'limit').length;

  return (
    <>
      <div className="page-head">
        <h1>Requests</h1>
        <p className="sub">Individual requests and queries captured by Loupe, newest first. Click a row to see every field.</p>
      </div>
      <div className="filters" data-testid="request-filters">
        <label>
          Service
          <select name="service" value={f.service} onChange={(e) => set({ service: e.target.value, route: null })}>
            <option value="">All services</option>
            {f.service && !svcNames.includes(f.service) && <option value={f.service}>{f.service}</option>}
            {svcNames.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Route
          {routes.length > 0 ? (
            <select name="route" value={f.route} onChange={(e) => set({ route: e.target.value })}>
              <option value="">All routes</option>
              {f.route && !routes.includes(f.route) && <option value={f.route}>{f.route}</option>}
              {routes.map((r) => (
                <option key={r} value={r}>
                  {r.length > 60 ? r.slice(0, 57) + '…' : r}
                </option>
              ))}
            </select>
          ) : (
            <DebouncedInput name="route" placeholder="/api/orders/{id}" value={f.route} onCommit={(v) => set({ route: v })} />
          )}
        </label>
        <label>
          Search
          <DebouncedInput name="q" type="search" placeholder="path, statement, host…" value={f.q} onCommit={(v) => set({ q: v })} size={22} />
        </label>
        <label>
          Protocol
          <select name="protocol" value={f.protocol} onChange={(e) => set({ protocol: e.target.value })}>
            <option value="">Any</option>
            {protocols.map((p) => (
              <option key={p.name} value={p.name}>
                {p.display_name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Status
          <DebouncedInput name="status" placeholder="e.g. 500" inputMode="numeric" value={f.status} onCommit={(v) => set({ status: v })} size={10} />
        </label>
        <label>
          Min duration (ms)
          <DebouncedInput name="min_duration_ms" type="number" min={0} placeholder="0" value={f.min_duration_ms} onCommit={(v) => set({ min_duration_ms: v })} style={{ width: 90 }} />
        </label>
        <label>
          Limit
          <select name="limit" value={f.limit} onChange={(e) => set({ limit: e.target.value === '200' ? null : e.target.value })}>
            {LIMITS.map((l) => (
              <option key={l}>{l}</option>
            ))}
          </select>
        </label>
        <label className="check" title="A call between two processes Loupe sees is stored twice: the server's copy and the client's. By default each call is listed once.">
          <input type="checkbox" name="sides" checked={bothSides} onChange={(e) => set({ sides: e.target.checked ? 'both' : null })} /> Both sides of each call
        </label>
        <label className="check" title="Calls to Loupe's own API and web UI (this browser, loupe query, an agent's ingest): left out unless ticked">
          <input type="checkbox" name="self" checked={showSelf} onChange={(e) => set({ self: e.target.checked ? 'show' : null })} /> Loupe's own traffic
        </label>
        {active > 0 && (
          <button className="btn-plain clear" onClick={() => set({ service: null, route: null, protocol: null, status: null, min_duration_ms: null, q: null })}>
            Clear filters
          </button>
        )}
      </div>
      <Card
        title={
          data ? (
            <span data-testid="requests-count">
              {isNum(totalCount) ? `${total.data?.capped ? 'more than ' : ''}${fmtCount(totalCount)} ${bothSides ? 'records' : 'requests'}` : `${fmtCount(rows.length)} requests`}
              {isNum(totalCount) && totalCount > rows.length ? ` (latest ${fmtCount(rows.length)} shown)` : ''}
            </span>
          ) : (
            'Requests'
          )
        }
      >
        {loading && !data ? (
          <Loading label="Loading requests…" />
        ) : error && !data ? (
          <Empty title="Requests could not be loaded">See the error above.</Empty>
        ) : rows.length === 0 ? (
          active > 0 ? (
            <Empty title="No request matches these filters">Loosen a filter or widen the time range.</Empty>
          ) : (
            <Empty title="No requests in this time range">{NO_TRAFFIC}</Empty>
          )
        ) : (
          <RequestsTable rows={rows} onPick={pick} selected={openId ? `id-${openId}` : sel?.k} />
        )}
      </Card>
      {openId && linked.notFound && (
        <Card>
          <Empty title={`Request ${openId} not found`}>It may have expired (retention) or the link is wrong.</Empty>
        </Card>
      )}
      {shownDetail && <RequestDetail r={shownDetail.r} onClose={closeDetail} />}
    </>
  );
}
