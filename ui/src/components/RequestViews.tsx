import { useEffect, useMemo } from 'react';
import { fmtBytes, fmtNs, fmtTime, isNum, recordTimeS, tzName } from '../format';
import { Link, useHref } from '../router';
import type { RequestRecord } from '../types';
import { RequestLogs } from './RequestLogs';
import { escapeHtml, SortTable, type Column } from './Table';

export function recordKey(r: RequestRecord, i: number): string {
  return r.id ? `id-${r.id}` : `${r.start_ns}-${r.pid}-${i}`;
}

export function isError(r: RequestRecord): boolean {
  return r.error;
}

const isSqlProto = (p?: string) => p === 'postgres' || p === 'mysql';

/** "method target", without the method twice when the target already starts with it (SQL, Redis). */
export function methodAnd(method: string | undefined, target: string | undefined): string {
  const m = (method ?? '').trim();
  const t = (target ?? '').trim();
  if (!m || t.toUpperCase() === m.toUpperCase() || t.toUpperCase().startsWith(m.toUpperCase() + ' ')) return t || m;
  return `${m} ${t}`.trim();
}

/** One-line description: HTTP method + path, the SQL statement, Redis command + key, DNS type + name. */
export function operation(r: RequestRecord): string {
  const text = isSqlProto(r.protocol) ? r.path || r.route || r.method : methodAnd(r.method, r.path || r.route);
  return (text || r.detail || '').replace(/\s+/g, ' ');
}

/** The status as shown, and its class (colour). */
function statusOf(r: RequestRecord): { text: string; className: string } {
  // An HTTP status (100-599) is shown as itself, whatever the protocol
  // carrying it; other statuses (gRPC's 0-16, none) as ok or the error code.
  const http = isNum(Number(r.status)) && Number(r.status) >= 100;
  const s = http && r.status ? r.status : isError(r) ? r.error_code || 'error' : 'ok';
  return { text: String(s), className: `status ${isError(r) ? 'status-bad' : Number(s) >= 400 ? 'status-warn' : 'status-ok'}` };
}

export function StatusCell({ r }: { r: RequestRecord }) {
  const s = statusOf(r);
  return <span className={s.className}>{s.text}</span>;
}

export function ProtoBadge({ p }: { p?: string }) {
  if (!p) return null;
  return <span className={`badge proto-${p}`}>{p}</span>;
}

/** A span as HTML: attributes left out when undefined or null, like React does. */
function spanHtml(attrs: Record<string, string | undefined>, text: string): string {
  let a = '';
  for (const [k, v] of Object.entries(attrs)) if (v != null) a += ` ${k}="${escapeHtml(v)}"`;
  return `<span${a}>${escapeHtml(text)}</span>`;
}

type Row = { r: RequestRecord; k: string };

/**
 * The requests table's columns, as HTML (Table.tsx builds the rows as one
 * string). Fixed widths for everything but the operation, which takes what is
 * left and is cut with an ellipsis (the whole text in its tooltip): Status and
 * Duration stay visible on a 1280 px screen whatever the statement's length.
 */
function requestColumns(showService: boolean): Column<Row>[] {
  return [
    { key: 'time', label: `Time (${tzName()})`, html: ({ r }) => spanHtml({ class: 'mono muted' }, fmtTime(recordTimeS(r), true)), sort: ({ r }) => recordTimeS(r), width: '124px' },
    { key: 'caller', label: 'Caller', html: ({ r }) => spanHtml({ title: caller(r), 'data-col': 'caller' }, caller(r)), sort: ({ r }) => caller(r), width: '16%' },
    ...(showService
      ? [{ key: 'service', label: 'Service', html: ({ r }: Row) => spanHtml({ title: r.service, 'data-col': 'service' }, r.service ?? ''), sort: ({ r }: Row) => r.service ?? '', width: '16%' }]
      : []),
    {
      key: 'role',
      label: 'Side',
      title: 'Which copy of the call this is: the server’s, or the client’s (both are kept when Loupe sees both)',
      html: ({ r }) => spanHtml({ class: `muted side-${r.role}`, 'data-col': 'role' }, r.role ?? ''),
      sort: ({ r }) => r.role ?? '',
      width: '56px',
    },
    { key: 'proto', label: 'Protocol', html: ({ r }) => (r.protocol ? spanHtml({ class: `badge proto-${r.protocol}` }, r.protocol) : ''), sort: ({ r }) => r.protocol ?? '', width: '78px' },
    {
      key: 'op',
      label: 'Operation',
      html: ({ r }) => {
        const op = operation(r);
        return spanHtml({ class: 'op mono', title: r.route && r.route !== op ? `${op}\nroute: ${r.route}` : op, 'data-col': 'operation', 'data-route': r.route }, op);
      },
    },
    {
      key: 'status',
      label: 'Status',
      html: ({ r }) => {
        const s = statusOf(r);
        return spanHtml({ class: s.className }, s.text);
      },
      sort: ({ r }) => String(r.status ?? ''),
      width: '76px',
    },
    { key: 'dur', label: 'Duration', numeric: true, html: ({ r }) => spanHtml({ 'data-col': 'duration' }, fmtNs(r.duration_ns)), sort: ({ r }) => r.duration_ns, width: '84px' },
  ];
}

