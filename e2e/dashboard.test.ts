// The dashboard in a real browser against the real local stack (Postgres, workerd, the built
// site): sign up (the form, then the emailed link with the password), create a key, report a
// host, see the overview, open the host, watch a point arrive live, change the range, create a
// rule, see it fire. Screenshots go to e2e/screenshots/.
import path from 'node:path';
import pg from 'pg';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../scripts/lib/stack.ts';
import { emailedLink, postSamples, sampleAt } from './browser.ts';
import { openSite, SHOTS, type Site } from './setup.ts';

const HOST = 'e2e-web-1';

let site: Site;
let stack: Stack;
let dataDir: string;
let ctx: BrowserContext;
let page: Page;
let ingestKey = '';
let pageErrors: string[] = [];
// Each new sample is newer than every one before (alerts and live pushes follow the newest).
let lastTs = 0;
const nextTs = () => (lastTs = Math.max(Math.ceil(Date.now() / 5000) * 5000, lastTs + 5000));

const shot = (name: string, p: Page = page) => p.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
const historyLoaded = (p: Page = page) => p.locator('[data-history-loaded="all"]').waitFor({ timeout: 15_000 });
const chartAttr = (id: string, attr: string) => page.locator(`[data-chart="${id}"]`).getAttribute(attr);

beforeAll(async () => {
  site = await openSite();
  ({ stack, dataDir, ctx, page, pageErrors } = site);
}, 240_000);

afterAll(async () => {
  await site?.close();
}, 60_000);

