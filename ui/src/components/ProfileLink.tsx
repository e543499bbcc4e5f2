// "Profile these minutes": from a point or a dragged range of a latency
// chart to the Flame graphs page for the same entity and window
// (docs/profiling.md, docs/ui.md).
import { fmtHM } from '../format';
import { Link, sharedQuery, useLocation, withQuery } from '../router';

/** The profile filter (a query key of /api/v1/profile) of a service, or null when none names its processes. */
export function profileFilter(kind: string | undefined, name: string): Record<string, string> | null {
  if (kind === 'workload') return { workload: name };
  // comm:port: the process name the profiler records.
  if (kind === 'process') {
    const colon = name.lastIndexOf(':');
    return { process: colon > 0 ? name.slice(0, colon) : name };
  }
  return null;
}

/** The Flame graphs page for `filter` from `from` to `to` (unix seconds), keeping the refresh setting. */
export function useProfileHref(filter: Record<string, string> | null): (from: number, to: number) => string {
  const loc = useLocation();
  return (from, to) => withQuery('/flame', sharedQuery(loc.query), { range: null, from, to, ...(filter ?? {}) });
}

export function ProfileLink({ filter, from, to }: { filter: Record<string, string> | null; from: number; to: number }) {
  const href = useProfileHref(filter);
  if (!filter) return null;
  return (
    <Link href={href(from, to)} className="small" data-testid="profile-link" title="CPU flame graph of these processes in this window">
      Profile {fmtHM(from)}–{fmtHM(to)} →
    </Link>
  );
}
