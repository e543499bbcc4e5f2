// Shown when the server refuses the API without a token (401): asks for it
// once, keeps it for the tab, and reloads every panel.
import { useState } from 'react';
import { saveToken, useTokenNeeded } from '../auth';
import { useTimeRange } from '../timerange';

export function TokenPrompt() {
  const needed = useTokenNeeded();
  const { reload } = useTimeRange();
  const [value, setValue] = useState('');
  if (!needed) return null;
  return (
    <div className="token-overlay" role="dialog" aria-modal="true" aria-labelledby="token-title">
      <form
        className="token-dialog card"
        onSubmit={(e) => {
          e.preventDefault();
          if (!value.trim()) return;
          saveToken(value);
          setValue('');
          reload();
        }}
      >
        <h2 id="token-title">This Loupe server needs its access token</h2>
        <p>
          Paste the token the server was started with (<code>--token-file</code> or <code>LOUPE_TOKEN</code>). It is kept
          for this tab only.
        </p>
        <input
          type="password"
          name="token"
          autoComplete="current-password"
          autoFocus
          value={value}
          onChange={(e) => setValue(e.target.value)}
          aria-label="Access token"
        />
        <button type="submit">Open Loupe</button>
      </form>
    </div>
  );
}