describe('the dashboard in Chromium', () => {
  it('signs up and lands on an empty overview', async () => {
    await page.goto(`${stack.url}/`);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toContain('Every server');
    await shot('01-landing');
    await page.getByRole('link', { name: 'Sign up' }).first().click();
    const email = `e2e-${Date.now()}@pulse.test`;
    await page.getByLabel('Email').fill(email);
    await page.getByLabel(/^Password/).fill('correct horse battery');
    await page.getByLabel(/Organization/).fill('E2E Org');
    await shot('02-signup');
    await page.getByRole('button', { name: 'Sign up' }).click();
    // No account and no session yet: the emailed link and the password finish the sign-up.
    await page.locator('[data-signup-sent]').waitFor();
    expect(await page.locator('[data-signup-sent]').textContent()).toContain(email);
    await shot('02b-signup-check-email');
    await page.goto(await emailedLink(dataDir, email, '/activate'));
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(/\/app\/$/);
    await page.getByText('No hosts yet').waitFor();
    await shot('03-overview-empty');
  });

  it('creates an ingest key shown once with the install one-liner', async () => {
    await page.goto(`${stack.url}/app/settings/?tab=keys`);
    await page.getByLabel('Name').fill('e2e agent');
    await page.getByRole('button', { name: 'Create key' }).click();
    ingestKey = (await page.locator('[data-created-key]').textContent())!.trim();
    expect(ingestKey).toMatch(/^mk_ingest_[A-Za-z0-9]{32}$/);
    expect(await page.locator('[data-install-command]').textContent()).toBe(`curl -fsSL ${stack.url}/install.sh | sh -s -- --key ${ingestKey}`);
    await page.locator('[data-key="e2e agent"]').waitFor();
    await shot('04-key-created');
  });

  it('shows a reporting host on the overview with its current values', async () => {
    const now = Math.floor(Date.now() / 5000) * 5000;
    // Ten minutes of history, every 5 s, posted with the key the page just created.
    const samples = await Promise.all(Array.from({ length: 120 }, (_, i) => sampleAt(now - (120 - i) * 5000, 20 + 10 * Math.sin(i / 10))));
    lastTs = now - 5000;
    await postSamples(stack.url, ingestKey, HOST, samples);
    await page.goto(`${stack.url}/app/`);
    const row = page.locator(`tr[data-host="${HOST}"]`);
    await row.waitFor();
    await expect.poll(() => row.locator('[data-metric="cpu.usage.total"] [data-value]').textContent(), { timeout: 15_000 }).toMatch(/%$/);
    await expect.poll(() => row.locator('svg.spark').first().getAttribute('data-points'), { timeout: 15_000 }).not.toBeNull();
    expect(await row.locator('[data-status]').getAttribute('data-status')).toBe('ok');
    await shot('05-overview');
  });

  it('opens the host and draws a point that arrives live', async () => {
    await page.locator(`tr[data-host="${HOST}"] a`).first().click();
    await page.waitForURL(/\/app\/host\/\?id=e2e-web-1/);
    await expect.poll(async () => Number(await chartAttr('cpu-total', 'data-points')), { timeout: 15_000 }).toBeGreaterThan(100);
    await page.locator('[data-live="open"]').waitFor({ timeout: 15_000 });
    await historyLoaded();
    // Charts past the first group are created over idle periods after it (site/src/lib/defer.ts),
    // so on a busy machine they may still be coming when the history is in.
    for (const id of ['mem-composition', 'disk-usage', 'net-traffic']) await expect.poll(async () => Number(await chartAttr(id, 'data-points')), { timeout: 15_000 }).toBeGreaterThan(100);
    await shot('06-host');
    const ts = nextTs();
    await postSamples(stack.url, ingestKey, HOST, [await sampleAt(ts, 42)]);
    await expect.poll(async () => Number(await chartAttr('cpu-total', 'data-last-ts')), { timeout: 5_000 }).toBe(ts);
    await shot('07-host-live-point');
  });

  it('refills the gap after a dropped socket, and renders nothing while the tab is hidden', async () => {
    // Every live socket of the page goes through this proxy, so the test can cut it.
    const proxies: { close(): Promise<void> }[] = [];
    await page.routeWebSocket(/\/live$/, (ws) => {
      ws.connectToServer();
      proxies.push(ws);
    });
    await page.reload();
    await page.locator('[data-live="open"]').waitFor({ timeout: 15_000 });
    await historyLoaded();
    const before = Number(await chartAttr('cpu-total', 'data-points'));
    await Promise.all(proxies.map((p) => p.close()));
    await page.locator('[data-live="open"]').waitFor({ state: 'detached', timeout: 5_000 });
    // Two samples while disconnected: the reconnect's hello carries only the newest, so the
    // older one reaches the chart only through the history API (the gap fill).
    const t = nextTs();
    await postSamples(stack.url, ingestKey, HOST, [await sampleAt(t, 31), await sampleAt(nextTs(), 32)]);
    await page.locator('[data-live="open"]').waitFor({ timeout: 15_000 });
    await expect.poll(async () => Number(await chartAttr('cpu-total', 'data-last-ts')), { timeout: 10_000 }).toBe(t + 5000);
    // Four lines on the chart (total, user, system, iowait), two new points each.
    await expect.poll(async () => Number(await chartAttr('cpu-total', 'data-points')), { timeout: 10_000 }).toBe(before + 8);

    // Hidden tab: the sample is received but not drawn until the tab is visible again.
    const setVisibility = (state: 'hidden' | 'visible') =>
      page.evaluate((s) => {
        Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => s });
        document.dispatchEvent(new Event('visibilitychange'));
      }, state);
    await setVisibility('hidden');
    const t2 = nextTs();
    await postSamples(stack.url, ingestKey, HOST, [await sampleAt(t2, 33)]);
    await page.waitForTimeout(1500); // well past the sub-second live path
    expect(Number(await chartAttr('cpu-total', 'data-last-ts'))).toBe(t + 5000);
    await setVisibility('visible');
    await expect.poll(async () => Number(await chartAttr('cpu-total', 'data-last-ts')), { timeout: 5_000 }).toBe(t2);
    await page.unrouteAll();
  });

  it('changes the range, kept in the URL; a drag across a chart selects a custom range', async () => {
    const box = (await page.locator('[data-chart="cpu-total"]').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.55, box.y + box.height * 0.6);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.75, box.y + box.height * 0.6, { steps: 8 });
    await page.mouse.up();
    await page.waitForURL(/from=\d+&to=\d+/);
    const url = new URL(page.url());
    const span = Number(url.searchParams.get('to')) - Number(url.searchParams.get('from'));
    expect(span).toBeGreaterThan(60_000);
    expect(span).toBeLessThan(3600_000 * 0.5);
    expect(await page.getByRole('button', { name: 'Custom' }).getAttribute('aria-pressed')).toBe('true');
    await historyLoaded();
    await page.getByRole('button', { name: '24h', exact: true }).click();
    await page.waitForURL(/range=24h/);
    await expect.poll(async () => Number(await chartAttr('cpu-total', 'data-points')), { timeout: 15_000 }).toBeGreaterThan(0);
    await page.reload();
    expect(await page.getByRole('button', { name: '24h', exact: true }).getAttribute('aria-pressed')).toBe('true');
    await expect.poll(async () => Number(await chartAttr('cpu-total', 'data-points')), { timeout: 15_000 }).toBeGreaterThan(0);
    await historyLoaded();
    await shot('08-host-24h');
  });

  it('creates a rule with a preview, then sees it fire', async () => {
    await page.goto(`${stack.url}/app/alerts/?tab=rules`);
    await page.getByRole('button', { name: 'New rule' }).click();
    await page.getByLabel('Name').fill('e2e cpu high');
    await page.getByLabel('host', { exact: true }).fill(HOST);
    await page.getByLabel('Threshold').fill('90');
    await page.getByLabel('Severity').selectOption('CRITICAL');
    await expect.poll(() => page.locator('[data-preview-count]').getAttribute('data-preview-count'), { timeout: 10_000 }).toBe('1');
    await shot('09-rule-editor');
    await page.getByRole('button', { name: 'Create rule' }).click();
    await page.locator('[data-rule="e2e cpu high"]').waitFor();
    await postSamples(stack.url, ingestKey, HOST, [await sampleAt(nextTs(), 99)]);
    await page.goto(`${stack.url}/app/alerts/?tab=firing`);
    await expect
      .poll(async () => {
        await page.getByRole('button', { name: 'Refresh' }).click();
        return page.locator('[data-alert="e2e cpu high"]').count();
      }, { timeout: 15_000, interval: 500 })
      .toBeGreaterThan(0);
    await shot('10-alert-firing');
    await page.goto(`${stack.url}/app/`);
    await expect.poll(() => page.locator(`tr[data-host="${HOST}"] [data-status]`).getAttribute('data-status'), { timeout: 10_000 }).toBe('critical');
    await expect.poll(() => page.locator(`tr[data-host="${HOST}"] [data-metric="cpu.usage.total"] [data-value]`).textContent(), { timeout: 10_000 }).toMatch(/%$/);
    await shot('11-overview-critical');
  });

  it('works on a phone in dark mode, and the pages raised no script errors', async () => {
    const phone = await ctx.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.emulateMedia({ colorScheme: 'dark' });
    const res = await phone.goto(`${stack.url}/app/host/?id=${HOST}`);
    // The page runs under the strict CSP (inline scripts by hash only) and still works.
    expect(res!.headers()['content-security-policy']).toMatch(/script-src 'self' 'sha256-/);
    await historyLoaded(phone);
    const bg = await phone.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(bg).toBe('rgb(15, 18, 22)');
    // No horizontal scrolling on a phone.
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot('12-host-phone-dark', phone);
    await phone.close();
    expect(pageErrors).toEqual([]);
  });
});

