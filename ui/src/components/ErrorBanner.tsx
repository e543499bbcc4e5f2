import type { ApiError } from '../api';

export function ErrorBanner({ errors }: { errors: ApiError[] }) {
  if (errors.length === 0) return null;
  // One line per distinct message: several panels failing the same way say it once.
  const seen = new Map<string, ApiError>();
  for (const e of errors) {
    const k = `${e.status}|${e.message}|${e.parameter ?? ''}`;
    if (!seen.has(k)) seen.set(k, e);
  }
  return (
    <div className="banner banner-error" role="alert" data-testid="api-error">
      {[...seen.values()].map((e, i) => (
        <div key={i} className="banner-line">
          <strong>{e.status === 0 ? 'Connection problem' : `API error${e.status ? ` ${e.status}` : ''}`}:</strong>{' '}
          <span className="banner-msg">{e.message}</span>
          {e.parameter && (
            <span className="banner-param">
              {' '}
              (parameter <code>{e.parameter}</code>)
            </span>
          )}
          <span className="banner-url" title={e.url}>
            {' '}
            · {e.url.replace(/\?.*/, '')}
          </span>
        </div>
      ))}
    </div>
  );
}
