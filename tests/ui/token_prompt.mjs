#!/usr/bin/env node
// The UI against a `loupe server` that has a token: it asks once, keeps the
// token for the tab, sends it with every API call, and asks again in a new
// tab or after a wrong token.
//   node tests/ui/token_prompt.mjs --url http://127.0.0.1:PORT --token TOKEN
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { argUrl, launch } from './browser.mjs';

const url = argUrl();
const token = process.argv[process.argv.indexOf('--token') + 1];
let browser;

async function openTab() {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  const sent = [];
  page.on('request', (r) => {
    if (r.url().includes('/api/v1/')) sent.push(r.headers()['authorization'] || '');
  });
  return { page, sent };
}

async function answer(page, value) {
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  await dialog.getByLabel('Access token').fill(value);
  const reply = page.waitForResponse((r) => r.url().includes('/api/v1/') && r.request().method() === 'GET');
  await dialog.getByRole('button', { name: 'Open Loupe' }).click();
  return (await reply).status();
}

describe('access token prompt', { timeout: 120_000 }, () => {
  before(async () => {
    assert.ok(url && token, 'usage: token_prompt.mjs --url URL --token TOKEN');
    browser = await launch();
  });
  after(async () => browser?.close());

  it('asks, refuses a wrong token, then keeps the right one for the tab', async () => {
    const { page, sent } = await openTab();
    await page.goto(url);
    assert.equal(await answer(page, 'not-the-token'), 401);
    assert.equal(await answer(page, token), 200);
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    assert.ok(sent.includes(`Bearer ${token}`), 'API calls carry the token');

    await page.reload();
    await page.waitForResponse((r) => r.url().includes('/api/v1/services') && r.status() === 200);
    assert.equal(await page.getByRole('dialog').count(), 0, 'no prompt after a reload of the same tab');
  });

  it('asks again in a new tab (sessionStorage is per tab)', async () => {
    const { page } = await openTab();
    await page.goto(url);
    await page.getByRole('dialog').waitFor();
  });
});
