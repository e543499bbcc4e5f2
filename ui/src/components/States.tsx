export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="loading" aria-busy="true">
      <span className="spinner" /> {label}
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: React.ReactNode }) {
  return (
    <div className="empty" data-testid="empty">
      <div className="empty-title">{title}</div>
      {children && <div className="empty-body">{children}</div>}
    </div>
  );
}

export const NO_TRAFFIC = (
  <>
    No traffic seen yet: is <code>loupe run</code> running as root? Loupe records requests as they happen, so send some
    traffic to your services, or widen the time range.
  </>
);

export function Card({ title, hint, actions, children, className }: { title?: React.ReactNode; hint?: React.ReactNode; actions?: React.ReactNode; children: React.ReactNode; className?: string }) {
  return (
    <section className={`card ${className ?? ''}`}>
      {(title || actions) && (
        <header className="card-head">
          {title && (
            <h2>
              {title}
              {hint && <span className="hint title-hint">{hint}</span>}
            </h2>
          )}
          {actions && <div className="card-actions">{actions}</div>}
        </header>
      )}
      <div className="card-body">{children}</div>
    </section>
  );
}
