// The Logs page: full-text search and filters over the stored log entries, a
// histogram by level over the time range, the entries newest first (older
// pages through the API's cursor), and a live tail. Every filter is in the URL.
import { useContext, useEffect, useId, useMemo, useRef, useState } from 'react';
import { ApiError, apiGet, ErrorsCtx, useApi } from '../api';
import { DebouncedInput } from '../components/DebouncedInput';
import { LEVELS, LEVEL_COLORS, LevelChart, levelTotals, LogList } from '../components/LogViews';
import { bucketAxis } from '../components/MetricCharts';
import { PatternsTab } from './LogPatterns';
import { Card, Empty, Loading } from '../components/States';
import { fmtCount } from '../format';
import { navigate, useLocation, withQuery } from '../router';
import { stepFor, useTimeRange } from '../timerange';
import type { LogEntry, LogHistogram, LogPage, WorkloadStats } from '../types';

const PAGE = 200;
const TAIL_EVERY_MS = 2000;
const TAIL_BATCH = 500;
const TAIL_KEEP = 2000;
const FILTER_KEYS = ['q', 'level', 'workload', 'pod', 'container', 'pattern'] as const;

/** Polls for entries newer than the newest shown while `on`; newest first. */
function useTail(on: boolean, filters: Record<string, string>, newest: LogEntry | undefined) {
  const [live, setLive] = useState<LogEntry[]>([]);
  const [skipped, setSkipped] = useState(false);
  const { set } = useContext(ErrorsCtx);
  const id = useId();
  const key = JSON.stringify(filters);
  const liveRef = useRef(live);
  liveRef.current = live;
  const newestRef = useRef(newest);
  newestRef.current = newest;
  useEffect(() => {
    setLive([]);
    setSkipped(false);
    if (!on) return;
    let stop = false;
    let timer = 0;
    const poll = async () => {
      const top = liveRef.current[0] ?? newestRef.current;
      const from = top?.time ?? String(Math.floor(Date.now() / 1000) - 5);
      try {
        const page = await apiGet<LogPage>('logs', { ...filters, from, limit: TAIL_BATCH });
        if (stop) return;
        set(id, null);
        const seen = new Set(liveRef.current.map((e) => e.id));
        if (newestRef.current) seen.add(newestRef.current.id);
        const fresh = page.entries.filter((e) => !seen.has(e.id) && (!top || e.time_ns >= top.time_ns));
        if (page.entries.length >= TAIL_BATCH) setSkipped(true);
        if (fresh.length) setLive((l) => [...fresh, ...l].slice(0, TAIL_KEEP));
      } catch (e) {
        if (!stop && e instanceof ApiError && e.status !== 401) set(id, e);
      }
      if (!stop) timer = window.setTimeout(poll, TAIL_EVERY_MS);
    };
    poll();
    return () => {
      stop = true;
      window.clearTimeout(timer);
      set(id, null);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [on, key]);
  return { live, skipped };
}

export function LogsPage() {
  const loc = useLocation();
  const tr = useTimeRange();
  const q = loc.query;
  const f = Object.fromEntries(FILTER_KEYS.map((k) => [k, q.get(k) || ''])) as Record<(typeof FILTER_KEYS)[number], string>;
  const follow = q.get('follow') === '1';
  const tab = q.get('tab') === 'patterns' ? 'patterns' : 'lines';
  const set = (changes: Record<string, string | null>) => navigate(withQuery(loc.path, loc.query, changes), true);
  const levels = f.level ? f.level.split(',') : [];
  const toggleLevel = (l: string) => set({ level: (levels.includes(l) ? levels.filter((x) => x !== l) : [...levels, l]).join(',') || null });
  const active = FILTER_KEYS.some((k) => f[k]);

  const wl = useApi<WorkloadStats[]>('workloads', { from: tr.apiFrom, to: tr.apiTo }, { allow404: true });
  const workloads = useMemo(() => (wl.data ?? []).map((w) => w.name).sort(), [wl.data]);

  const step = stepFor(tr.spanS, 120);
  const xs = useMemo(() => bucketAxis(tr.fromS, tr.toS, step), [tr.fromS, tr.toS, step]);
  const hist = useApi<LogHistogram>('logs/histogram', { ...f, from: tr.apiFrom, to: tr.apiTo, step }, { allow404: true });
  const totals = useMemo(() => levelTotals(hist.data), [hist.data]);
  const total = Object.values(totals).reduce((a, b) => a + b, 0);

  const first = useApi<LogPage>(tab === 'lines' ? 'logs' : null, { ...f, from: tr.apiFrom, to: tr.apiTo, limit: PAGE }, { allow404: true });
  // Older pages, fetched with the cursor; they start over with the first page.
  const [older, setOlder] = useState<{ entries: LogEntry[]; cursor: string | null | undefined }>({ entries: [], cursor: undefined });
  const [loadingOlder, setLoadingOlder] = useState(false);
  useEffect(() => setOlder({ entries: [], cursor: undefined }), [first.data]);
  const cursor = older.cursor === undefined ? first.data?.next_cursor : older.cursor;
  const { set: setErr } = useContext(ErrorsCtx);
  const olderId = useId();
  const loadOlder = async () => {
    if (!cursor) return;
    setLoadingOlder(true);
    try {
      const page = await apiGet<LogPage>('logs', { ...f, from: tr.apiFrom, to: tr.apiTo, limit: PAGE, cursor });
      setOlder((o) => ({ entries: [...o.entries, ...page.entries], cursor: page.next_cursor ?? null }));
      setErr(olderId, null);
    } catch (e) {
      if (e instanceof ApiError) setErr(olderId, e);
    } finally {
      setLoadingOlder(false);
    }
  };

  const firstEntries = first.data?.entries ?? [];
  const tail = useTail(follow && tab === 'lines', { ...f }, firstEntries[0]);
  const entries = useMemo(() => {
    const seen = new Set<number>();
    return [...tail.live, ...firstEntries, ...older.entries].filter((e) => !seen.has(e.id) && !!seen.add(e.id));
  }, [tail.live, firstEntries, older.entries]);
  const words = f.q.split(/\s+/).filter(Boolean);

  if (first.notFound)
    return (
      <>
        <div className="page-head">
          <h1>Logs</h1>
        </div>
        <Empty title="This server does not serve logs">It answers 404 for /api/v1/logs: upgrade it to a Loupe with log collection.</Empty>
      </>
    );

  return (
    <>
      <div className="page-head">
        <h1>Logs</h1>
        <p className="sub">What containers and processes printed, newest first: search every word, narrow by level and workload, follow new lines live.</p>
      </div>
      <div className="filters" data-testid="log-filters">
        <label className="grow">
          Search
          <DebouncedInput name="q" type="search" placeholder="words that must all occur, word* for a prefix" value={f.q} onCommit={(v) => set({ q: v.trim() })} />
        </label>
        {workloads.length > 0 && (
          <label>
            Workload
            <select name="workload" value={f.workload} onChange={(e) => set({ workload: e.target.value })}>
              <option value="">All workloads</option>
              {f.workload && !workloads.includes(f.workload) && <option value={f.workload}>{f.workload}</option>}
              {workloads.map((w) => (
                <option key={w}>{w}</option>
              ))}
            </select>
          </label>
        )}
        <label>
          Pod
          <DebouncedInput name="pod" placeholder="pod name" value={f.pod} onCommit={(v) => set({ pod: v.trim() })} size={16} />
        </label>
        <label>
          Container
          <DebouncedInput name="container" placeholder="container" value={f.container} onCommit={(v) => set({ container: v.trim() })} size={12} />
        </label>
        <div className="level-picks" role="group" aria-label="Levels">
          <span className="pick-label">Level</span>
          <div className="pills">
            {LEVELS.filter((l) => l !== 'unknown').map((l) => (
              <label key={l} className={`level-pick ${levels.includes(l) ? 'on' : ''}`} style={{ borderColor: levels.includes(l) ? LEVEL_COLORS[l] : undefined }}>
                <input type="checkbox" name={`level-${l}`} checked={levels.includes(l)} onChange={() => toggleLevel(l)} />
                {l}
              </label>
            ))}
          </div>
        </div>
        {f.pattern && (
          <button className="chip" onClick={() => set({ pattern: null })} data-testid="pattern-chip" title="the lines of one pattern (from the Patterns tab)">
            pattern #{f.pattern} ✕
          </button>
        )}
        <label className="follow">
          <span>
            <input type="checkbox" name="follow" checked={follow} onChange={(e) => set({ follow: e.target.checked ? '1' : null })} /> Follow live
          </span>
        </label>
        {active && (
          <button className="btn-plain clear" onClick={() => set(Object.fromEntries(FILTER_KEYS.map((k) => [k, null])))}>
            Clear filters
          </button>
        )}
      </div>

      <Card
        title="Lines by level"
        hint={`per ${step < 60 ? `${step} s` : step < 3600 ? `${step / 60} min` : `${step / 3600} h`}; click a bar for its lines`}
        actions={
          hist.data && (
            <div className="pills" data-testid="level-totals">
              {LEVELS.filter((l) => totals[l]).map((l) => (
                <button key={l} className={`level-total ${levels.includes(l) ? 'on' : ''}`} data-level={l} onClick={() => toggleLevel(l)} title={`show only ${l} lines (again to undo)`}>
                  <i style={{ background: LEVEL_COLORS[l] }} /> {l} <b data-col="count">{fmtCount(totals[l])}</b>
                </button>
              ))}
            </div>
          )
        }
      >
        {hist.loading && !hist.data ? <Loading /> : total === 0 ? <Empty title="No log lines in this time range" /> : <LevelChart h={hist.data} xs={xs} onPick={(t) => set({ range: null, from: String(t), to: String(t + step) })} testId="log-histogram" />}
      </Card>

      <div className="tabs" role="tablist">
        {(['lines', 'patterns'] as const).map((t) => (
          <button key={t} role="tab" aria-selected={tab === t} className={`tab ${tab === t ? 'active' : ''}`} data-tab={t} onClick={() => set({ tab: t === 'lines' ? null : t })}>
            {t === 'lines' ? 'Lines' : 'Patterns'}
          </button>
        ))}
      </div>
      {tab === 'patterns' ? (
        <PatternsTab params={{ ...f, pattern: '', from: tr.apiFrom, to: tr.apiTo, step: String(Math.max(60, Math.ceil(step / 60) * 60)) }} onShowLines={(p) => set({ tab: null, pattern: String(p.id) })} />
      ) : (
      <Card
        title={
          first.data ? (
            <span data-testid="log-count">
              {fmtCount(total)} lines{entries.length < total ? `, ${fmtCount(entries.length)} shown` : ''}
            </span>
          ) : (
            'Lines'
          )
        }
        hint={follow ? (tail.skipped ? 'following: more than 500 new lines in 2 s, the newest shown' : 'following: new lines appear at the top') : 'newest first'}
      >
        {first.loading && !first.data ? (
          <Loading label="Loading log lines…" />
        ) : first.error && !first.data ? (
          <Empty title="Log lines could not be loaded">See the error above.</Empty>
        ) : entries.length === 0 ? (
          active ? (
            <Empty title="No log line matches these filters">Loosen a filter, search fewer words or widen the time range.</Empty>
          ) : (
            <Empty title="No log lines in this time range">
              Loupe keeps what containers print when the agent runs in Kubernetes (<code>/var/log/pods</code>), and the files given to{' '}
              <code>loupe run --logs GLOB</code> on a host. {follow ? 'Following: new lines appear here.' : 'Widen the time range, or turn on Follow live.'}
            </Empty>
          )
        ) : (
          <>
            <LogList entries={entries} words={words} />
            {cursor && (
              <div className="more">
                <button className="btn-plain" onClick={loadOlder} disabled={loadingOlder} data-testid="log-older">
                  {loadingOlder ? 'Loading…' : `Older lines (${PAGE} more)`}
                </button>
              </div>
            )}
          </>
        )}
      </Card>
      )}
    </>
  );
}
