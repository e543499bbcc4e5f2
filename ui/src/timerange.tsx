// The time range and auto-refresh live in the URL query string (range=1h, or
// from=...&to=... for a custom range, refresh=10s) so a link reproduces the view.
import { createContext, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { useLocation } from './router';

export const PRESETS: { key: string; label: string; seconds: number }[] = [
  { key: '15m', label: 'Last 15 minutes', seconds: 15 * 60 },
  { key: '1h', label: 'Last hour', seconds: 3600 },
  { key: '6h', label: 'Last 6 hours', seconds: 6 * 3600 },
  { key: '24h', label: 'Last 24 hours', seconds: 24 * 3600 },
];
export const DEFAULT_RANGE = '1h';

export const REFRESH: { key: string; label: string; seconds: number }[] = [
  { key: 'off', label: 'Off', seconds: 0 },
  { key: '10s', label: '10s', seconds: 10 },
  { key: '30s', label: '30s', seconds: 30 },
];

export interface TimeRange {
  custom: boolean;
  preset: string; // preset key or 'custom'
  /** Values sent to the API (unix seconds, or the raw custom strings). */
  apiFrom: string;
  apiTo: string;
  /** Best-effort numeric bounds in unix seconds (NaN if unparsable). */
  fromS: number;
  toS: number;
  spanS: number;
  refreshS: number;
  refreshKey: string;
  /** Changes whenever data should be fetched again. */
  tick: number;
  reload: () => void;
}

/** Parses unix seconds or RFC 3339 into unix seconds. */
export function parseTime(v: string | null): number {
  if (!v) return NaN;
  if (/^\d+(\.\d+)?$/.test(v.trim())) return Number(v);
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? NaN : ms / 1000;
}

const TickCtx = createContext<{ tick: number; reload: () => void }>({ tick: 0, reload: () => {} });

export function TimeProvider({ children }: { children: React.ReactNode }) {
  const loc = useLocation();
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  const refreshS = REFRESH.find((r) => r.key === loc.query.get('refresh'))?.seconds ?? 0;
  useEffect(() => {
    if (!refreshS) return;
    const id = window.setInterval(() => {
      if (document.visibilityState !== 'hidden') setTick((t) => t + 1);
    }, refreshS * 1000);
    return () => window.clearInterval(id);
  }, [refreshS]);
  const value = useMemo(() => ({ tick, reload }), [tick, reload]);
  return <TickCtx.Provider value={value}>{children}</TickCtx.Provider>;
}

export function useTimeRange(): TimeRange {
  const loc = useLocation();
  const { tick, reload } = useContext(TickCtx);
  const q = loc.query;
  const from = q.get('from');
  const to = q.get('to');
  const refreshKey = q.get('refresh') || 'off';
  const refreshS = REFRESH.find((r) => r.key === refreshKey)?.seconds ?? 0;
  return useMemo(() => {
    if (from || to) {
      const nowS = Math.floor(Date.now() / 1000);
      const fromS = parseTime(from);
      const toS = to ? parseTime(to) : nowS;
      return {
        custom: true,
        preset: 'custom',
        apiFrom: from || '',
        apiTo: to || String(nowS),
        fromS,
        toS,
        spanS: toS - fromS,
        refreshS,
        refreshKey,
        tick,
        reload,
      };
    }
    const preset = PRESETS.find((p) => p.key === q.get('range')) || PRESETS.find((p) => p.key === DEFAULT_RANGE)!;
    const toS = Math.floor(Date.now() / 1000);
    const fromS = toS - preset.seconds;
    return {
      custom: false,
      preset: preset.key,
      apiFrom: String(fromS),
      apiTo: String(toS),
      fromS,
      toS,
      spanS: preset.seconds,
      refreshS,
      refreshKey,
      tick,
      reload,
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [from, to, q.get('range'), refreshKey, tick]);
}

const NICE_STEPS = [10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

/** A round bucket size giving about `points` buckets over the span (>= min). */
export function stepFor(spanS: number, points: number, min = 10): number {
  if (!Number.isFinite(spanS) || spanS <= 0) return 60;
  const raw = spanS / points;
  for (const s of NICE_STEPS) if (s >= raw && s >= min) return s;
  return NICE_STEPS[NICE_STEPS.length - 1];
}
