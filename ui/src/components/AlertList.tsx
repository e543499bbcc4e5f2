// Alerts as a table (the Alerts page, and the alerts of one service or
// workload on their pages), and the link from an alert to the view of its
// service, workload or node at the time it fired.
import { useMemo } from 'react';
import { useApi } from '../api';
import { fmtTime, isNum } from '../format';
import { Pill } from '../k8s';
import { Link } from '../router';
import type { AlertItem, ComparedTo, PodState } from '../types';
import { Card, Empty, Loading } from './States';
import { SortTable, type Column } from './Table';

const NO_PODS = new Map<string, string>();

/** Labels every alert has; the others say what the alert is about. */
const OWN_LABELS = new Set(['alertname', 'severity']);

export function timeS(rfc3339: string | null | undefined): number {
  if (!rfc3339) return NaN;
  const ms = Date.parse(rfc3339);
  return Number.isNaN(ms) ? NaN : ms / 1000;
}

/** A rule's value: 3 significant digits, no unit (it depends on the signal). */
export function fmtValue(v: unknown): string {
  if (!isNum(v)) return '–';
  if (v === 0 || Math.abs(v) >= 1000) return String(Math.round(v));
  return String(Number(v.toPrecision(3)));
}

/** What a change rule's value (a percent) was measured against. */
export function fmtComparedTo(c: ComparedTo | undefined): string {
  if (!c) return '';
  if (c.kind === 'earlier') return isNum(c.value) ? `vs ${fmtValue(c.value)} ${fmtValue((c.offset_s ?? 0) / 60)} min earlier` : 'no data to compare with';
  if (!isNum(c.median)) return `baseline: ${c.days ?? 0} of ${c.days_needed ?? 3} days of history needed`;
  return `vs baseline ${fmtValue(c.median)} ± ${fmtValue(c.spread)} (${c.days} days)`;
}

/**
 * The UI view an alert is about, at the time it fired: its service, else its
 * workload (found through its pod when the alert names only a pod), else its
 * node, else the overview; with the alert's own 30-minute range.
 */
export function alertView(a: AlertItem, workloadOfPod: Map<string, string>): string {
  const l = a.labels;
  let path = '/';
  const ns = l.namespace;
  const workload = l.workload ? (l.workload.split('/').length >= 3 || !ns ? l.workload : `${ns}/${l.workload}`) : ns && l.pod ? workloadOfPod.get(`${ns}/${l.pod}`) : undefined;
  if (l.service) path = `/services/${encodeURIComponent(l.service)}`;
  else if (workload) path = `/workloads/${encodeURIComponent(workload)}`;
  else if (l.node) path = '/nodes';
  let range = '';
  if (a.url) {
    const q = new URL(a.url, window.location.origin).searchParams;
    if (q.get('from') && q.get('to')) range = `from=${q.get('from')}&to=${q.get('to')}`;
  }
  if (!range) {
    const at = Math.floor(timeS(a.fired_at) || timeS(a.active_since) || Date.now() / 1000);
    range = `from=${at - 900}&to=${at + 900}`;
  }
  return `${path}?${range}`;
}

/** "namespace/pod" -> "namespace/Kind/name", from /api/v1/pods (absent without a cluster). */
export function useWorkloadOfPod(): Map<string, string> {
  const res = useApi<PodState[]>('pods', {}, { allow404: true });
  return useMemo(() => {
    const m = new Map<string, string>();
    for (const p of (res.data ?? [])) if (p.workload) m.set(`${p.namespace}/${p.pod}`, p.workload);
    return m;
  }, [res.data]);
}

export function stateTone(a: AlertItem): 'bad' | 'warn' | 'off' {
  return a.state === 'firing' ? 'bad' : a.state === 'pending' ? 'warn' : 'off';
}

