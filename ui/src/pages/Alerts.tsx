// Alerts: what fires now (first), recent history, every rule with its last
// value, evaluation and error, silences (list, create, expire), and the
// receivers' delivery counters with their last failure (docs/alerts.md).
import { useMemo, useRef, useState, type FormEvent } from 'react';
import { ApiError, apiSend, useApi } from '../api';
import { AlertsTable, fmtComparedTo, fmtValue, timeS, useWorkloadOfPod } from '../components/AlertList';
import { Card, Empty, Loading } from '../components/States';
import { SortTable, type Column } from '../components/Table';
import { fmtCount, fmtDuration, fmtTime } from '../format';
import { Pill } from '../k8s';
import { useTimeRange } from '../timerange';
import type { AlertItem, AlertRule, ReceiverStatus, RuleValue, SilenceItem, SilenceMatcher, Status } from '../types';

const NOT_ENABLED = (
  <>
    This server does not evaluate alerts. <code>loupe run</code> and <code>loupe server</code> run the built-in rules; add
    rules and receivers with <code>--alerts FILE</code> (docs/alerts.md).
  </>
);

function condition(r: AlertRule): string {
  const op = r.op ?? '>';
  if (r.change_pct !== undefined) {
    const against = r.compare === 'baseline' ? 'its 7-day baseline' : `${fmtDuration(r.compare_s ?? 3600)} earlier`;
    return `change ${op} ${r.change_pct}% vs ${against}`;
  }
  return `${op} ${r.threshold}`;
}

function signal(r: AlertRule): string {
  if (r.signal === 'latency') return `latency p${Math.round((r.quantile ?? 0.95) * 100)}`;
  if (r.signal === 'metric') return `metric ${r.metric}`;
  if (r.signal === 'event') return `event ${r.reason}${r.cleared_by?.length ? ` until ${r.cleared_by.join('/')}` : ''}`;
  if (r.signal === 'log_count') return `log_count "${r.pattern}"`;
  return r.signal;
}

function groupText(v: RuleValue, r: AlertRule): string {
  const keys = r.group_by ?? [];
  const parts = keys.map((k) => v.labels[k]).filter(Boolean);
  return parts.length ? parts.join(' · ') : 'all';
}

function RuleValues({ r }: { r: AlertRule }) {
  const vals = r.values ?? [];
  if (!r.last_eval) return <span className="muted">not evaluated yet</span>;
  if (vals.length === 0) return <span className="muted">no data</span>;
  const shown = vals.slice(0, 3);
  return (
    <span data-col="values">
      {shown.map((v, i) => (
        <div key={i} className="small">
          <span className="muted">{groupText(v, r)}:</span>{' '}
          {v.not_evaluated ? (
            <span className="warn" data-col="not-evaluated">
              not evaluated ({v.not_evaluated})
            </span>
          ) : (
            <>
              <b>{fmtValue(v.value)}</b>
              {v.compared_to ? `% ${fmtComparedTo(v.compared_to)}` : ''}
              {v.requests !== undefined && <span className="muted"> · {fmtCount(v.requests)} req</span>}
            </>
          )}
        </div>
      ))}
      {vals.length > shown.length && <div className="muted small">+{vals.length - shown.length} more</div>}
    </span>
  );
}

