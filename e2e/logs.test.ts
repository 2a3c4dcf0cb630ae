// The log explorer (/app/logs/) in a real browser against the real local stack (issue #14): lines
// the test posts itself (POST /api/v1/logs, and a trace through the official OTel SDK's protobuf
// serializer to /v1/traces), so every count is exact. The search box and filters narrow the lines
// (and stay in the URL), a query that cannot parse shows the API's 400, results come newest first
// with older pages by cursor, the histogram draws the counts, a line expands to its attributes
// and links to its trace, the trace page links back to the lines of the trace and the span, and
// the live tail shows a line posted while it is on and says how many lines it skipped.
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
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
const shot = (name: string, fullPage = true) => page.screenshot({ path: path.join(SHOTS, `logs-${name}.png`), fullPage });

interface Posted {
  ts: number;
  service: string;
  level: string;
  message: string;
  trace_id?: string;
  span_id?: string;
  [attr: string]: unknown;
}
const posted: Posted[] = [];
const NOW = Date.now();
let traceId = '';
let rootSpan = '';
let dbSpan = '';

async function postLines(lines: Posted[]) {
  const body = lines.map(({ ts, ...l }) => JSON.stringify({ timestamp: ts, ...l })).join('\n');
  const res = await fetch(`${stack.url}/api/v1/logs`, { method: 'POST', headers: { authorization: `Bearer ${ingestKey}`, 'content-type': 'application/x-ndjson' }, body });
  const text = await res.text();
  expect(res.status, text).toBe(200);
  expect(JSON.parse(text)).toMatchObject({ accepted: lines.length, rejected: 0 });
}

/** shop's GET /checkout with a failing database call, made and serialized by the official SDK. */
async function postTrace(end: number) {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ resource: resourceFromAttributes({ 'service.name': 'shop' }), spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const tracer = provider.getTracer('e2e.logs');
  const root = tracer.startSpan('GET /checkout', { kind: SpanKind.SERVER, startTime: end - 300, attributes: { 'http.request.method': 'GET', 'http.route': '/checkout', 'http.response.status_code': 500 } });
  root.setStatus({ code: SpanStatusCode.ERROR, message: 'checkout failed' });
  const db = tracer.startSpan('SELECT stock', { kind: SpanKind.CLIENT, startTime: end - 200, attributes: { 'db.statement': 'SELECT count FROM stock' } }, trace.setSpan(context.active(), root));
  db.setStatus({ code: SpanStatusCode.ERROR, message: 'deadlock detected' });
  db.end(end - 50);
  root.end(end);
  await provider.forceFlush();
  const spans = exporter.getFinishedSpans();
  expect(spans).toHaveLength(2);
  traceId = root.spanContext().traceId;
  rootSpan = root.spanContext().spanId;
  dbSpan = db.spanContext().spanId;
  expect(db.spanContext().traceId).toBe(traceId);
  const res = await fetch(`${stack.url}/v1/traces`, { method: 'POST', headers: { authorization: `Bearer ${ingestKey}`, 'content-type': 'application/x-protobuf' }, body: Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!) });
  expect(res.status, await res.clone().text()).toBe(200);
}

/** The data set: in the last hour 150 api lines (1 s apart), 20 worker lines and the trace's 2; 5 worker lines 3 h ago. */
function dataSet(): Posted[] {
  const out: Posted[] = [];
  const apiStart = NOW - 20 * 60_000;
  for (let i = 0; i < 150; i++) {
    const level = i % 10 === 0 ? 'error' : i % 5 === 0 ? 'warn' : 'info';
    out.push({ ts: apiStart + i * 1000, service: 'api', level, message: level === 'error' ? `upstream timeout on request ${i}` : `request ${i} served`, 'request.n': i });
  }
  for (let i = 0; i < 20; i++) out.push({ ts: NOW - 15 * 60_000 + i * 1000, service: 'worker', level: 'debug', message: `job ${i} done` });
  for (let i = 0; i < 5; i++) out.push({ ts: NOW - 3 * 3600_000 + i * 1000, service: 'worker', level: 'info', message: `nightly backup ${i} finished` });
  out.push({ ts: NOW - 2 * 60_000, service: 'shop', level: 'info', message: 'checkout started', trace_id: traceId, span_id: rootSpan, 'user.id': 42, region: 'eu-west' });
  out.push({ ts: NOW - 2 * 60_000 + 150, service: 'shop', level: 'error', message: 'stock query failed: deadlock detected', trace_id: traceId, span_id: dbSpan, 'db.system': 'postgresql' });
  return out;
}