export function AlertsTable({ rows, testId, workloadOfPod, onSilence }: { rows: AlertItem[]; testId: string; workloadOfPod: Map<string, string>; onSilence?: (a: AlertItem) => void }) {
  const cols: Column<AlertItem>[] = [
    {
      key: 'state',
      label: 'State',
      render: (a) => (
        <span data-col="state">
          <Pill tone={stateTone(a)}>{a.state}</Pill>
          {a.silenced && (
            <span className="badge" data-col="silenced" title="matched by an active silence: not delivered">
              silenced
            </span>
          )}
        </span>
      ),
    },
    {
      key: 'alert',
      label: 'Alert',
      render: (a) => (
        <span>
          <b data-col="alertname">{a.rule}</b> <span className={a.labels.severity === 'critical' ? 'bad' : 'muted'}>{a.labels.severity}</span>
          {a.annotations?.summary && <div className="muted small" data-col="summary">{a.annotations.summary}</div>}
        </span>
      ),
      sort: (a) => a.rule,
    },
    {
      key: 'labels',
      label: 'Labels',
      render: (a) => (
        <span className="pills" data-col="labels">
          {Object.entries(a.labels)
            .filter(([k, v]) => !OWN_LABELS.has(k) && v)
            .map(([k, v]) => (
              <span key={k} className="badge mono" data-label={k}>
                {k}={v}
              </span>
            ))}
        </span>
      ),
    },
    {
      key: 'value',
      label: 'Value',
      numeric: true,
      render: (a) => (
        <span data-col="value" title={fmtComparedTo(a.compared_to)}>
          {fmtValue(a.value)}
          {a.compared_to ? '%' : ''}
          {a.compared_to && <div className="muted small">{fmtComparedTo(a.compared_to)}</div>}
        </span>
      ),
      sort: (a) => a.value,
    },
    {
      key: 'since',
      label: 'Since',
      render: (a) => <span className="mono">{fmtTime(timeS(a.fired_at ?? a.active_since))}</span>,
      sort: (a) => timeS(a.fired_at ?? a.active_since),
    },
    {
      key: 'resolved',
      label: 'Resolved',
      render: (a) => <span className="mono">{a.resolved_at ? fmtTime(timeS(a.resolved_at)) : '–'}</span>,
      sort: (a) => timeS(a.resolved_at),
    },
    {
      key: 'view',
      label: '',
      render: (a) => (
        <span className="row-actions">
          <Link href={alertView(a, workloadOfPod)} data-col="view" className="small">
            View →
          </Link>
          {onSilence && a.state !== 'resolved' && (
            <button className="chip" onClick={() => onSilence(a)} data-col="silence">
              Silence…
            </button>
          )}
        </span>
      ),
    },
  ];
  return <SortTable rows={rows} columns={cols} rowKey={(a) => `${a.rule}|${JSON.stringify(a.labels)}`} testId={testId} />;
}

/**
 * The alerts about one service or workload, for its page (nothing without
 * alerting). `workloadOfPod`: the page's own pods, for alerts naming a pod.
 */
export function AlertsCard({ about, match, workloadOfPod = NO_PODS }: { about: string; match: (a: AlertItem) => boolean; workloadOfPod?: Map<string, string> }) {
  const res = useApi<AlertItem[]>('alerts', {}, { allow404: true });
  const rows = useMemo(() => (res.data ?? []).filter(match), [res.data, match]);
  if (res.notFound) return null;
  const firing = rows.filter((a) => a.state === 'firing').length;
  return (
    <Card title={firing ? `Alerts (${firing} firing)` : 'Alerts'} hint={`current and last 24 h, about ${about}`} actions={<Link href="/alerts" className="small">All alerts →</Link>}>
      {res.loading && !res.data ? <Loading /> : rows.length === 0 ? <Empty title={`No alerts about ${about}`} /> : <AlertsTable rows={rows} testId="entity-alerts-table" workloadOfPod={workloadOfPod} />}
    </Card>
  );
}
