// One trace as a waterfall (GET /api/v1/traces/{id}, docs/traces.md): each
// span a row, indented under its parent, its bar placed on the trace's
// time axis. Reached at /traces/<trace id or a request's trace_ref>.
import { useMemo } from 'react';
import { useApi } from '../api';
import { Card, Empty, Loading } from '../components/States';
import { fmtMs } from '../format';
import type { RouteParams } from '../nav';
import { Link, useLocation, withQuery } from '../router';

interface TraceSpan {
  span_id: string;
  parent_span_id: string | null;
  link: string | null;
  ambiguous: boolean;
  service: string;
  operation: string;
  kind: string;
  protocol: string;
  start_ns: number;
  duration_ms: number;
  error: boolean;
  request?: { id?: string };
}

interface Trace {
  trace_id: string;
  truncated: boolean;
  spans: TraceSpan[];
}

// Spans depth-first from the roots, children by start: the waterfall order.
function ordered(spans: TraceSpan[]): { span: TraceSpan; depth: number }[] {
  const ids = new Set(spans.map((s) => s.span_id));
  const children = new Map<string, TraceSpan[]>();
  const roots: TraceSpan[] = [];
  for (const s of spans) {
    if (s.parent_span_id && ids.has(s.parent_span_id)) {
      const list = children.get(s.parent_span_id) ?? [];
      list.push(s);
      children.set(s.parent_span_id, list);
    } else roots.push(s);
  }
  const out: { span: TraceSpan; depth: number }[] = [];
  const walk = (s: TraceSpan, depth: number) => {
    out.push({ span: s, depth });
    for (const c of (children.get(s.span_id) ?? []).sort((a, b) => a.start_ns - b.start_ns)) walk(c, depth + 1);
  };
  for (const r of roots.sort((a, b) => a.start_ns - b.start_ns)) walk(r, 0);
  return out;
}

export function TracePage({ params }: { params: RouteParams }) {
  const loc = useLocation();
  const { data, loading, notFound } = useApi<Trace>(`traces/${encodeURIComponent(params.id)}`, {}, { allow404: true });
  const rows = useMemo(() => (data ? ordered(data.spans) : []), [data]);
  if (loading && !data) return <Loading />;
  if (notFound || !data) return <Empty title="Trace not found">It may have been removed by retention, or its id is wrong.</Empty>;
  const t0 = Math.min(...data.spans.map((s) => s.start_ns));
  const total = Math.max(...data.spans.map((s) => (s.start_ns - t0) / 1e6 + s.duration_ms), 0.001);
  return (
    <>
      <div className="page-head">
        <h1>Trace</h1>
        <p className="sub">
          {data.trace_id} · {data.spans.length} spans · {fmtMs(total)}
          {data.truncated && ' · truncated'}. Linked by Loupe from threads and connections, without headers.
        </p>
      </div>
      <Card title="Waterfall">
        <table className="table waterfall" data-testid="trace-waterfall">
          <thead>
            <tr>
              <th>Service</th>
              <th>Operation</th>
              <th>Duration</th>
              <th style={{ width: '40%' }}>Timeline</th>
            </tr>
          </thead>
          <tbody>
            {rows.map(({ span: s, depth }) => {
              const left = (((s.start_ns - t0) / 1e6) / total) * 100;
              const width = Math.max((s.duration_ms / total) * 100, 0.5);
              return (
                <tr key={s.span_id} data-span={s.span_id} className={s.error ? 'error' : undefined}>
                  <td style={{ paddingLeft: `${0.5 + depth * 1.2}rem` }} title={s.link ? `linked by ${s.link}${s.ambiguous ? ' (a guess)' : ''}` : 'root'}>
                    {s.kind === 'client' ? '→ ' : '● '}
                    {s.service}
                    {s.ambiguous && ' ?'}
                  </td>
                  <td>
                    {s.request?.id ? <Link href={withQuery(`/requests/${s.request.id}`, loc.query, {})}>{s.operation}</Link> : s.operation}
                  </td>
                  <td>{fmtMs(s.duration_ms)}</td>
                  <td>
                    <div style={{ position: 'relative', height: '0.8rem' }}>
                      <div
                        style={{
                          position: 'absolute',
                          left: `${left}%`,
                          width: `${width}%`,
                          height: '100%',
                          borderRadius: 2,
                          background: s.error ? 'var(--bad, #d33)' : s.kind === 'client' ? 'var(--accent-2, #7a9)' : 'var(--accent, #58c)',
                        }}
                      />
                    </div>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </Card>
    </>
  );
}
