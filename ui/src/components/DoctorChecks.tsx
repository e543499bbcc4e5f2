import { useApi } from '../api';
import { Card } from './States';

/** One check of `loupe doctor` (GET /api/v1/doctor, the same JSON as `loupe doctor -o json`). */
interface DoctorCheck {
  name: string;
  status: 'pass' | 'fail' | 'skip';
  detail: string;
  fix: string;
}

const PILL = { pass: 'pill-ok', fail: 'pill-bad', skip: 'pill-off' } as const;
const WORD = { pass: 'ok', fail: 'failed', skip: 'n/a' } as const;

/** What `loupe doctor` checks for this Loupe, each failure with its fix. Hidden where the server runs no checks (404). */
export function DoctorChecks() {
  const { data, notFound } = useApi<{ ok: boolean; checks: DoctorCheck[] }>('doctor', {}, { allow404: true });
  if (notFound || !data || !Array.isArray(data.checks)) return null;
  const failed = data.checks.filter((c) => c.status === 'fail').length;
  return (
    <Card title="Checks" hint={failed ? `${failed} failed: see the fixes` : 'everything Loupe needs is here (loupe doctor)'}>
      <div className="table-wrap">
        <table className="table" data-testid="status-doctor">
          <thead>
            <tr>
              <th>Check</th>
              <th>Result</th>
              <th>Found</th>
              <th>Fix</th>
            </tr>
          </thead>
          <tbody>
            {data.checks.map((c) => (
              <tr key={c.name} data-status={c.status}>
                <td>{c.name}</td>
                <td>
                  <span className={`pill ${PILL[c.status] ?? 'pill-off'}`}>{WORD[c.status] ?? c.status}</span>
                </td>
                <td>{c.detail}</td>
                <td>{c.status === 'fail' ? c.fix : <span className="muted">–</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Card>
  );
}