/** Who made the call: the caller the server named, else the calling process (client copies) or the peer address. */
export function caller(r: RequestRecord): string {
  if (r.caller) return r.caller;
  if (r.role === 'client') return r.comm ? `${r.comm}${r.pid ? ` (pid ${r.pid})` : ''}` : '';
  return r.remote_workload || r.remote_addr || '';
}

export function RequestsTable({ rows, onPick, selected, showService = true, testId = 'requests-table' }: { rows: RequestRecord[]; onPick: (r: RequestRecord, k: string) => void; selected?: string | null; showService?: boolean; testId?: string }) {
  const keyed = useMemo(() => rows.map((r, i) => ({ r, k: recordKey(r, i) })), [rows]);
  const cols = useMemo(() => requestColumns(showService), [showService]);
  return <SortTable rows={keyed} columns={cols} rowKey={(x) => x.k} onRowClick={(x) => onPick(x.r, x.k)} selectedKey={selected} testId={testId} fixed />;
}

function Field({ k, v }: { k: string; v: React.ReactNode }) {
  return (
    <>
      <dt>{k}</dt>
      <dd data-field={k}>{v === undefined || v === null || v === '' ? <span className="muted">–</span> : v}</dd>
    </>
  );
}

type Key = keyof RequestRecord;

const GROUPS: { title: string; keys: Key[] }[] = [
  { title: 'Request', keys: ['protocol', 'role', 'method', 'path', 'route', 'host', 'status', 'error', 'error_code', 'error_message', 'tls', 'trace_id'] },
  { title: 'Timing', keys: ['ts', 'start_ns', 'end_ns', 'duration_ns', 'req_bytes', 'resp_bytes'] },
  { title: 'Process', keys: ['service', 'workload', 'namespace', 'pod', 'container', 'node', 'pid', 'comm', 'local_addr'] },
  { title: 'Peer', keys: ['remote_addr', 'remote_service', 'remote_workload', 'remote_namespace', 'remote_pod'] },
];

// Empty on a bare host: left out rather than listed as ten dashes.
const K8S_KEYS = new Set<Key>(['workload', 'namespace', 'pod', 'container', 'node', 'remote_service', 'remote_workload', 'remote_namespace', 'remote_pod', 'k8s_service']);

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
  const permalink = useHref(`/requests/${r.id}`);
  // Its trace (docs/traces.md): the requests it made and the one it was made in.
  const traceHref = useHref(r.trace_ref ? `/traces/${encodeURIComponent(r.trace_ref)}` : '/');
  useEffect(() => {
    const on = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    window.addEventListener('keydown', on);
    return () => window.removeEventListener('keydown', on);
  }, [onClose]);
  const known = new Set<Key>(GROUPS.flatMap((g) => g.keys).concat(['detail']));
  const extra = (Object.keys(r) as Key[]).filter((k) => !known.has(k) && !(K8S_KEYS.has(k) && show(k, r[k]) === undefined));
  const isSql = r.protocol === 'postgres' || r.protocol === 'mysql';
  return (
    <aside className="drawer" role="dialog" aria-label="Request detail" data-testid="request-detail">
      <header className="drawer-head">
        <div>
          <div className="drawer-title">
            <ProtoBadge p={r.protocol} /> <span className="mono">{operation(r).slice(0, 120)}</span>
          </div>
          <div className="drawer-sub">
            <StatusCell r={r} /> · {fmtNs(r.duration_ns)} · {fmtTime(recordTimeS(r), true)} {tzName()}
            {r.service && (
              <>
                {' · '}
                <Link href={svcHref}>{r.service}</Link>
              </>
            )}
            {r.id && (
              <>
                {' · '}
                <Link href={permalink} data-testid="request-permalink">
                  link
                </Link>
              </>
            )}
            {r.trace_ref && (
              <>
                {' · '}
                <Link href={traceHref} data-testid="request-trace">
                  trace
                </Link>
              </>
            )}
          </div>
        </div>
        <button className="icon-btn" onClick={onClose} aria-label="Close detail">
          ✕
        </button>
      </header>
      <div className="drawer-body">
        {isSql && r.path && (
          <section>
            <h3>SQL statement</h3>
            <pre className="code" data-field="statement">{r.path}</pre>
          </section>
        )}
        {r.detail && (
          <section>
            <h3>{isSql ? 'Result' : 'Detail'}</h3>
            <pre className="code" data-field="detail">{r.detail}</pre>
          </section>
        )}
        {GROUPS.map((g) => (
          <section key={g.title}>
            <h3>{g.title}</h3>
            <dl className="kv">
              {g.keys
                .filter((k) => !K8S_KEYS.has(k) || show(k, r[k]) !== undefined)
                .map((k) => (
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