function RulesTable({ rules }: { rules: AlertRule[] }) {
  const cols: Column<AlertRule>[] = [
    {
      key: 'name',
      label: 'Rule',
      render: (r) => (
        <span>
          <b>{r.name}</b> {r.builtin && <span className="badge">built-in</span>} {r.enabled === false && <span className="badge">disabled</span>}
        </span>
      ),
      sort: (r) => r.name,
    },
    { key: 'signal', label: 'Signal', render: (r) => <span className="mono small">{signal(r)}</span>, sort: (r) => r.signal },
    {
      key: 'cond',
      label: 'Condition',
      render: (r) => (
        <span className="small">
          {condition(r)} over {fmtDuration(r.window_s)}
          {r.for_s ? `, for ${fmtDuration(r.for_s)}` : ''}
          {r.min_requests ? `, ≥ ${r.min_requests} req` : ''}
          {r.group_by?.length ? <div className="muted">per {r.group_by.join(', ')}</div> : null}
        </span>
      ),
    },
    { key: 'values', label: 'Last value', render: (r) => <RuleValues r={r} /> },
    {
      key: 'eval',
      label: 'Last evaluation',
      render: (r) => (r.last_eval ? <span className="mono small">{fmtTime(timeS(r.last_eval))} · {(r.eval_ms ?? 0).toFixed(1)} ms</span> : '–'),
      sort: (r) => timeS(r.last_eval),
    },
    { key: 'firing', label: 'Firing', numeric: true, render: (r) => <span className={r.firing ? 'bad' : ''}>{r.firing ?? 0}</span>, sort: (r) => r.firing },
    {
      key: 'status',
      label: 'Status',
      render: (r) =>
        r.enabled === false ? (
          <span className="muted">off</span>
        ) : r.error ? (
          <span className="bad small" data-col="rule-error">
            {r.error}
          </span>
        ) : r.note ? (
          <span className="warn small" data-col="rule-note">
            {r.note}
          </span>
        ) : r.last_eval ? (
          <span className="muted">ok</span>
        ) : (
          '–'
        ),
    },
  ];
  return <SortTable rows={rules} columns={cols} rowKey={(r) => r.name} testId="rules-table" />;
}

function matchersText(ms: SilenceMatcher[]): string {
  return ms.map((m) => `${m.name}${m.isEqual === false ? '!' : ''}${m.isRegex ? '=~' : '='}"${m.value}"`).join(', ');
}

function SilencesTable({ rows, onExpire }: { rows: SilenceItem[]; onExpire: (id: string) => void }) {
  const cols: Column<SilenceItem>[] = [
    {
      key: 'state',
      label: 'State',
      render: (s) => <Pill tone={s.status?.state === 'active' ? 'warn' : 'off'}>{s.status?.state ?? '?'}</Pill>,
      sort: (s) => s.status?.state,
    },
    { key: 'matchers', label: 'Matchers', render: (s) => <span className="mono small" data-col="matchers">{matchersText(s.matchers)}</span> },
    { key: 'start', label: 'Starts', render: (s) => <span className="mono">{fmtTime(timeS(s.startsAt))}</span>, sort: (s) => timeS(s.startsAt) },
    { key: 'end', label: 'Ends', render: (s) => <span className="mono">{fmtTime(timeS(s.endsAt))}</span>, sort: (s) => timeS(s.endsAt) },
    { key: 'comment', label: 'Comment', render: (s) => <span data-col="comment">{s.comment}</span> },
    { key: 'by', label: 'By', render: (s) => s.createdBy || '–' },
    {
      key: 'expire',
      label: '',
      render: (s) =>
        s.status?.state !== 'expired' ? (
          <button className="chip" onClick={() => onExpire(s.id)} data-col="expire">
            Expire
          </button>
        ) : null,
    },
  ];
  return <SortTable rows={rows} columns={cols} initialSort="end" rowKey={(s) => s.id} testId="silences-table" />;
}

