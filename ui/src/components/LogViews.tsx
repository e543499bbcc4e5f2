// Log entries as the Logs page, a request's detail and the service and
// workload pages show them: level badges, one row per entry with where it
// came from, long entries folded, and counts by level on a time axis.
import { useMemo, useState } from 'react';
import { useApi } from '../api';
import { fmtBytes, fmtCount, fmtTime } from '../format';
import { Link, sharedQuery, useHref, useLocation, withQuery } from '../router';
import { parseTime } from '../timerange';
import type { LogEntry, LogHistogram } from '../types';
import { TimeChart, type Series } from './Chart';
import { bucketAxis } from './MetricCharts';
import { Card, Empty, Loading } from './States';

/** Levels bottom-up as the histogram stacks them (errors at the bottom, where they are seen). */
export const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'unknown'] as const;
export const LEVEL_COLORS: Record<string, string> = {
  fatal: '#7f1d1d',
  error: '#dc2626',
  warn: '#d97706',
  info: '#3b6fd8',
  debug: '#6b7280',
  trace: '#a3a9b5',
  unknown: '#c4c8d0',
};

export function LevelBadge({ level }: { level?: string }) {
  const l = level || 'unknown';
  return (
    <span className={`badge level level-${l}`} data-col="level">
      {level || '–'}
    </span>
  );
}

/** Where an entry came from: namespace/pod · container, else its file. */
export function entrySource(e: LogEntry): string {
  if (e.pod) return `${e.namespace ? e.namespace + '/' : ''}${e.pod}${e.container ? ' · ' + e.container : ''}`;
  return e.file || e.node || '';
}

const FOLD_CHARS = 500;
const FOLD_LINES = 4;

/** Splits `text` around case-insensitive occurrences of `words` for <mark>. */
function marked(text: string, words: string[]): React.ReactNode {
  const ws = words.map((w) => w.replace(/\*$/, '')).filter((w) => w.length > 1);
  if (ws.length === 0) return text;
  const re = new RegExp(`(${ws.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})`, 'gi');
  return text.split(re).map((part, i) => (i % 2 ? <mark key={i}>{part}</mark> : part));
}

/** An entry's text: long ones (many lines, or long lines) folded with a toggle. */
function LogText({ e, words, note }: { e: LogEntry; words: string[]; note?: string | null }) {
  const [open, setOpen] = useState(false);
  const lines = e.text.split('\n');
  const long = e.text.length > FOLD_CHARS || lines.length > FOLD_LINES;
  let shown = e.text;
  if (long && !open) {
    shown = lines.slice(0, FOLD_LINES).join('\n');
    if (shown.length > FOLD_CHARS) shown = shown.slice(0, FOLD_CHARS);
    shown += ' …';
  }
  return (
    <div className="log-text-wrap">
      {note && <span className="badge log-tag">{note}</span>}
      <pre className={`log-text ${open ? 'open' : ''}`} data-col="text">
        {marked(shown, words)}
      </pre>
      {long && (
        <button className="link-btn" onClick={() => setOpen(!open)} data-testid="log-expand">
          {open ? 'Show less' : `Show all (${lines.length > 1 ? `${fmtCount(lines.length)} lines, ` : ''}${fmtBytes(e.text.length)})`}
        </button>
      )}
      {e.truncated && <span className="hint"> · cut at 64 KiB</span>}
    </div>
  );
}

/**
 * Entries one per row. `tag` adds a note to some rows (e.g. "trace id");
 * `during` highlights the entries inside a [from, to] span in ns.
 */
