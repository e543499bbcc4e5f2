import { useEffect } from 'react';
import { ErrorsCtx, useErrorRegistry } from './api';
import { ErrorBanner } from './components/ErrorBanner';
import { Empty } from './components/States';
import { TimeRangePicker } from './components/TimeRangePicker';
import { TokenPrompt } from './components/TokenPrompt';
import { NAV, matchRoute } from './nav';
import { Link, sharedQuery, useLocation, withQuery } from './router';
import { TimeProvider } from './timerange';

export function App() {
  const loc = useLocation();
  const { errors, set } = useErrorRegistry();
  const m = matchRoute(loc.path);
  const activeKey = m ? m.entry.parent ?? m.entry.key : null;
  const shared = sharedQuery(loc.query);
  const Page = m?.entry.page;
  const title = m ? (m.params.name ?? m.entry.label) : 'Not found';
  useEffect(() => {
    document.title = `${title} · Loupe`;
  }, [title]);

  return (
    <ErrorsCtx.Provider value={{ set }}>
      <TimeProvider>
        <div className="layout">
          <aside className="sidebar">
            <div className="sidebar-inner">
            <Link href={withQuery('/', shared, {})} className="brand">
              <svg width="22" height="22" viewBox="0 0 32 32" aria-hidden>
                <circle cx="13" cy="13" r="9" fill="none" stroke="currentColor" strokeWidth="3.5" />
                <path d="M20 20l8 8" stroke="currentColor" strokeWidth="4" strokeLinecap="round" />
              </svg>
              <span>Loupe</span>
            </Link>
            <nav>
              {NAV.filter((n) => !n.hidden && !n.planned).map((n) => (
                <Link key={n.key} href={withQuery(n.path, shared, {})} className={`nav-item ${activeKey === n.key ? 'active' : ''}`} data-nav={n.key}>
                  <span className="nav-icon">{n.icon}</span>
                  {n.label}
                </Link>
              ))}
              <div className="nav-group">Coming later</div>
              {NAV.filter((n) => n.planned).map((n) => (
                <span key={n.key} className="nav-item planned" title={`${n.label} is not available yet`}>
                  <span className="nav-icon">{n.icon}</span>
                  {n.label}
                </span>
              ))}
            </nav>
            </div>
          </aside>
          <main className="main">
            <header className="topbar">
              <div className="crumbs" id="page-title" />
              <TimeRangePicker />
            </header>
            <ErrorBanner errors={[...errors.values()]} />
            <TokenPrompt />
            <div className="content">
              {Page ? (
                <Page key={m!.entry.key + JSON.stringify(m!.params)} params={m!.params} />
              ) : m?.entry.planned ? (
                <Empty title={`${m.entry.label} are coming later`}>This page is planned but not built yet.</Empty>
              ) : (
                <Empty title="Page not found">
                  <Link href={withQuery('/', shared, {})}>Go to the overview</Link>
                </Empty>
              )}
            </div>
          </main>
        </div>
      </TimeProvider>
    </ErrorsCtx.Provider>
  );
}