/** datetime-local value (local time, minutes) for a unix time in seconds. */
function localInput(unixS: number): string {
  const d = new Date(unixS * 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

interface Draft {
  matchers: SilenceMatcher[];
  starts: string;
  ends: string;
  comment: string;
  createdBy: string;
}

function newDraft(matchers: SilenceMatcher[] = [{ name: 'alertname', value: '', isRegex: false }]): Draft {
  const now = Math.floor(Date.now() / 1000);
  return { matchers, starts: localInput(now), ends: localInput(now + 2 * 3600), comment: '', createdBy: '' };
}

function SilenceForm({ draft, setDraft, onCreated }: { draft: Draft; setDraft: (d: Draft) => void; onCreated: () => void }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const setMatcher = (i: number, m: Partial<SilenceMatcher>) => setDraft({ ...draft, matchers: draft.matchers.map((x, j) => (j === i ? { ...x, ...m } : x)) });
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await apiSend('POST', 'silences', {
        matchers: draft.matchers.filter((m) => m.name),
        startsAt: new Date(draft.starts).toISOString(),
        endsAt: new Date(draft.ends).toISOString(),
        comment: draft.comment,
        createdBy: draft.createdBy,
      });
      setDraft(newDraft());
      onCreated();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="silence-form" onSubmit={submit} data-testid="silence-form">
      {draft.matchers.map((m, i) => (
        <div className="filters matcher" key={i}>
          <label>
            Label
            <input name={`matcher-name-${i}`} value={m.name} onChange={(e) => setMatcher(i, { name: e.target.value })} placeholder="alertname" />
          </label>
          <label>
            Value
            <input name={`matcher-value-${i}`} value={m.value} onChange={(e) => setMatcher(i, { value: e.target.value })} />
          </label>
          <label className="inline">
            <input type="checkbox" name={`matcher-regex-${i}`} checked={!!m.isRegex} onChange={(e) => setMatcher(i, { isRegex: e.target.checked })} /> regex
          </label>
          {draft.matchers.length > 1 && (
            <button type="button" className="chip" onClick={() => setDraft({ ...draft, matchers: draft.matchers.filter((_, j) => j !== i) })}>
              remove
            </button>
          )}
        </div>
      ))}
      <div className="filters">
        <button type="button" className="chip" onClick={() => setDraft({ ...draft, matchers: [...draft.matchers, { name: '', value: '', isRegex: false }] })}>
          + matcher
        </button>
        <label>
          Starts
          <input type="datetime-local" name="starts" value={draft.starts} onChange={(e) => setDraft({ ...draft, starts: e.target.value })} />
        </label>
        <label>
          Ends
          <input type="datetime-local" name="ends" value={draft.ends} onChange={(e) => setDraft({ ...draft, ends: e.target.value })} />
        </label>
        <label>
          Comment
          <input name="comment" value={draft.comment} onChange={(e) => setDraft({ ...draft, comment: e.target.value })} placeholder="why" />
        </label>
        <label>
          Created by
          <input name="createdBy" value={draft.createdBy} onChange={(e) => setDraft({ ...draft, createdBy: e.target.value })} />
        </label>
        <button type="submit" disabled={busy} data-testid="create-silence">
          Create silence
        </button>
      </div>
      {error && (
        <div className="bad" data-testid="silence-error">
          {error}
        </div>
      )}
    </form>
  );
}

function DeliveryTable({ rows }: { rows: ReceiverStatus[] }) {
  const cols: Column<ReceiverStatus>[] = [
    { key: 'name', label: 'Receiver', render: (r) => <b>{r.name}</b>, sort: (r) => r.name },
    { key: 'type', label: 'Type', render: (r) => r.type },
    { key: 'url', label: 'URL', render: (r) => <span className="mono small">{r.url}</span> },
    { key: 'delivered', label: 'Delivered', numeric: true, render: (r) => fmtCount(r.delivered ?? 0), sort: (r) => r.delivered },
    { key: 'pending', label: 'Queued', numeric: true, render: (r) => fmtCount(r.pending ?? 0), sort: (r) => r.pending },
    { key: 'failed', label: 'Failed attempts', numeric: true, render: (r) => <span className={r.failed_attempts ? 'warn' : ''} data-col="failed">{fmtCount(r.failed_attempts ?? 0)}</span>, sort: (r) => r.failed_attempts },
    { key: 'dropped', label: 'Dropped', numeric: true, render: (r) => <span className={r.dropped ? 'bad' : ''} data-col="dropped">{fmtCount(r.dropped ?? 0)}</span>, sort: (r) => r.dropped },
    { key: 'error', label: 'Last error', render: (r) => (r.last_error ? <span className="bad small" data-col="last-error">{r.last_error}</span> : <span className="muted">–</span>) },
  ];
  return <SortTable rows={rows} columns={cols} rowKey={(r) => r.name} testId="receivers-table" />;
}

export function AlertsPage() {
  const tr = useTimeRange();
  const alertsRes = useApi<AlertItem[]>('alerts', {}, { allow404: true });
  const rulesRes = useApi<AlertRule[]>('alerts/rules', {}, { allow404: true });
  const silencesRes = useApi<SilenceItem[]>('silences', {}, { allow404: true });
  const statusRes = useApi<Status>('status');
  const workloadOfPod = useWorkloadOfPod();
  const alerts = useMemo(() => (alertsRes.data ?? []), [alertsRes.data]);
  const current = alerts.filter((a) => a.state !== 'resolved');
  const history = alerts.filter((a) => a.state === 'resolved');
  const rules = useMemo(() => (rulesRes.data ?? []), [rulesRes.data]);
  const silences = useMemo(() => (silencesRes.data ?? []), [silencesRes.data]);
  const receivers = statusRes.data?.alerts?.receivers ?? [];
  const failing = receivers.filter((r) => (r.dropped ?? 0) > 0 || (r.failed_attempts ?? 0) > 0);
  const [draft, setDraft] = useState<Draft>(newDraft);
  const formRef = useRef<HTMLDivElement>(null);
  const [actionError, setActionError] = useState<string | null>(null);

  const silenceAlert = (a: AlertItem) => {
    const matchers = Object.entries(a.labels)
      .filter(([k, v]) => k !== 'severity' && v)
      .map(([name, value]) => ({ name, value, isRegex: false }));
    setDraft({ ...newDraft(matchers), comment: '' });
    formRef.current?.scrollIntoView({ block: 'center' });
  };
  const expire = async (id: string) => {
    setActionError(null);
    try {
      await apiSend('DELETE', `silences/${id}`);
      tr.reload();
    } catch (e) {
      setActionError(e instanceof ApiError ? e.message : String(e));
    }
  };

  if (alertsRes.notFound)
    return (
      <>
        <div className="page-head">
          <h1>Alerts</h1>
        </div>
        <Card>
          <Empty title="Alerting is not enabled on this server">{NOT_ENABLED}</Empty>
        </Card>
      </>
    );
  const firing = current.filter((a) => a.state === 'firing').length;
  return (
    <>
      <div className="page-head">
        <h1>Alerts</h1>
        <div className="stats-row" data-testid="alerts-summary">
          <span>
            <b className={firing ? 'bad' : ''}>{firing}</b> firing
          </span>
          <span>
            <b>{current.length - firing}</b> pending
          </span>
          <span>
            <b>{rules.filter((r) => r.enabled !== false).length}</b> rules
          </span>
          <span>
            <b>{silences.filter((s) => s.status?.state === 'active').length}</b> active silences
          </span>
          {statusRes.data?.alerts?.interval_s && <span className="muted">evaluated every {fmtDuration(statusRes.data.alerts.interval_s)}</span>}
        </div>
      </div>
      {failing.length > 0 && (
        <div className="banner banner-warn" data-testid="delivery-failures">
          Delivery failures: {failing.map((r) => `${r.name} (${r.failed_attempts ?? 0} failed attempts, ${r.dropped ?? 0} dropped${r.last_error ? `: ${r.last_error}` : ''})`).join('; ')}
        </div>
      )}
      <Card title="Firing and pending" hint="firing first; View opens the service or workload at that time">
        {alertsRes.loading && !alertsRes.data ? (
          <Loading />
        ) : current.length === 0 ? (
          <Empty title="Nothing is firing">Alerts appear here while a rule's condition holds.</Empty>
        ) : (
          <AlertsTable rows={current} testId="firing-table" workloadOfPod={workloadOfPod} onSilence={silenceAlert} />
        )}
      </Card>
      <Card title="History" hint="resolved in the last 24 h, newest first">
        {history.length === 0 ? <Empty title="No resolved alerts in the last 24 h" /> : <AlertsTable rows={history} testId="history-table" workloadOfPod={workloadOfPod} />}
      </Card>
      <Card title="Rules" hint="built-in and from the --alerts file, with their last evaluation">
        {rulesRes.loading && !rulesRes.data ? <Loading /> : rules.length === 0 ? <Empty title="No rules" /> : <RulesTable rules={rules} />}
      </Card>
      <div ref={formRef}>
        <Card title="Silences" hint="silenced alerts still change state but are not delivered">
          <SilenceForm draft={draft} setDraft={setDraft} onCreated={tr.reload} />
          {actionError && <div className="bad">{actionError}</div>}
          {silences.length === 0 ? <Empty title="No silences" /> : <SilencesTable rows={silences} onExpire={expire} />}
        </Card>
      </div>
      <Card title="Delivery" hint="per receiver; failed POSTs are retried with backoff, then dropped">
        {receivers.length === 0 ? <Empty title="No receivers">Alerts show here and in the API; add receivers in the --alerts file to deliver them.</Empty> : <DeliveryTable rows={receivers} />}
      </Card>
    </>
  );
}
