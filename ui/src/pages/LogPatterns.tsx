// The Logs page's Patterns tab: the templates the server groups lines into
// (numbers, ids, addresses become wildcards), each with its level, count in
// the range, when it was first seen and how its count moved.
import { useMemo } from 'react';
import { useApi } from '../api';
import { Sparkline } from '../components/Chart';
import { LevelBadge } from '../components/LogViews';
import { Card, Empty, Loading } from '../components/States';
import { SortTable, type Column } from '../components/Table';
import { fmtCount, fmtTime } from '../format';
import type { LogPattern, LogPatterns } from '../types';

/** The count over the one of the window before (Infinity: new). */
function change(p: LogPattern): number {
  if (p.previous_count === undefined) return NaN;
  return p.previous_count ? p.count / p.previous_count : Infinity;
}

function fmtChange(p: LogPattern): string {
  const c = change(p);
  if (Number.isNaN(c)) return '–';
  if (c === Infinity) return 'new';
  return c >= 1.995 || c <= 0.5 ? `×${c >= 10 ? Math.round(c) : c.toFixed(1)}` : c >= 1 ? `+${Math.round((c - 1) * 100)}%` : `${Math.round((c - 1) * 100)}%`;
}

export function PatternsTab({ params, onShowLines }: { params: Record<string, string>; onShowLines: (p: LogPattern) => void }) {
  const res = useApi<LogPatterns>('logs/patterns', params, { allow404: true });
  const rows = useMemo(() => (res.data?.patterns ?? []), [res.data]);
  const cols: Column<LogPattern>[] = [
    {
      key: 'pattern',
      label: 'Pattern',
      render: (p) => (
        <span className="mono pattern" title={p.example ? `e.g. ${p.example}` : p.pattern} data-col="pattern">
          {p.pattern}
        </span>
      ),
      sort: (p) => p.pattern,
    },
    { key: 'level', label: 'Level', render: (p) => <LevelBadge level={p.level} />, sort: (p) => p.level },
    { key: 'count', label: 'Count', numeric: true, render: (p) => <span data-col="count">{fmtCount(p.count)}</span>, sort: (p) => p.count },
    {
      key: 'change',
      label: 'vs before',
      numeric: true,
      title: 'the count against the same length of time just before the range',
      render: (p) => <span data-col="change" className={change(p) >= 10 ? 'bad' : ''}>{fmtChange(p)}</span>,
      sort: (p) => change(p),
    },
    { key: 'first', label: 'First seen', render: (p) => <span className="mono muted">{fmtTime((p.first_seen_ns ?? Date.parse(p.first_seen ?? '') * 1e6) / 1e9)}</span>, sort: (p) => p.first_seen_ns ?? p.first_seen },
    {
      key: 'trend',
      label: 'In this range',
      render: (p) => {
        const pts = p.points ?? [];
        return pts.length > 1 ? <Sparkline xs={pts.map((x) => x.t)} ys={pts.map((x) => x.count)} color={p.level === 'error' || p.level === 'fatal' ? '#dc2626' : '#3b6fd8'} /> : <span className="muted">–</span>;
      },
    },
  ];
  if (res.notFound) return <Empty title="This server does not group lines into patterns" />;
  return (
    <Card title={res.data ? <span data-testid="pattern-count">{fmtCount(rows.length)} patterns</span> : 'Patterns'} hint="lines grouped by template (numbers, ids and addresses become <*>), busiest first; click one for its lines">
      {res.loading && !res.data ? (
        <Loading label="Loading patterns…" />
      ) : rows.length === 0 ? (
        <Empty title="No patterns in this time range">Patterns appear as log lines arrive.</Empty>
      ) : (
        <SortTable rows={rows} columns={cols} initialSort="count" rowKey={(p, i) => String(p.id ?? i)} onRowClick={onShowLines} testId="patterns-table" />
      )}
    </Card>
  );
}
