import { useEffect, useState } from 'react';
import { navigate, useLocation, withQuery } from '../router';
import { PRESETS, REFRESH, useTimeRange } from '../timerange';
import { fmtTime } from '../format';

function toLocalInput(unixS: number): string {
  if (!Number.isFinite(unixS)) return '';
  const d = new Date(unixS * 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

function fromLocalInput(v: string): string {
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) return v;
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function TimeRangePicker() {
  const loc = useLocation();
  const tr = useTimeRange();
  const [open, setOpen] = useState(false);
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');

  useEffect(() => {
    if (open) {
      setFrom(toLocalInput(tr.fromS));
      setTo(toLocalInput(tr.toS));
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [open]);

  const go = (changes: Record<string, string | null>) => navigate(withQuery(loc.path, loc.query, changes));

  return (
    <div className="timepicker" data-testid="timepicker">
      <div className="seg" role="group" aria-label="Time range">
        {PRESETS.map((p) => (
          <button
            key={p.key}
            className={tr.preset === p.key ? 'active' : ''}
            title={p.label}
            onClick={() => go({ range: p.key === '1h' ? null : p.key, from: null, to: null })}
          >
            {p.key}
          </button>
        ))}
        <button className={tr.custom ? 'active' : ''} onClick={() => setOpen((o) => !o)} aria-expanded={open} data-testid="custom-range">
          {tr.custom ? `${fmtTime(tr.fromS)} → ${fmtTime(tr.toS)}` : 'Custom'}
        </button>
      </div>
      <label className="refresh">
        <span>Auto-refresh</span>
        <select value={tr.refreshKey} onChange={(e) => go({ refresh: e.target.value === 'off' ? null : e.target.value })} aria-label="Auto-refresh">
          {REFRESH.map((r) => (
            <option key={r.key} value={r.key}>
              {r.label}
            </option>
          ))}
        </select>
      </label>
      <button className="icon-btn" title="Refresh now" aria-label="Refresh now" onClick={tr.reload}>
        ↻
      </button>
      {open && (
        <form
          className="popover"
          onSubmit={(e) => {
            e.preventDefault();
            setOpen(false);
            // No client-side check: the server validates and its message is shown in the banner.
            go({ range: null, from: fromLocalInput(from), to: fromLocalInput(to) });
          }}
        >
          <label>
            From
            <input type="datetime-local" name="from" value={from} onChange={(e) => setFrom(e.target.value)} required />
          </label>
          <label>
            To
            <input type="datetime-local" name="to" value={to} onChange={(e) => setTo(e.target.value)} required />
          </label>
          <div className="popover-actions">
            <button type="button" className="btn-plain" onClick={() => setOpen(false)}>
              Cancel
            </button>
            <button type="submit" className="btn-primary">
              Apply
            </button>
          </div>
        </form>
      )}
    </div>
  );
}
