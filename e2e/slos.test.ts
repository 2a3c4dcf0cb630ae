// The #13 dashboard in a real browser against the real local stack: an alert arrives on the
// home page's live stream without a reload (a service rule breached by spans posted meanwhile),
// and an SLO created from the SLO page is listed with its live status, which moves when traffic
// arrives, and its own page draws the SLI and budget over the window.
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../scripts/lib/stack.ts';
import { openSite, SHOTS, signUpWithKey, type Site } from './setup.ts';
import { otlpTraces, postTraces, type E2eSpan } from './otlp.ts';

const SERVICE = 'shop';
const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
let site: Site;
let stack: Stack;
let page: Page;
let ingestKey = '';
let csrf = '';
let pageErrors: string[] = [];

/** `n` requests to /pay ending now, the first `errors` of them 500s. */
const spans = (n: number, errors: number): E2eSpan[] => Array.from({ length: n }, (_, i) => ({ route: '/pay', method: 'POST', status: i < errors ? 500 : 200, durationMs: 20, end: Date.now() - 200 }));
const call = (method: 'post' | 'get', path: string, data?: unknown) => page.request[method](`${stack.url}${path}`, { ...(data !== undefined && { data }), headers: { 'x-csrf-token': csrf, origin: stack.url } });

beforeAll(async () => {
  site = await openSite();
  ({ stack, page, pageErrors } = site);
  ({ ingestKey, csrf } = await signUpWithKey(site, 'slo', 'e2e otel'));
  // Healthy traffic first, so the service exists for the form's service list.
  await postTraces(stack.url, ingestKey, otlpTraces(SERVICE, spans(20, 0)));
}, 240_000);

afterAll(async () => {
  await site?.close();
}, 60_000);

