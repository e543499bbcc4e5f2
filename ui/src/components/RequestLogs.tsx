// The log lines next to one request: what its server pod and its client pod
// printed within a few seconds of it (on a bare host, the lines of the files
// Loupe follows), the lines carrying its trace id first.
import { useMemo } from 'react';
import { useApi } from '../api';
import { recordTimeS } from '../format';
import { Link, withQuery } from '../router';
import type { LogEntry, LogPage, RequestRecord } from '../types';
import { LogList } from './LogViews';
import { Loading } from './States';

/** Seconds either side of the request. */
const AROUND_S = 5;
/** Lines with the trace id are looked for further away: a request's work may log later. */
const TRACE_WINDOW = '60s';
const LIMIT = 100;

interface Side {
  label: string;
  namespace?: string;
  pod?: string;
}

/** The pods on each end of a record; one unnamed side on a bare host. */
function sides(r: RequestRecord): Side[] {
  const local = { namespace: r.namespace, pod: r.pod };
  const remote = { namespace: r.remote_namespace, pod: r.remote_pod };
  const [server, client] = r.role === 'client' ? [remote, local] : [local, remote];
  const out: Side[] = [];
  if (server.pod) out.push({ label: 'Server pod', ...server });
  if (client.pod) out.push({ label: 'Client pod', ...client });
  if (out.length === 0) out.push({ label: 'This host' });
  return out;
}

function SideLogs({ side, r, around, window }: { side: Side; r: RequestRecord; around: string; window: string }) {
  const where = { namespace: side.pod ? side.namespace : undefined, pod: side.pod };
  const traced = useApi<LogPage>(r.trace_id ? 'logs' : null, { ...where, q: r.trace_id, around, window: TRACE_WINDOW, limit: LIMIT }, { allow404: true });
  const near = useApi<LogPage>('logs', { ...where, around, window, limit: LIMIT }, { allow404: true });
  const entries = useMemo(() => {
    const withTrace = (traced.data?.entries ?? []);
    const ids = new Set(withTrace.map((e) => e.id));
    const rest = (near.data?.entries ?? []).filter((e) => !ids.has(e.id));
    const oldestFirst = (a: LogEntry, b: LogEntry) => a.time_ns - b.time_ns || a.id - b.id;
    return { list: [...withTrace.sort(oldestFirst), ...rest.sort(oldestFirst)], traced: ids };
  }, [traced.data, near.data]);
  const t = Number(around);
  const href = withQuery('/logs', new URLSearchParams(), { ...where, from: Math.floor(t - AROUND_S - 1), to: Math.ceil(t + AROUND_S + 1) });
  if (near.notFound) return <p className="note">This server does not serve logs.</p>;
  const title = side.pod ? `${side.label} ${side.namespace ? side.namespace + '/' : ''}${side.pod}` : `${side.label} (the files Loupe follows)`;
  return (
    <div className="request-logs-side" data-testid="request-logs-side" data-pod={side.pod ?? ''}>
      <div className="side-head">
        <span className="muted">{title}</span>
        <Link href={href} className="small">
          Open in Logs →
        </Link>
      </div>
      {near.loading && !near.data ? (
        <Loading label="Loading log lines…" />
      ) : entries.list.length === 0 ? (
        <p className="note">No log lines within {AROUND_S} s of this request.</p>
      ) : (
        <LogList
          entries={entries.list}
          showSource={!side.pod}
          words={r.trace_id ? [r.trace_id] : []}
          tag={(e) => (entries.traced.has(e.id) ? 'trace id' : null)}
          during={r.start_ns && r.end_ns ? [r.start_ns, r.end_ns] : undefined}
          testId="request-log-list"
        />
      )}
    </div>
  );
}

export function RequestLogs({ r }: { r: RequestRecord }) {
  const startS = recordTimeS(r);
  if (!Number.isFinite(startS)) return null;
  const durS = (r.duration_ns ?? 0) / 1e9;
  // The middle of the request, and the window reaching AROUND_S past either end.
  const around = (startS + durS / 2).toFixed(6);
  const window = `${Math.ceil((durS / 2 + AROUND_S) * 1000)}ms`;
  return (
    <section data-testid="request-logs">
      <h3>Log lines around this request</h3>
      <p className="hint">
        Within {AROUND_S} s of it{r.trace_id ? ', the lines with its trace id first' : ''}; the lines written while it ran are highlighted.
      </p>
      {sides(r).map((s) => (
        <SideLogs key={s.label} side={s} r={r} around={around} window={window} />
      ))}
    </section>
  );
}
