import { useApi } from '../api';
import { DoctorChecks } from '../components/DoctorChecks';
import { Card, Empty, Loading } from '../components/States';
import { fmtBytes, fmtCount, fmtDuration, isNum } from '../format';
import type { Status } from '../types';

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);

const label = (k: string) => {
  // units are dropped where the value is formatted (uptime, sizes), kept elsewhere
  const t = /uptime|bytes|size/.test(k) ? k.replace(/_(s|ms|ns|bytes)$/, '').replace(/_/g, ' ') : k.replace(/_/g, ' ').replace(/ (ns|ms|s|h)$/, ' ($1)');
  return t.charAt(0).toUpperCase() + t.slice(1);
};

function fmtValue(k: string, v: unknown): React.ReactNode {
  if (v === null || v === undefined || v === '') return <span className="muted">–</span>;
  if (typeof v === 'boolean') return <span className={`pill ${v ? 'pill-ok' : 'pill-off'}`}>{v ? 'yes' : 'no'}</span>;
  if (isNum(v)) {
    if (/bytes|size/.test(k)) return fmtBytes(v);
    if (/uptime/.test(k)) return fmtDuration(/_ms$/.test(k) ? v / 1000 : /_ns$/.test(k) ? v / 1e9 : v);
    if (/per_s|rate/.test(k)) return `${v.toFixed(v < 10 ? 2 : 0)}/s`;
    return fmtCount(v);
  }
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x !== 'object')) return v.length ? v.join(', ') : <span className="muted">none</span>;
    return <code>{JSON.stringify(v)}</code>;
  }
  if (isObj(v)) return <code>{JSON.stringify(v)}</code>;
  return String(v);
}

/** Renders any object: booleans maps become pills, arrays of objects tables. */
function Section({ title, value }: { title: string; value: unknown }) {
  if (Array.isArray(value) && value.some(isObj)) {
    const rows = value.filter(isObj);
    const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
    return (
      <Card title={label(title)}>
        <div className="table-wrap">
          <table className="table" data-testid={`status-${title}`}>
            <thead>
              <tr>
                {keys.map((k) => (
                  <th key={k}>{label(k)}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((r, i) => (
                <tr key={i}>
                  {keys.map((k) => (
                    <td key={k}>{fmtValue(k, r[k])}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Card>
    );
  }
  if (isObj(value)) {
    const entries = Object.entries(value);
    if (entries.length > 0 && entries.every(([, v]) => typeof v === 'boolean')) {
      return (
        <Card title={label(title)}>
          <div className="pills" data-testid={`status-${title}`}>
            {entries.map(([k, v]) => (
              <span key={k} className={`pill ${v ? 'pill-ok' : 'pill-off'}`} title={v ? 'available' : 'not available'}>
                {v ? '✓' : '✗'} {k}
              </span>
            ))}
          </div>
        </Card>
      );
    }
    const flat = entries.filter(([, v]) => !isObj(v) && !(Array.isArray(v) && v.some(isObj)));
    const nested = entries.filter(([, v]) => isObj(v) || (Array.isArray(v) && v.some(isObj)));
    return (
      <>
        {flat.length > 0 && (
          <Card title={label(title)}>
            <dl className="kv" data-testid={`status-${title}`}>
              {flat.map(([k, v]) => (
                <div key={k} className="kv-row">
                  <dt>{label(k)}</dt>
                  <dd>{fmtValue(k, v)}</dd>
                </div>
              ))}
            </dl>
          </Card>
        )}
        {nested.map(([k, v]) => (
          <Section key={k} title={`${title === 'status' ? '' : title + ' · '}${k}`} value={v} />
        ))}
      </>
    );
  }
  return null;
}

export function StatusPage() {
  const { data, loading, error } = useApi<Status>('status');
  // The tiles read fixed fields (src/server/openapi/openapi.yaml); the
  // sections below show every other value as it comes.
  const st: Record<string, unknown> = data ?? {};
  const agent = data?.agent ?? null;
  const version = data?.version;
  const uptimeS = data?.uptime_s;
  const probes = agent?.probes?.filter((p) => p.attached).length;
  const evRate = agent && uptimeS ? agent.events_seen / uptimeS : undefined;
  const drops = agent?.events_dropped;
  const size = data?.store.store_size_bytes;

  const scalars = Object.entries(st).filter(([, v]) => !isObj(v) && !Array.isArray(v));
  const groups = Object.entries(st).filter(([, v]) => isObj(v) || Array.isArray(v));

  return (
    <>
      <div className="page-head">
        <h1>Status</h1>
        <p className="sub">Health of the Loupe agent and store: probes, kernel features, event flow and drops.</p>
      </div>
      {loading && !data ? (
        <Loading label="Loading status…" />
      ) : error && !data ? (
        <Empty title="Status could not be loaded">See the error above. Is the Loupe server running?</Empty>
      ) : (
        <>
          <div className="tiles" data-testid="status-tiles">
            <div className="tile">
              <div className="tile-label">Version</div>
              <div className="tile-value small-value">{version ? String(version) : '–'}</div>
            </div>
            <div className="tile">
              <div className="tile-label">Uptime</div>
              <div className="tile-value">{fmtDuration(uptimeS)}</div>
            </div>
            <div className="tile">
              <div className="tile-label">Probes attached</div>
              <div className="tile-value">{isNum(probes) ? probes : '–'}</div>
            </div>
            <div className="tile">
              <div className="tile-label">Events / s</div>
              <div className="tile-value">{isNum(evRate) ? fmtCount(evRate) : '–'}</div>
            </div>
            <div className="tile">
              <div className="tile-label">Drops</div>
              <div className={`tile-value ${isNum(drops) && drops > 0 ? 'bad' : ''}`}>{isNum(drops) ? fmtCount(drops) : '–'}</div>
            </div>
            <div className="tile">
              <div className="tile-label">Store size</div>
              <div className="tile-value">{isNum(size) ? fmtBytes(size) : '–'}</div>
            </div>
          </div>
          <DoctorChecks />
          {scalars.length > 0 && <Section title="server" value={Object.fromEntries(scalars)} />}
          <div className="status-groups">
            {groups.map(([k, v]) => (
              <Section key={k} title={k} value={v} />
            ))}
          </div>
        </>
      )}
    </>
  );
}