describe('SLO and alert dashboard', () => {
  it('an alert arrives on the home stream without a reload', async () => {
    const rule = await call('post', '/api/v1/alerts/rules', { name: 'e2e pay errors', metric: 'service.error_rate', matchers: { service: SERVICE }, comparator: '>', threshold: 0.1, window: 5000, severity: 'CRITICAL' });
    expect(rule.status()).toBe(201);
    await page.goto(`${stack.url}/app/`);
    await page.locator('[data-stream="open"]').waitFor({ timeout: 20_000 });
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 1));
    await postTraces(stack.url, ingestKey, otlpTraces(SERVICE, spans(10, 10)));
    const item = page.locator('[data-stream] li[data-alert="e2e pay errors"]');
    await item.waitFor({ timeout: 10_000 }).catch(async (err: unknown) => {
      throw new Error(`${String(err)}; GET /api/v1/alerts: ${await (await call('get', '/api/v1/alerts')).text()}`);
    });
    expect(await item.getAttribute('data-status')).toBe('FIRING');
    expect(await item.textContent()).toContain(SERVICE);
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(1); // same page, no reload
    // The firing list below follows the stream (refetched when an alert changes).
    await page.locator('[aria-labelledby="firing-h"] li[data-alert="e2e pay errors"]').waitFor({ timeout: 10_000 });
    await shot('slo-01-home-stream');
  });

  it('creates an SLO on the SLO page, whose live status moves with traffic, and opens its page', async () => {
    await page.goto(`${stack.url}/app/slos/`);
    await page.getByRole('button', { name: 'New SLO' }).click();
    const form = page.locator('form[aria-label="New SLO"]');
    await form.getByLabel('Name', { exact: true }).fill('Pay availability');
    await form.getByLabel('Service', { exact: true }).fill(SERVICE);
    await form.getByLabel('Objective (%)').fill('99');
    await form.getByRole('button', { name: 'Create SLO' }).click();
    const row = page.locator('tr[data-slo="Pay availability"]');
    await row.waitFor({ timeout: 10_000 });
    await page.waitForFunction(() => document.querySelector('tr[data-slo="Pay availability"]')?.getAttribute('data-status') === 'no_data', null, { timeout: 10_000 });
    // Traffic after the SLO exists: half errors spend a 1 % budget at once, pushed live.
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 2));
    await postTraces(stack.url, ingestKey, otlpTraces(SERVICE, spans(20, 10)));
    await page.waitForFunction(() => document.querySelector('tr[data-slo="Pay availability"]')?.getAttribute('data-status') === 'exhausted', null, { timeout: 10_000 });
    expect(await row.locator('[data-sli]').textContent()).toBe('50.000%');
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(2);
    await shot('slo-02-slos');
    await row.getByRole('link', { name: 'Pay availability' }).click();
    await page.locator('[data-chart="slo"]').waitFor({ timeout: 10_000 });
    await expect.poll(async () => Number(await page.locator('[data-chart="slo"]').getAttribute('data-points')), { timeout: 10_000 }).toBeGreaterThan(0);
    expect(await page.locator('[data-slo-status]').getAttribute('data-slo-status')).toBe('exhausted');
    await shot('slo-03-slo-page');
  });

  it('the rule editor previews a service rule against live signals before it is saved', async () => {
    await page.goto(`${stack.url}/app/alerts/?tab=rules`);
    await page.getByRole('button', { name: 'New rule' }).click();
    const form = page.locator('form[aria-label="New rule"]');
    await form.getByLabel('Name', { exact: true }).fill('e2e pay error rate');
    await form.getByLabel('Rule kind').selectOption('service');
    await form.getByLabel('Signal').selectOption('service.error_rate');
    await form.getByLabel('Window (seconds)').fill('300');
    await form.getByLabel('service', { exact: true }).fill(SERVICE);
    await form.getByLabel('Threshold').fill('0.1');
    // Half of the last minutes' requests failed: the one series (the whole service) would fire.
    await expect.poll(() => page.locator('[data-preview-firing]').getAttribute('data-preview-firing'), { timeout: 10_000 }).toBe('1');
    expect(await page.locator('[data-preview-count]').getAttribute('data-preview-count')).toBe('1');
    await form.getByLabel('Threshold').fill('0.9');
    await expect.poll(() => page.locator('[data-preview-firing]').getAttribute('data-preview-firing'), { timeout: 10_000 }).toBe('0');
    await shot('slo-04-rule-editor');
    await form.getByRole('button', { name: 'Create rule' }).click();
    const row = page.locator('[data-rule="e2e pay error rate"]');
    await row.waitFor({ timeout: 10_000 });
    expect(await row.textContent()).toContain(`service.error_rate service=${SERVICE} over 5 m > 0.9`);
    expect(pageErrors).toEqual([]);
  });

  it('the rule editor previews a burn-rate rule on the SLO, and takes anomaly and forecast rules', async () => {
    await page.goto(`${stack.url}/app/alerts/?tab=rules`);
    await page.getByRole('button', { name: 'New rule' }).click();
    const form = page.locator('form[aria-label="New rule"]');
    await form.getByLabel('Name', { exact: true }).fill('e2e pay fast burn');
    // The workbook's fast page (14.4x over 1 h and 5 m) on the SLO made above, half of whose requests failed: 50x.
    await form.getByLabel('Rule kind').selectOption('burn_rate');
    expect(await form.getByLabel('SLO').locator('option:checked').textContent()).toBe(`Pay availability (${SERVICE})`);
    await expect.poll(() => page.locator('[data-preview-firing]').getAttribute('data-preview-firing'), { timeout: 10_000 }).toBe('1');
    await form.getByRole('button', { name: 'Create rule' }).click();
    await page.locator('[data-rule="e2e pay fast burn"]').waitFor({ timeout: 10_000 });
    expect(await page.locator('[data-rule="e2e pay fast burn"]').textContent()).toContain('burn rate of Pay availability > 14.4x over 1 h and 5 m');
    // Anomaly and forecast rules: the service is still in its anomaly warm-up and no host sends a
    // disk, so their previews select nothing (and name no bad field), and both save.
    for (const [kind, name, line] of [
      ['anomaly', 'e2e pay odd', `|z| of service.latency.p95 service=${SERVICE} over 5 m >= 3`],
      ['forecast', 'e2e disk full soon', 'disk.usage.percent trend >= 95 within 4 h (fitted over 1 h)'],
    ] as const) {
      await page.getByRole('button', { name: 'New rule' }).click();
      await form.getByLabel('Name', { exact: true }).fill(name);
      await form.getByLabel('Rule kind').selectOption(kind);
      if (kind === 'anomaly') await form.getByLabel('service', { exact: true }).fill(SERVICE);
      await page.getByText('No series match now').waitFor({ timeout: 10_000 });
      await form.getByRole('button', { name: 'Create rule' }).click();
      const row = page.locator(`[data-rule="${name}"]`);
      await row.waitFor({ timeout: 10_000 });
      expect(await row.textContent()).toContain(line);
    }
    await shot('slo-05-rule-kinds');
    expect(pageErrors).toEqual([]);
  });
});