// docs/limits.md, "The client address": under `wrangler dev` the runtime gives a request without
// CF-Connecting-IP the connection's address, so every local client shares one per-address count,
// and it keeps a CF-Connecting-IP the client sends. (Workers tests, which call the worker
// directly, show the opposite: no header, no per-address count.)
describe('the local stack (wrangler dev)', () => {
  const signup = (email: string, headers: Record<string, string> = {}) =>
    fetch(`${stack.url}/api/v1/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ email, password: 'correct horse battery' }),
    });

  it('counts every local client as 127.0.0.1, and believes a CF-Connecting-IP the client sends', async () => {
    const { RATE_LIMITS } = await import('../worker/limits.ts');
    const rule = RATE_LIMITS.signupIp;
    // Distinct emails, so only a per-address count can refuse. A window edge on the way restarts
    // the count once, so within twice the limit plus one a refusal must come.
    const codes: number[] = [];
    let refused: Response | null = null;
    for (let i = 0; i < 2 * rule.limit + 1 && !refused; i++) {
      const res = await signup(`e2e-local-${i}-${Date.now()}@pulse.test`);
      codes.push(res.status);
      if (res.status === 429) refused = res;
      else await res.body?.cancel();
    }
    expect(refused, `statuses: ${codes.join(',')}`).not.toBeNull();
    expect(((await refused!.json()) as { error: { message: string } }).error.message).toContain(`per ${rule.per}`);
    expect(codes.slice(0, -1).every((s) => s === 202), codes.join(',')).toBe(true);
    // The same machine with a header of its own is another "address" locally.
    const forged = await signup(`e2e-local-forged-${Date.now()}@pulse.test`, { 'cf-connecting-ip': '203.0.113.9' });
    expect(forged.status).toBe(202);
    // The address the worker saw for the browser's session (sessions.ip is CF-Connecting-IP).
    const db = new pg.Client({ connectionString: stack.databaseUrl });
    await db.connect();
    try {
      const rows = (await db.query<{ ip: string | null }>('SELECT DISTINCT ip FROM sessions')).rows;
      expect(rows.map((r) => r.ip)).toEqual(['127.0.0.1']);
    } finally {
      await db.end();
    }
  });
});
