// Marks a time window whose data is incomplete: records Loupe parsed but
// could not store (the store fell behind a burst) and kernel events lost
// before parsing (ring buffer full), from /api/v1/losses. Shown where the
// data of that window is shown, so a quiet-looking minute is not mistaken for
// a quiet minute. Renders nothing when nothing was lost (or on a server
// without the endpoint).
import { useApi } from '../api';
import { fmtCount, fmtHM } from '../format';
import type { Losses } from '../types';

/** The losses of a window (undefined while loading or on an older server). */
export function useLosses(from: string | number, to: string | number): Losses | undefined {
  return useApi<Losses>('losses', { from, to }, { allow404: true }).data;
}

/** Minute starts with any loss, for TimeChart's `marked`. */
export function lossMinutes(data: Losses | undefined): number[] {
  return (data?.minutes ?? []).map((m) => m.t);
}

/** The part of `data` in [from, to) (unix seconds), e.g. a picked chart interval. */
export function lossesWithin(data: Losses | undefined, from: number, to: number): Losses | undefined {
  if (!data) return undefined;
  const minutes = (data.minutes ?? []).filter((m) => m.t >= from && m.t < to);
  return {
    records: minutes.reduce((n, m) => n + m.records, 0),
    events: minutes.reduce((n, m) => n + m.events, 0),
    minutes,
  };
}

export function LossMarker({ data, what = 'in this window' }: { data: Losses | undefined; what?: string }) {
  if (!data || (!data.records && !data.events)) return null;
  const minutes = data.minutes ?? [];
  const first = minutes[0]?.t;
  const last = minutes[minutes.length - 1]?.t;
  const when =
    first === undefined ? '' : first === last ? ` (minute ${fmtHM(first)})` : ` (${minutes.length} minutes between ${fmtHM(first)} and ${fmtHM(last! + 60)})`;
  const parts: string[] = [];
  if (data.records) parts.push(`${fmtCount(data.records)} records lost ${what}`);
  if (data.events) parts.push(`${fmtCount(data.events)} kernel events lost ${what}`);
  return (
    <div className="banner banner-warn" role="status" data-testid="loss-marker">
      <b>{parts.join(' · ')}</b>
      {when}. Counts, rates and latencies here are incomplete.{' '}
      <span className="muted">
        {data.records ? 'Records were dropped because the store could not keep up with a burst. ' : ''}
        {data.events ? 'Events were lost because the kernel ring buffer was full (try a larger --ring-buffer-size).' : ''}
      </span>
    </div>
  );
}
