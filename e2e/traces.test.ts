// Traces in a real browser against the real local stack (issue #14): a trace of two services
// posted as OTLP/JSON, its waterfall (tree order, service colours, an error marked), a span's
// attributes and events, the links to its logs; the trace search listing it and opening it; the
// service page's latency chart with exemplar dots, one clicked on the canvas opening its trace;
// the route table's link to the route's traces.
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../scripts/lib/stack.ts';
import { openSite, SHOTS, signUpWithKey, type Site } from './setup.ts';

let site: Site;
let stack: Stack;
let page: Page;
let ingestKey = '';
let pageErrors: string[] = [];

const hex = (n: number) => Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => b.toString(16).padStart(2, '0')).join('');
const TRACE = hex(16);
const ROOT = hex(8);
const CALL = hex(8);
const DB = hex(8);

const kv = (o: Record<string, string | number>) => Object.entries(o).map(([key, v]) => ({ key, value: typeof v === 'number' ? { intValue: String(v) } : { stringValue: v } }));
const ns = (ms: number) => String(BigInt(Math.round(ms * 1000)) * 1000n);

/** shop (GET /checkout, 300 ms) -> client call -> inventory's server span with a failing query event. */
function traceBody(end: number) {
  const span = (spanId: string, parent: string, name: string, kind: number, startMs: number, endMs: number, attrs: Record<string, string | number>, extra: object = {}) => ({
    traceId: TRACE,
    spanId,
    parentSpanId: parent,
    name,
    kind,
    startTimeUnixNano: ns(startMs),
    endTimeUnixNano: ns(endMs),
    attributes: kv(attrs),
    status: {},
    ...extra,
  });
  return {
    resourceSpans: [
      {
        resource: { attributes: kv({ 'service.name': 'shop' }) },
        scopeSpans: [
          {
            scope: { name: 'e2e' },
            spans: [
              span(ROOT, '', 'GET /checkout', 2, end - 300, end, { 'http.request.method': 'GET', 'http.route': '/checkout', 'http.response.status_code': 200 }),
              span(CALL, ROOT, 'GET inventory', 3, end - 250, end - 50, { 'http.request.method': 'GET' }),
            ],
          },
        ],
      },
      {
        resource: { attributes: kv({ 'service.name': 'inventory' }) },
        scopeSpans: [
          {
            scope: { name: 'e2e' },
            spans: [
              span(DB, CALL, 'GET /stock', 2, end - 240, end - 60, { 'http.request.method': 'GET', 'http.route': '/stock', 'http.response.status_code': 503, 'db.statement': 'SELECT count FROM stock' }, {
                events: [{ timeUnixNano: ns(end - 100), name: 'query.failed', attributes: kv({ 'db.error': 'deadlock detected' }) }],
                status: { code: 2, message: 'stock unavailable' },
              }),
            ],
          },
        ],
      },
    ],
  };
}

async function post(body: unknown) {
  const res = await fetch(`${stack.url}/v1/traces`, { method: 'POST', headers: { authorization: `Bearer ${ingestKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status, await res.clone().text()).toBe(200);
}

beforeAll(async () => {
  site = await openSite();
  ({ stack, page, pageErrors } = site);
  ({ ingestKey } = await signUpWithKey(site, 'traces', 'e2e traces'));
  await post(traceBody(Date.now() - 5000));
}, 240_000);

afterAll(async () => {
  await site?.close();
}, 60_000);

describe('traces in Chromium', () => {
  it("draws the trace's waterfall across services and shows a span's attributes, events and log links", async () => {
    await page.goto(`${stack.url}/app/trace/?id=${TRACE}`);
    const rows = page.locator('[data-waterfall] [data-span]');
    await rows.nth(2).waitFor({ timeout: 20_000 });
    expect(await rows.evaluateAll((els) => els.map((e) => [e.getAttribute('data-span'), e.getAttribute('data-depth')]))).toEqual([
      [ROOT, '0'],
      [CALL, '1'],
      [DB, '2'],
    ]);
    expect(await page.locator('[data-legend]').textContent()).toMatch(/shop.*inventory/);
    // Bars along the trace: the root spans it all; the failing span starts 60 ms in and is outlined.
    const bars = await page.locator('[data-waterfall] [data-bar]').evaluateAll((els) => els.map((e) => ({ left: (e as HTMLElement).style.left, bg: getComputedStyle(e).backgroundColor, outline: getComputedStyle(e).outlineStyle })));
    expect(parseFloat(bars[0]!.left)).toBe(0);
    expect(parseFloat(bars[2]!.left)).toBeCloseTo(20, 5);
    expect(bars[0]!.bg).not.toBe(bars[2]!.bg); // one colour per service
    expect(bars[0]!.bg).toBe(bars[1]!.bg);
    expect(bars[2]!.outline).toBe('solid');
    await rows.nth(2).click();
    const details = page.locator(`[data-span-details="${DB}"]`);
    await details.waitFor();
    expect(await details.textContent()).toContain('SELECT count FROM stock');
    expect(await details.locator('[data-events]').textContent()).toMatch(/query\.failed[\s\S]*deadlock detected/);
    expect(await details.textContent()).toContain('stock unavailable');
    expect(await page.locator('[data-logs-link="span"]').getAttribute('href')).toBe(`/app/logs/?trace_id=${TRACE}&span_id=${DB}`);
    expect(await page.locator('[data-logs-link="trace"]').getAttribute('href')).toBe(`/app/logs/?trace_id=${TRACE}`);
    expect(new URL(page.url()).searchParams.get('span')).toBe(DB);
    await page.screenshot({ path: path.join(SHOTS, 'trace-waterfall.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it('lists the trace in the search, filtered to errors, and opens it', async () => {
    await page.goto(`${stack.url}/app/traces/?service=inventory&error=true`);
    const row = page.locator(`[data-trace-results] tr[data-trace="${TRACE}"]`);
    await row.waitFor({ timeout: 20_000 });
    expect(await page.locator('[data-trace-results] tbody tr').count()).toBe(1);
    await row.getByRole('link').click();
    await page.waitForURL(/\/app\/trace\/\?id=/);
    await page.locator(`[data-span-details="${DB}"]`).waitFor();
    expect(pageErrors).toEqual([]);
  });

  it("opens a trace from a dot of the service's latency chart, and the route table links to its traces", async () => {
    const from = Date.now() - 10 * 60_000;
    await page.goto(`${stack.url}/app/service/?name=shop&from=${from}&to=${Date.now() + 60_000}`);
    const chart = page.locator('[data-chart="latency"]');
    await page.waitForFunction(() => Number(document.querySelector('[data-chart="latency"]')?.getAttribute('data-dots') ?? 0) > 0, undefined, { timeout: 20_000 });
    const [x, y] = (await chart.getAttribute('data-first-dot'))!.split(',').map(Number);
    await chart.click({ position: { x: x!, y: y! } });
    await page.waitForURL(new RegExp(`/app/trace/\\?id=${TRACE}`), { timeout: 10_000 });
    await page.locator('[data-waterfall] [data-span]').first().waitFor();

    await page.goto(`${stack.url}/app/service/?name=shop&from=${from}&to=${Date.now() + 60_000}`);
    await page.locator('[data-route-table] [data-route-traces]').first().click();
    await page.waitForURL(/\/app\/traces\/\?service=shop&route=/);
    await page.locator(`[data-trace-results] tr[data-trace="${TRACE}"]`).waitFor({ timeout: 20_000 });
    expect(pageErrors).toEqual([]);
  });
});
