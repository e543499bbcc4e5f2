import { useEffect } from 'react';
import { fmtBytes, fmtNs, fmtTime, isNum, recordTimeS } from '../format';
import { Link, useHref } from '../router';
import type { RequestRecord } from '../types';
import { RequestLogs } from './RequestLogs';
import { SortTable, type Column } from './Table';

export function recordKey(r: RequestRecord, i: number): string {
  return `${r.start_ns ?? r.ts ?? ''}-${r.pid ?? ''}-${i}`;
}

export function isError(r: RequestRecord): boolean {
  if (typeof r.error === 'boolean') return r.error;
  if ((r.protocol === 'http1' || r.protocol === 'http2') && isNum(Number(r.status))) return Number(r.status) >= 500;
  return !!r.error_code || !!r.error_message;
}

/** One-line description: HTTP method + path, SQL text, Redis command, DNS query. */
export function operation(r: RequestRecord): string {
  if (r.protocol === 'http1' || r.protocol === 'http2' || r.path) return `${r.method ?? ''} ${r.path ?? r.route ?? ''}`.trim();
  const d = r.detail || r.route || r.method || '';
  return d.replace(/\s+/g, ' ');
}

export function StatusCell({ r }: { r: RequestRecord }) {
  const http = r.protocol === 'http1' || r.protocol === 'http2' || (isNum(Number(r.status)) && Number(r.status) >= 100);
  const s = http && r.status ? r.status : isError(r) ? r.error_code || 'error' : 'ok';
  return <span className={`status ${isError(r) ? 'status-bad' : Number(s) >= 400 ? 'status-warn' : 'status-ok'}`}>{String(s)}</span>;
}

export function ProtoBadge({ p }: { p?: string }) {
  if (!p) return null;
  return <span className={`badge proto-${p}`}>{p}</span>;
}

export function RequestsTable({ rows, onPick, selected, showService = true, testId = 'requests-table' }: { rows: RequestRecord[]; onPick: (r: RequestRecord, k: string) => void; selected?: string | null; showService?: boolean; testId?: string }) {
  const keyed = rows.map((r, i) => ({ r, k: recordKey(r, i) }));
  const cols: Column<{ r: RequestRecord; k: string }>[] = [
    { key: 'time', label: 'Time', render: ({ r }) => <span className="mono muted">{fmtTime(recordTimeS(r), true)}</span>, sort: ({ r }) => recordTimeS(r), width: '120px' },
    ...(showService
      ? [{ key: 'service', label: 'Service', render: ({ r }: { r: RequestRecord }) => r.service || <span className="muted">{r.comm}</span>, sort: ({ r }: { r: RequestRecord }) => r.service ?? '' }]
      : []),
    { key: 'proto', label: 'Protocol', render: ({ r }) => <ProtoBadge p={r.protocol} />, sort: ({ r }) => r.protocol ?? '' },
    { key: 'op', label: 'Operation', render: ({ r }) => <span className="op mono" title={operation(r)} data-col="operation">{operation(r)}</span> },
    { key: 'route', label: 'Route', render: ({ r }) => <span className="mono muted" data-col="route">{r.route}</span>, sort: ({ r }) => r.route ?? '' },
    { key: 'status', label: 'Status', render: ({ r }) => <StatusCell r={r} />, sort: ({ r }) => String(r.status ?? '') },
    { key: 'dur', label: 'Duration', numeric: true, render: ({ r }) => fmtNs(r.duration_ns), sort: ({ r }) => r.duration_ns },
    { key: 'peer', label: 'Peer', render: ({ r }) => <span className="muted">{r.remote_service || r.remote_workload || r.remote_addr}</span> },
  ];
  return <SortTable rows={keyed} columns={cols} rowKey={(x) => x.k} onRowClick={(x) => onPick(x.r, x.k)} selectedKey={selected} testId={testId} />;
}

function Field({ k, v }: { k: string; v: React.ReactNode }) {
  return (
    <>
      <dt>{k}</dt>
      <dd data-field={k}>{v === undefined || v === null || v === '' ? <span className="muted">–</span> : v}</dd>
    </>
  );
}

const GROUPS: { title: string; keys: string[] }[] = [
  { title: 'Request', keys: ['protocol', 'role', 'method', 'path', 'route', 'host', 'status', 'error', 'error_code', 'error_message', 'tls', 'trace_id'] },
  { title: 'Timing', keys: ['ts', 'start_ns', 'end_ns', 'duration_ns', 'req_bytes', 'resp_bytes'] },
  { title: 'Process', keys: ['service', 'workload', 'namespace', 'pod', 'container', 'node', 'pid', 'comm', 'local_addr'] },
  { title: 'Peer', keys: ['remote_addr', 'remote_service', 'remote_workload', 'remote_namespace', 'remote_pod'] },
];

function show(k: string, v: unknown): React.ReactNode {
  if (v === undefined || v === null || v === '') return undefined;
  if (k === 'duration_ns') return `${fmtNs(v)} (${v} ns)`;
  if (k.endsWith('_bytes')) return fmtBytes(v);
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'object') return <code>{JSON.stringify(v)}</code>;
  if (k.endsWith('_addr') || k === 'trace_id' || k.endsWith('_ns')) return <span className="mono">{String(v)}</span>;
  return String(v);
}

export function RequestDetail({ r, onClose }: { r: RequestRecord; onClose: () => void }) {
  const svcHref = useHref(r.service ? `/services/${encodeURIComponent(r.service)}` : '/');
  useEffect(() => {
    const on = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    window.addEventListener('keydown', on);
    return () => window.removeEventListener('keydown', on);
  }, [onClose]);
  const known = new Set(GROUPS.flatMap((g) => g.keys).concat(['detail']));
  const extra = Object.keys(r).filter((k) => !known.has(k));
  const isSql = r.protocol === 'postgres' || r.protocol === 'mysql';
  return (
    <aside className="drawer" role="dialog" aria-label="Request detail" data-testid="request-detail">
      <header className="drawer-head">
        <div>
          <div className="drawer-title">
            <ProtoBadge p={r.protocol} /> <span className="mono">{operation(r).slice(0, 120)}</span>
          </div>
          <div className="drawer-sub">
            <StatusCell r={r} /> · {fmtNs(r.duration_ns)} · {fmtTime(recordTimeS(r), true)}
            {r.service && (
              <>
                {' · '}
                <Link href={svcHref}>{r.service}</Link>
              </>
            )}
          </div>
        </div>
        <button className="icon-btn" onClick={onClose} aria-label="Close detail">
          ✕
        </button>
      </header>
      <div className="drawer-body">
        {r.detail && (
          <section>
            <h3>{isSql ? 'SQL statement' : r.protocol === 'redis' ? 'Command' : 'Detail'}</h3>
            <pre className="code" data-field="detail">{r.detail}</pre>
          </section>
        )}
        {GROUPS.map((g) => (
          <section key={g.title}>
            <h3>{g.title}</h3>
            <dl className="kv">
              {g.keys.map((k) => (
                <Field key={k} k={k} v={show(k, r[k])} />
              ))}
            </dl>
          </section>
        ))}
        <RequestLogs r={r} />
        {extra.length > 0 && (
          <section>
            <h3>Other fields</h3>
            <dl className="kv">
              {extra.map((k) => (
                <Field key={k} k={k} v={show(k, r[k])} />
              ))}
            </dl>
          </section>
        )}
        <section>
          <h3>Raw record</h3>
          <pre className="code small">{JSON.stringify(r, null, 2)}</pre>
        </section>
      </div>
    </aside>
  );
}