const inHour = () => posted.filter((l) => l.ts > NOW - 3600_000 && !l.service.startsWith('live'));
const SEVERITY: Record<string, number> = { debug: 5, info: 9, warn: 13, error: 17 };

/** The messages shown, top to bottom, once the histogram and lines for the current view are in. */
async function shown(): Promise<{ message: string; ts: number }[]> {
  return page.locator('[data-lines] [data-line]').evaluateAll((els) => els.map((e) => ({ message: e.querySelector('.log-message')!.textContent!, ts: Number(e.getAttribute('data-ts')) })));
}
const histTotal = async () => Number(await page.locator('[data-histogram]').getAttribute('data-total'));

/** Waits until the histogram counts `total` lines and the list shows `lines` (the page's first 100 at most). */
async function settled(total: number, lines = Math.min(total, 100)) {
  await page.waitForFunction(
    ([t, n]) => document.querySelector('[data-histogram]')?.getAttribute('data-total') === String(t) && document.querySelectorAll('[data-lines] [data-line]').length === n,
    [total, lines] as const,
    { timeout: 20_000 },
  );
}

async function search(fill: { q?: string; service?: string; level?: string; range?: string }) {
  if (fill.q !== undefined) await page.getByLabel('Search', { exact: true }).fill(fill.q);
  if (fill.service !== undefined) await page.getByLabel('Service').fill(fill.service);
  if (fill.level !== undefined) await page.getByLabel('Level and above').selectOption(fill.level);
  if (fill.range !== undefined) await page.getByLabel('Range').selectOption(fill.range);
  await page.getByRole('button', { name: 'Search' }).click();
}

beforeAll(async () => {
  site = await openSite();
  ({ stack, page, pageErrors } = site);
  ({ ingestKey } = await signUpWithKey(site, 'logs', 'e2e logs'));
  await postTrace(NOW - 2 * 60_000 + 300);
  posted.push(...dataSet());
  await postLines(posted);
}, 240_000);

afterAll(async () => {
  await site?.close();
}, 60_000);

