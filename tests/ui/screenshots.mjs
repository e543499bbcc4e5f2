#!/usr/bin/env node
// Takes a PNG of each page into docs/screenshots/ (run by scripts/screenshots.sh).
//   node tests/ui/screenshots.mjs [--url http://127.0.0.1:PORT] [--out docs/screenshots]
import path from 'node:path';
import fs from 'node:fs';
import { launch, target, ROOT } from './browser.mjs';

const oi = process.argv.indexOf('--out');
const out = path.resolve(oi > 0 ? process.argv[oi + 1] : path.join(ROOT, 'docs/screenshots'));
fs.mkdirSync(out, { recursive: true });

const srv = await target();
const browser = await launch();
const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
page.setDefaultTimeout(30_000);
const settle = async () => {
  await page.waitForLoadState('networkidle').catch(() => {});
  await page.waitForFunction(() => !document.querySelector('.loading'), null, { timeout: 15_000 }).catch(() => {});
  await page.waitForTimeout(300);
};
const shot = async (name, full = true) => {
  await settle();
  await page.screenshot({ path: path.join(out, `${name}.png`), fullPage: full });
  console.log(`screenshots: ${path.relative(ROOT, path.join(out, name + '.png'))}`);
};

try {
  const get = async (path) => (await fetch(`${srv.url}/api/v1/${path}`)).json();
  const asList = (d, k) => (Array.isArray(d) ? d : d?.[k] || []);
  // The mock's shop, or on a real server (the UI test run) the service with
  // the most errors (the shop app's incident), the workload whose error log
  // lines the tests sent, and a request the logging app wrote lines for.
  const list = asList(await get('services'), 'services').filter((s) => s.kind !== 'loupe' && s.kind !== 'external');
  const byErrors = [...list].sort((a, b) => (b.errors ?? 0) - (a.errors ?? 0) || b.requests - a.requests);
  const svc = list.find((s) => s.name === 'checkout')?.name || byErrors[0]?.name;
  const pod = asList(await get('pods'), 'pods').find((p) => p.uid && p.workload);
  const workload = srv.mock ? 'shop/Deployment/checkout' : pod?.workload;
  const traced = srv.mock ? null : asList(await get('requests?protocol=http1&limit=1000'), 'requests').find((r) => r.trace_id && r.role === 'server');

  await page.goto(srv.mock ? `${srv.url}/` : `${srv.url}/?range=15m`);
  await shot('overview', false);

  if (svc) {
    await page.goto(`${srv.url}/services/${encodeURIComponent(svc)}`);
    await shot('service');
  }

  await page.goto(`${srv.url}/requests`);
  await settle();
  await page.locator('[data-testid=requests-table] tbody tr').nth(2).click().catch(() => {});
  await shot('requests', false);

  await page.goto(`${srv.url}/requests?protocol=postgres`);
  await settle();
  await page.locator('[data-testid=requests-table] tbody tr').first().click().catch(() => {});
  await shot('request-detail-sql', false);

  // A request's detail scrolled to the log lines around it.
  await page.goto(traced ? `${srv.url}/requests/${traced.id}` : `${srv.url}/requests?service=payments&protocol=http1`);
  await settle();
  if (!traced) await page.locator('[data-testid=requests-table] tbody tr').first().click().catch(() => {});
  await settle();
  await page.locator('[data-testid=request-logs]').scrollIntoViewIfNeeded().catch(() => {});
  await shot('request-logs', false);

  await page.goto(`${srv.url}/logs`);
  await shot('logs', false);

  await page.goto(`${srv.url}/logs?tab=patterns`);
  await shot('log-patterns', false);

  // A workload: latency, its error log lines and resources on one time axis.
  if (workload) {
    await page.goto(`${srv.url}/workloads/${encodeURIComponent(workload)}`);
    await shot('workload', false);
  }

  // On a real server every short-lived client (each curl) is a caller of its
  // own: the service with the most errors and its neighbours read better.
  // The service (not a bare process) calling the most others: the shop app.
  const fanout = new Map();
  for (const e of asList(await get('map'), 'edges')) if (e.caller_kind !== 'external' && !/\(pid \d+\)$/.test(e.caller)) fanout.set(e.caller, (fanout.get(e.caller) ?? 0) + 1);
  const hub = [...fanout].sort((a, b) => b[1] - a[1])[0]?.[0] ?? svc;
  await page.goto(srv.mock ? `${srv.url}/map` : `${srv.url}/map?focus=${encodeURIComponent(hub)}`);
  await shot('map', false);

  await page.goto(`${srv.url}/status`);
  await shot('status', false);

  await page.goto(`${srv.url}/?from=2030-01-02T10:00:00Z&to=2030-01-01T10:00:00Z`);
  await shot('error-banner', false);
} finally {
  await browser.close();
  await srv.close();
}
