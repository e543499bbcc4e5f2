// A tiny history-API router: the Loupe server answers every non-API path with
// index.html, so client routes such as /services/checkout work on reload.
import { createContext, useContext, useEffect, useState, type AnchorHTMLAttributes, type MouseEvent } from 'react';

export interface Loc {
  path: string;
  query: URLSearchParams;
}

function current(): Loc {
  return { path: window.location.pathname, query: new URLSearchParams(window.location.search) };
}

const LocCtx = createContext<Loc>(current());

export function RouterProvider({ children }: { children: React.ReactNode }) {
  const [loc, setLoc] = useState<Loc>(current);
  useEffect(() => {
    const on = () => setLoc(current());
    window.addEventListener('popstate', on);
    window.addEventListener('loupe:navigate', on);
    return () => {
      window.removeEventListener('popstate', on);
      window.removeEventListener('loupe:navigate', on);
    };
  }, []);
  return <LocCtx.Provider value={loc}>{children}</LocCtx.Provider>;
}

export function useLocation(): Loc {
  return useContext(LocCtx);
}

export function navigate(href: string, replace = false) {
  const now = window.location.pathname + window.location.search;
  if (href === now) return;
  if (replace) window.history.replaceState(null, '', href);
  else window.history.pushState(null, '', href);
  window.dispatchEvent(new Event('loupe:navigate'));
  if (!replace) window.scrollTo(0, 0);
}

/** Merges `changes` into the current query string (null/'' deletes a key). */
export function withQuery(path: string, base: URLSearchParams, changes: Record<string, string | number | null | undefined>): string {
  const q = new URLSearchParams(base);
  for (const [k, v] of Object.entries(changes)) {
    if (v === null || v === undefined || v === '') q.delete(k);
    else q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

/** Keys shared by every page (time range and refresh), carried across links. */
export const SHARED_KEYS = ['range', 'from', 'to', 'refresh'];

export function sharedQuery(q: URLSearchParams): URLSearchParams {
  const out = new URLSearchParams();
  for (const k of SHARED_KEYS) {
    const v = q.get(k);
    if (v) out.set(k, v);
  }
  return out;
}

/** Builds a link to `path` that keeps the shared time range. */
export function useHref(path: string, extra: Record<string, string | number | null | undefined> = {}): string {
  const loc = useLocation();
  return withQuery(path, sharedQuery(loc.query), extra);
}

export function Link({ href, onClick, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }) {
  return (
    <a
      href={href}
      onClick={(e: MouseEvent<HTMLAnchorElement>) => {
        onClick?.(e);
        if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        navigate(href);
      }}
      {...rest}
    />
  );
}
