// Shared Playwright setup for the UI tests and screenshots: playwright-core
// (installed by ui/package.json; it never downloads browsers) driving Debian's
// Chromium.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, '../..');

export function loadPlaywright() {
  const require = createRequire(path.join(ROOT, 'ui/package.json'));
  try {
    return require('playwright-core');
  } catch {
    throw new Error('playwright-core is not installed: run scripts/build-ui.sh (it runs npm ci in ui/)');
  }
}

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

export async function launch() {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install -y chromium (or set CHROMIUM=/path/to/chromium)`);
  const { chromium } = loadPlaywright();
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** --url URL from argv, or null. */
export function argUrl() {
  const i = process.argv.indexOf('--url');
  if (i > 0 && process.argv[i + 1]) return process.argv[i + 1].replace(/\/+$/, '');
  const eq = process.argv.find((a) => a.startsWith('--url='));
  return eq ? eq.slice(6).replace(/\/+$/, '') : null;
}

/** The server to test: --url, or a mock started on a free port. */
export async function target() {
  const url = argUrl();
  if (url) return { url, close: async () => {}, mock: false };
  const { startMock } = await import('./mock_api.mjs');
  const m = await startMock({ port: 0 });
  return { ...m, mock: true };
}