export function LogList({ entries, words = [], showSource = true, tag, during, testId = 'log-list' }: { entries: LogEntry[]; words?: string[]; showSource?: boolean; tag?: (e: LogEntry) => string | null; during?: [number, number]; testId?: string }) {
  const shared = sharedQuery(useLocation().query);
  return (
    <div className="log-list" data-testid={testId}>
      {entries.map((e) => {
        const note = tag?.(e);
        const inside = during && e.time_ns >= during[0] && e.time_ns <= during[1];
        return (
          <div key={e.id} className={`log-row level-row-${e.level || 'unknown'}${inside ? ' during' : ''}`} data-testid="log-entry" data-id={e.id} data-level={e.level || 'unknown'}>
            <span className="log-time mono" title={e.time}>
              {fmtTime(e.time_ns / 1e9, true)}
            </span>
            <LevelBadge level={e.level} />
            {showSource && (
              <span className="log-source" title={e.file || undefined} data-col="source">
                {e.workload ? <Link href={withQuery(`/workloads/${encodeURIComponent(e.workload)}`, shared, {})}>{entrySource(e)}</Link> : entrySource(e)}
              </span>
            )}
            <LogText e={e} words={words} note={note} />
          </div>
        );
      })}
    </div>
  );
}

/** Totals per level over a histogram's buckets. */
export function levelTotals(h: LogHistogram | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of h?.points ?? []) for (const [l, n] of Object.entries(p.counts)) out[l] = (out[l] ?? 0) + n;
  return out;
}

/** A histogram's counts on `xs` (bucket starts), one series per level present, stacked. */
export function levelSeries(h: LogHistogram | undefined, xs: number[], levels: readonly string[] = LEVELS): Series[] {
  const byT = new Map((h?.points ?? []).map((p) => [p.t, p.counts]));
  const present = levels.filter((l) => (h?.points ?? []).some((p) => p.counts[l]));
  // A bucket the server left out had no entries: 0, not a gap.
  return present.map((l) => ({ label: l, color: LEVEL_COLORS[l] ?? LEVEL_COLORS.unknown, values: xs.map((t) => byT.get(t)?.[l] ?? 0) }));
}

/** Stacked bars of entries per level on a time axis. */
export function LevelChart({ h, xs, height = 150, levels, onPick, testId }: { h: LogHistogram | undefined; xs: number[]; height?: number; levels?: readonly string[]; onPick?: (t: number) => void; testId?: string }) {
  const series = useMemo(() => {
    const s = levelSeries(h, xs, levels);
    return s.length ? s : [{ label: 'lines', color: LEVEL_COLORS.unknown, values: xs.map(() => 0) }];
  }, [h, xs, levels]);
  return <TimeChart xs={xs} series={series} yFormat={fmtCount} height={height} stackedBars onPick={onPick} testId={testId} />;
}

const ERROR_LEVELS = ['fatal', 'error'] as const;

/**
 * Error and fatal log lines per bucket of a page's time axis (`xs`, bucket
 * starts every `step` s), so they line up with the latency chart above.
 * `filter` picks the lines (workload=..., pod=...).
 */
export function ErrorLogsCard({ filter, xs, step, apiFrom, apiTo, testId = 'error-logs-chart' }: { filter: Record<string, string>; xs: number[]; step: number; apiFrom: string; apiTo: string; testId?: string }) {
  const h = useApi<LogHistogram>('logs/histogram', { ...filter, level: ERROR_LEVELS.join(','), from: apiFrom, to: apiTo, step }, { allow404: true });
  const totals = levelTotals(h.data);
  const n = (totals.error ?? 0) + (totals.fatal ?? 0);
  const href = useHref('/logs', { ...filter, level: ERROR_LEVELS.join(',') });
  // A page without latency points has no axis of its own: the range's buckets.
  const axis = useMemo(() => (xs.length ? xs : bucketAxis(parseTime(apiFrom), parseTime(apiTo), step)), [xs, apiFrom, apiTo, step]);
  if (h.notFound) return null;
  return (
    <Card
      title="Error log lines"
      hint={h.data ? <span data-testid="error-logs-total">{fmtCount(n)} error and fatal lines in this range</span> : undefined}
      actions={
        <Link href={href} className="small">
          Open in Logs →
        </Link>
      }
    >
      {h.loading && !h.data ? <Loading /> : axis.length === 0 ? <Empty title="No data" /> : <LevelChart h={h.data} xs={axis} levels={ERROR_LEVELS} height={130} testId={testId} />}
    </Card>
  );
}
