// Small pieces shared by the Kubernetes pages (Workloads, Workload, Nodes,
// Events): state pills, resource amounts and links.
import { fmtBytes, isNum } from './format';
import { Link, useHref } from './router';
import type { ContainerState, PodState } from './types';

export function Pill({ tone, children, title }: { tone: 'ok' | 'warn' | 'bad' | 'off'; children: React.ReactNode; title?: string }) {
  return (
    <span className={`pill pill-${tone}`} title={title}>
      {children}
    </span>
  );
}

/** "0.5 cores" / "250m"-style CPU amounts. */
export function fmtCores(v: unknown): string {
  if (!isNum(v)) return '–';
  if (v < 1) return `${Math.round(v * 1000)}m`;
  return `${Number(v.toFixed(2))}`;
}

export function fmtAmount(kind: 'cpu' | 'memory', v: unknown): string {
  return kind === 'cpu' ? fmtCores(v) : fmtBytes(v);
}

export function WorkloadLink({ name }: { name: string }) {
  const href = useHref(`/workloads/${encodeURIComponent(name)}`);
  return (
    <Link href={href} className="strong-link">
      {name}
    </Link>
  );
}

export function podTone(p: PodState): 'ok' | 'warn' | 'bad' | 'off' {
  if (p.known === false) return 'off';
  if (p.phase === 'Failed' || p.reason === 'Evicted') return 'bad';
  if (p.phase === 'Succeeded') return 'off';
  if (p.phase !== 'Running' || !p.ready) return 'warn';
  return 'ok';
}

export function ContainerStates({ containers }: { containers?: ContainerState[] }) {
  const cs = (containers ?? []).filter((c) => !c.init);
  if (cs.length === 0) return <span className="muted">–</span>;
  return (
    <span className="containers">
      {cs.map((c) => {
        const tone = c.state === 'running' ? (c.ready ? 'ok' : 'warn') : c.state === 'terminated' && c.state_reason === 'Completed' ? 'off' : c.state ? 'bad' : 'off';
        return (
          <span key={c.name} data-container={c.name}>
            <Pill tone={tone} title={c.image}>
              {c.name}: {c.state || 'unknown'}
              {c.state_reason ? ` (${c.state_reason})` : ''}
            </Pill>
          </span>
        );
      })}
    </span>
  );
}

/** The latest last termination among the pod's containers. */
export function LastTermination({ containers }: { containers?: ContainerState[] }) {
  const terms = (containers ?? []).filter((c) => c.last_termination);
  if (terms.length === 0) return <span className="muted">–</span>;
  return (
    <span className="containers">
      {terms.map((c) => {
        const t = c.last_termination!;
        const when = t.finished_at ? new Date(t.finished_at).toLocaleString() : '';
        return (
          <span key={c.name} className="term" data-termination={t.reason}>
            <span className={t.reason === 'OOMKilled' || t.reason === 'Error' ? 'bad' : ''}>{t.reason || 'terminated'}</span> exit {t.exit_code ?? '?'} · {c.name}
            {when && <span className="muted"> · {when}</span>}
          </span>
        );
      })}
    </span>
  );
}

/** Sum of requests or limits of the non-init containers; null when any container has none. */
export function sumAmounts(pods: PodState[], which: 'requests' | 'limits', kind: 'cpu_cores' | 'memory_bytes'): number | null {
  let total = 0;
  let any = false;
  for (const p of pods) {
    for (const c of p.containers ?? []) {
      if (c.init) continue;
      const v = c[which]?.[kind];
      if (!isNum(v)) return null;
      total += v;
      any = true;
    }
  }
  return any ? total : null;
}