describe('the log explorer in Chromium', () => {
  it('shows the last hour newest first, loads older pages by cursor, and draws the histogram of the counts', { timeout: 90_000 }, async () => {
    const expected = inHour().sort((a, b) => b.ts - a.ts);
    expect(expected).toHaveLength(172);
    await page.goto(`${stack.url}/app/logs/`);
    await settled(172);
    const first = await shown();
    expect(first.map((l) => l.message)).toEqual(expected.slice(0, 100).map((l) => l.message));
    await page.locator('[data-older]').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-lines] [data-line]').length === 172, undefined, { timeout: 20_000 });
    const all = await shown();
    expect(all.map((l) => l.message)).toEqual(expected.map((l) => l.message));
    expect(all.map((l) => l.ts)).toEqual(expected.map((l) => l.ts));
    // The last page: no cursor, no button.
    await page.locator('[data-older]').waitFor({ state: 'detached', timeout: 10_000 });

    // The tallest bar counts what was posted in its bucket, and is drawn: the canvas has the bar's colour inside it.
    const [bucketTs, count, x, y] = (await page.locator('[data-histogram]').getAttribute('data-tallest'))!.split(',').map(Number) as [number, number, number, number];
    const step = Number(await page.locator('[data-histogram]').getAttribute('data-step'));
    expect(step).toBe(60_000);
    const inBucket = expected.filter((l) => l.ts >= bucketTs && l.ts < bucketTs + step).length;
    expect(count).toBe(inBucket);
    expect(count).toBeGreaterThan(1);
    const pixel = await page.locator('[data-histogram]').evaluate((div, [px, py]) => {
      const canvas = div.querySelector('canvas')!;
      const dpr = canvas.width / canvas.getBoundingClientRect().width;
      return Array.from(canvas.getContext('2d')!.getImageData(Math.round(px! * dpr), Math.round(py! * dpr), 1, 1).data);
    }, [x, y]);
    const accent = await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--accent').trim());
    expect(`#${pixel.slice(0, 3).map((c) => c.toString(16).padStart(2, '0')).join('')}`).toBe(accent);
    await shot('01-last-hour');

    // A click on that bar narrows the range to its bucket (kept in the URL).
    await page.locator('[data-histogram]').click({ position: { x, y } });
    await settled(count);
    expect(await page.locator('[data-chip="range"]').count()).toBe(1);
    const url = new URL(page.url());
    expect([Number(url.searchParams.get('from')), Number(url.searchParams.get('to'))]).toEqual([bucketTs, bucketTs + step]);
    expect((await shown()).map((l) => l.message)).toEqual(expected.filter((l) => l.ts >= bucketTs && l.ts < bucketTs + step).map((l) => l.message));
    await page.reload();
    await settled(count);
    await page.getByRole('button', { name: 'Back to the whole range' }).click();
    await settled(172);
    expect(new URL(page.url()).search).toBe('');
    expect(pageErrors).toEqual([]);
  });

  it('narrows by words, service, level and above, range and trace id, kept in the URL', { timeout: 120_000 }, async () => {
    const hour = inHour();
    const count = (f: (l: Posted) => boolean, lines = hour) => lines.filter(f).length;
    await page.goto(`${stack.url}/app/logs/`);
    await settled(172);

    await search({ q: 'timeout' });
    await settled(count((l) => l.message.includes('timeout')));
    expect(await histTotal()).toBe(15);
    expect((await shown()).every((l) => l.message.startsWith('upstream timeout on request'))).toBe(true);
    expect(new URL(page.url()).searchParams.get('q')).toBe('timeout');

    await search({ q: '"request 14" OR "request 15"' });
    await settled(2);
    expect((await shown()).map((l) => l.message)).toEqual(['request 15 served', 'request 14 served']);

    await search({ q: '', service: 'worker' });
    await settled(20);
    expect((await shown()).every((l) => /^job \d+ done$/.test(l.message))).toBe(true);
    await search({ range: '6h' });
    await settled(25);
    expect(new URL(page.url()).searchParams.get('range')).toBe('6h');
    expect((await shown()).filter((l) => l.message.startsWith('nightly backup'))).toHaveLength(5);

    await search({ service: 'api', level: 'warn', range: '1h' });
    await settled(count((l) => l.service === 'api' && SEVERITY[l.level]! >= 13));
    expect(await histTotal()).toBe(30);
    await search({ service: '', level: 'error' });
    await settled(count((l) => l.level === 'error'));
    expect(await histTotal()).toBe(16);
    await search({ level: 'info' });
    await settled(count((l) => SEVERITY[l.level]! >= 9));
    expect(await histTotal()).toBe(152);

    // The whole state is in the URL: a reload (or a shared link) shows the same search.
    await search({ q: 'request -served', service: 'api', level: 'error' });
    await settled(15);
    expect(new URL(page.url()).search).toBe(`?q=${encodeURIComponent('request -served')}&service=api&level=error`);
    await page.reload();
    await settled(15);
    expect(await page.getByLabel('Search', { exact: true }).inputValue()).toBe('request -served');
    expect(await page.getByLabel('Level and above').inputValue()).toBe('error');

    await page.goto(`${stack.url}/app/logs/?trace_id=${traceId}`);
    await settled(2);
    expect((await shown()).map((l) => l.message)).toEqual(['stock query failed: deadlock detected', 'checkout started']);
    expect(await page.locator('[data-chip="trace"]').textContent()).toContain(traceId);
    await shot('02-trace-filter');
    expect(pageErrors).toEqual([]);
  });

  it("shows the API's 400 for a query that cannot parse, and no stale lines", { timeout: 60_000 }, async () => {
    await page.goto(`${stack.url}/app/logs/`);
    await settled(172);
    await search({ q: '"unclosed phrase' });
    const alert = page.getByRole('alert');
    await alert.waitFor({ timeout: 20_000 });
    expect(await alert.textContent()).toMatch(/^q: unclosed quote at position \d+/);
    expect(await page.locator('[data-lines] [data-line]').count()).toBe(0);
    expect(await page.locator('[data-no-lines]').count()).toBe(0);
    expect(await page.locator('[data-histogram]').getAttribute('data-total')).toBe('');
    await shot('03-query-error');
    // Fixed, the error goes.
    await search({ q: 'unclosed OR timeout' });
    await settled(15);
    expect(await page.getByRole('alert').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });

  it('expands a line to its attributes, follows its trace link to the waterfall, and comes back from the span', { timeout: 90_000 }, async () => {
    await page.goto(`${stack.url}/app/logs/?q=checkout`);
    await settled(1);
    const line = page.locator('[data-lines] [data-line]').first();
    await line.locator('.log-summary').click();
    const attrs = line.locator('[data-attributes]');
    await attrs.waitFor();
    const rows = await attrs.locator('tr').evaluateAll((trs) => trs.map((tr) => [tr.querySelector('th')?.textContent, tr.querySelector('td')?.textContent]));
    expect(rows).toEqual(expect.arrayContaining([['user.id', '42'], ['region', 'eu-west']]));
    expect(rows[0]).toEqual(['trace', `${traceId} span ${rootSpan}`]);
    expect(await line.locator('.log-summary').getAttribute('aria-expanded')).toBe('true');
    await shot('04-expanded');

    await line.locator('[data-trace-link]').click();
    await page.waitForURL(`${stack.url}/app/trace/?id=${traceId}&span=${rootSpan}`);
    const spans = page.locator('[data-waterfall] [data-span]');
    // Stored spans are written in batches after the answer: the waterfall may need a reload to have both.
    await expect.poll(async () => {
      await page.reload();
      await spans.first().waitFor({ timeout: 20_000 });
      return spans.count();
    }, { timeout: 60_000, interval: 1000 }).toBe(2);
    expect(await spans.evaluateAll((els) => els.map((e) => e.getAttribute('data-span')))).toEqual([rootSpan, dbSpan]);
    await page.locator(`[data-span-details="${rootSpan}"]`).waitFor();
    await spans.nth(1).click();
    await page.locator(`[data-span-details="${dbSpan}"]`).waitFor();
    await shot('05-trace-from-log');

    // Back: the span's logs, then the trace's.
    await page.locator('[data-logs-link="span"]').click();
    await page.waitForURL(`${stack.url}/app/logs/?trace_id=${traceId}&span_id=${dbSpan}`);
    await settled(1);
    expect((await shown()).map((l) => l.message)).toEqual(['stock query failed: deadlock detected']);
    expect(await page.locator('[data-chip="span"]').textContent()).toContain(dbSpan);
    await shot('06-logs-of-span');
    await page.goBack();
    await page.locator('[data-logs-link="trace"]').click();
    await page.waitForURL(`${stack.url}/app/logs/?trace_id=${traceId}`);
    await settled(2);
    expect(pageErrors).toEqual([]);
  });

  it('live tail: shows a line posted while it is on, not another service’s, and says how many lines it skipped', { timeout: 120_000 }, async () => {
    await page.goto(`${stack.url}/app/logs/?service=live`);
    await page.locator('[data-no-lines]').waitFor({ timeout: 20_000 });
    await page.locator('[data-live-toggle]').check();
    await page.locator('.live-dot[data-status="open"]').waitFor({ timeout: 20_000 });
    // One request with a line of another service first: the socket gets one message, filtered.
    const t0 = Date.now();
    const mine = { ts: t0, service: 'live', level: 'info', message: 'live line arrived' };
    posted.push({ ts: t0, service: 'live-other', level: 'info', message: 'other service line' }, mine);
    await postLines(posted.slice(-2));
    const acked = Date.now();
    await page.locator('[data-lines] [data-line]').first().waitFor({ timeout: 10_000 });
    // Not a timed assertion (a loaded machine); bench:logs measures the tail's p99.
    console.error(`[e2e] live line shown ${Date.now() - acked} ms after its POST was answered`);
    expect((await shown()).map((l) => l.message)).toEqual(['live line arrived']);
    await shot('07-live-tail');

    // 1,200 lines in one request: past the socket's 1,000 a second, the rest are counted as skipped.
    const t1 = Date.now() + 1;
    const burst = Array.from({ length: 1200 }, (_, i) => ({ ts: t1 + i, service: 'live', level: 'info', message: `burst line ${i}` }));
    await postLines(burst);
    const notice = page.locator('[data-skipped]');
    await notice.waitFor({ timeout: 20_000 });
    const received = async () => (await shown()).filter((l) => l.message.startsWith('burst line')).length;
    await expect.poll(async () => (await received()) + Number(await notice.getAttribute('data-skipped')), { timeout: 20_000 }).toBe(1200);
    const skipped = Number(await notice.getAttribute('data-skipped'));
    expect(skipped).toBeGreaterThan(0);
    expect(await notice.textContent()).toContain(`skipped ${skipped} lines`);
    await shot('08-live-skipped', false); // a thousand lines: the top of the page
    // "search them" finds the skipped lines in the store.
    await notice.getByRole('button', { name: 'search them' }).click();
    await settled(skipped, Math.min(skipped, 100));
    expect(await page.locator('[data-chip="range"]').count()).toBe(1);
    expect(pageErrors).toEqual([]);
  });
});
