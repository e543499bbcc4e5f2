// JSON API client and the data-fetching hook. Every failed call is reported to
// the error banner (see ErrorBanner) instead of being swallowed.
import { createContext, useContext, useEffect, useId, useRef, useState } from 'react';
import { authHeaders, tokenRejected } from './auth';
import { useTimeRange } from './timerange';

export const API_BASE = '/api/v1';

export class ApiError extends Error {
  status: number;
  parameter?: string;
  url: string;
  constructor(message: string, status: number, url: string, parameter?: string) {
    super(message);
    this.status = status;
    this.url = url;
    this.parameter = parameter;
  }
}

export type Params = Record<string, string | number | undefined | null>;

export function apiUrl(path: string, params: Params = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return `${API_BASE}/${path}${s ? '?' + s : ''}`;
}

// GETs in flight, by URL: panels that ask the same thing at once (a row's
// p95 and errors sparklines read one latency call) share one request.
const inFlight = new Map<string, Promise<unknown>>();

export async function apiGet<T>(path: string, params: Params = {}, signal?: AbortSignal): Promise<T> {
  const url = apiUrl(path, params);
  let shared = inFlight.get(url);
  if (!shared) {
    shared = apiRequest<unknown>('GET', path, params).finally(() => inFlight.delete(url));
    inFlight.set(url, shared);
  }
  if (!signal) return shared as Promise<T>;
  // This caller may stop waiting; the request goes on for the others.
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(new DOMException('aborted', 'AbortError'));
    if (signal.aborted) return abort();
    signal.addEventListener('abort', abort, { once: true });
    shared!.then(
      (v) => resolve(v as T),
      (e) => reject(e),
    );
  });
}

/** POST/DELETE for the few routes that change something (silences). */
export async function apiSend<T>(method: 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
  return apiRequest<T>(method, path, {}, body);
}

async function apiRequest<T>(method: string, path: string, params: Params, sendBody?: unknown, signal?: AbortSignal): Promise<T> {
  const url = apiUrl(path, params);
  let res: Response;
  try {
    const headers: Record<string, string> = { Accept: 'application/json', ...authHeaders() };
    if (sendBody !== undefined) headers['Content-Type'] = 'application/json';
    res = await fetch(url, { method, signal, headers, body: sendBody === undefined ? undefined : JSON.stringify(sendBody) });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError('Cannot reach the Loupe server. Is it still running?', 0, url);
  }
  const text = await res.text();
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON */
  }
  if (res.status === 401) {
    tokenRejected();  // the TokenPrompt asks for it and reloads
    throw new ApiError('This Loupe server needs its access token.', 401, url);
  }
  if (!res.ok) {
    const b = (body || {}) as { error?: unknown; message?: unknown; parameter?: unknown };
    const msg =
      typeof b.error === 'string' ? b.error : typeof b.message === 'string' ? b.message : text.trim().slice(0, 200) || res.statusText || 'request failed';
    throw new ApiError(msg, res.status, url, typeof b.parameter === 'string' ? b.parameter : undefined);
  }
  if (body === undefined) {
    // An HTML page here is the index.html fallback: this server has no such endpoint.
    if (/^\s*</.test(text)) throw new ApiError(`This server does not serve ${url.replace(/\?.*/, '')}`, 404, url);
    throw new ApiError('The server sent a response that is not JSON.', res.status, url);
  }
  return body as T;
}

// ---- error banner registry ----
type ErrMap = Map<string, ApiError>;
export const ErrorsCtx = createContext<{ set: (id: string, e: ApiError | null) => void }>({ set: () => {} });

export function useErrorRegistry() {
  const [errors, setErrors] = useState<ErrMap>(new Map());
  const set = useRef((id: string, e: ApiError | null) => {
    setErrors((prev) => {
      if (!e && !prev.has(id)) return prev;
      const next = new Map(prev);
      if (e) next.set(id, e);
      else next.delete(id);
      return next;
    });
  }).current;
  return { errors, set };
}

export interface ApiState<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  notFound: boolean;
}

/**
 * Fetches `path` whenever params or the refresh tick change. Keeps the last
 * data while reloading so auto-refresh does not flicker. `path` null = skip.
 */
export function useApi<T>(path: string | null, params: Params = {}, opts: { allow404?: boolean } = {}): ApiState<T> {
  const { tick } = useTimeRange();
  const id = useId();
  const { set } = useContext(ErrorsCtx);
  const key = path === null ? null : apiUrl(path, params);
  // A relative range moves on every refresh; keep showing the old data until
  // the new arrives unless something other than the time window changed.
  const { from: _f, to: _t, ...rest } = params;
  const identity = path === null ? null : apiUrl(path, rest);
  const [state, setState] = useState<ApiState<T> & { key: string | null; identity?: string | null }>({
    data: undefined,
    error: undefined,
    loading: path !== null,
    notFound: false,
    key: null,
  });
  useEffect(() => {
    if (key === null || path === null) {
      setState({ data: undefined, error: undefined, loading: false, notFound: false, key });
      set(id, null);
      return;
    }
    const ac = new AbortController();
    setState((s) => ({ ...s, loading: true, ...(s.identity !== identity ? { data: undefined, error: undefined, notFound: false } : {}), key, identity }));
    apiGet<T>(path, params, ac.signal).then(
      (data) => {
        if (ac.signal.aborted) return;
        setState({ data, error: undefined, loading: false, notFound: false, key, identity });
        set(id, null);
      },
      (e: unknown) => {
        if (ac.signal.aborted) return;
        const err = e instanceof ApiError ? e : new ApiError(String(e), 0, key);
        if (err.status === 401) {
          // The token prompt is up; no banner on top of it.
          setState((s) => ({ ...s, loading: false, key, identity }));
          set(id, null);
          return;
        }
        if (opts.allow404 && err.status === 404) {
          setState({ data: undefined, error: undefined, loading: false, notFound: true, key, identity });
          set(id, null);
          return;
        }
        setState((s) => ({ ...s, error: err, loading: false, key, identity }));
        set(id, err);
      },
    );
    return () => ac.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, tick]);
  useEffect(() => () => set(id, null), [id, set]);
  return state;
}
