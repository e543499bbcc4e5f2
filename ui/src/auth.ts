// The API token of a Loupe server started with --token-file: asked once by
// the TokenPrompt, kept for this browser tab only (sessionStorage: gone when
// the tab closes, never sent to another site), and sent as a bearer header
// with every API call.
import { useSyncExternalStore } from 'react';

const KEY = 'loupe.token';
const listeners = new Set<() => void>();
let needed = false;

function notify() {
  for (const l of listeners) l();
}

export function authHeaders(): Record<string, string> {
  const token = sessionStorage.getItem(KEY);
  return token ? { Authorization: `Bearer ${token}` } : {};
}

/** The server answered 401: the token is missing or wrong; ask for it. */
export function tokenRejected() {
  sessionStorage.removeItem(KEY);
  if (!needed) {
    needed = true;
    notify();
  }
}

export function saveToken(token: string) {
  sessionStorage.setItem(KEY, token.trim());
  needed = false;
  notify();
}

/** True while the server wants a token the tab does not have. */
export function useTokenNeeded(): boolean {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => needed,
  );
}
