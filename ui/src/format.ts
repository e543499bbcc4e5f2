// Human-readable units. Everything the UI prints goes through here so that
// latencies, rates and sizes look the same on every page.

const dash = '–';

export function isNum(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** Milliseconds to µs / ms / s with ~3 significant digits. */
export function fmtMs(ms: unknown): string {
  if (!isNum(ms)) return dash;
  if (ms === 0) return '0 ms';
  const a = Math.abs(ms);
  if (a < 1) return `${sig(ms * 1000)} µs`;
  if (a < 1000) return `${sig(ms)} ms`;
  if (a < 60_000) return `${sig(ms / 1000)} s`;
  return `${sig(ms / 60_000)} min`;
}

export function fmtNs(ns: unknown): string {
  return isNum(ns) ? fmtMs(ns / 1e6) : dash;
}

export function fmtRate(perS: unknown): string {
  if (!isNum(perS)) return dash;
  if (perS === 0) return '0 req/s';
  if (perS < 0.01) return `${sig(perS * 60)} req/min`;
  return `${sig(perS)} req/s`;
}

/** ratio 0..1 to percent. */
export function fmtPct(ratio: unknown): string {
  if (!isNum(ratio)) return dash;
  const p = ratio * 100;
  if (p === 0) return '0%';
  if (p < 0.01) return '<0.01%';
  if (p < 10) return `${p.toFixed(2)}%`;
  return `${p.toFixed(1)}%`;
}

export function fmtCount(n: unknown): string {
  if (!isNum(n)) return dash;
  if (Math.abs(n) < 10_000) return String(Math.round(n));
  if (Math.abs(n) < 1e6) return `${sig(n / 1e3)}k`;
  if (Math.abs(n) < 1e9) return `${sig(n / 1e6)}M`;
  return `${sig(n / 1e9)}G`;
}

export function fmtBytes(b: unknown): string {
  if (!isNum(b)) return dash;
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = b;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < u.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${Math.round(v)} B` : `${sig(v)} ${u[i]}`;
}

export function fmtDuration(s: unknown): string {
  if (!isNum(s)) return dash;
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.floor(s % 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${sec}s`;
  return `${sec}s`;
}

function pad(n: number, w = 2) {
  return String(n).padStart(w, '0');
}

/** Local wall-clock time, e.g. 14:03:07.123 (with date if not today). */
export function fmtTime(unixS: number, withMs = false): string {
  if (!isNum(unixS)) return dash;
  const d = new Date(unixS * 1000);
  const now = new Date();
  const t = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}${withMs ? '.' + pad(d.getMilliseconds(), 3) : ''}`;
  if (d.toDateString() === now.toDateString()) return t;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${t}`;
}

/** The browser's time zone, as the axes and timestamps show it: "UTC+01:00 (Europe/Paris)". */
export function tzName(): string {
  const off = -new Date().getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  const a = Math.abs(off);
  return `UTC${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

export function fmtHM(unixS: number): string {
  const d = new Date(unixS * 1000);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function sig(v: number): string {
  const a = Math.abs(v);
  if (a >= 100) return String(Math.round(v));
  if (a >= 10) return trim(v.toFixed(1));
  return trim(v.toFixed(2));
}

function trim(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/** Record timestamps: prefer start_ns, fall back to the RFC 3339 ts. */
export function recordTimeS(r: { start_ns?: unknown; ts?: unknown }): number {
  if (isNum(r.start_ns) && r.start_ns > 0) return r.start_ns / 1e9;
  if (typeof r.ts === 'string') {
    const ms = Date.parse(r.ts);
    if (!Number.isNaN(ms)) return ms / 1000;
  }
  return NaN;
}
