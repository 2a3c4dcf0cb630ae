// GET /api/v1/logs/live through the real worker and the organization's tail object: filtered
// lines as they are stored, skipped counts past the per-socket rate, both socket modes, the
// origin and subscriber rules, tenant isolation.
import { SELF } from 'cloudflare:test';
import { afterEach, describe, expect, it } from 'vitest';
import { LogTailObject } from '../../../durable-objects/log-tail.ts';
import { DEFAULT_LIVE_OPTIONS } from '../../../durable-objects/live-subscribers.ts';
import { LOG_LIMITS, LOG_TAIL_CLOSE, type LogTailMessage } from '../../../protocol/logs.ts';
import { BASE, seedTenant } from '../../../test/helpers.ts';
import { LiveClient } from '../../../test/live-client.ts';
import { postShipperLogs } from '../../../test/logs.ts';

const open = (query: string, headers: Record<string, string>) => SELF.fetch(`${BASE}/api/v1/logs/live${query}`, { headers: { upgrade: 'websocket', ...headers } });

async function tail(key: string, query = ''): Promise<LiveClient<LogTailMessage>> {
  const res = await open(query, { authorization: `Bearer ${key}` });
  if (res.status !== 101 || !res.webSocket) throw new Error(`upgrade failed: ${res.status} ${await res.text()}`);
  const c = new LiveClient<LogTailMessage>(res.webSocket);
  expect((await c.next()).type).toBe('hello');
  return c;
}

const ndjson = (records: object[]) => records.map((r) => JSON.stringify(r)).join('\n');

afterEach(() => {
  LogTailObject.liveOptions = { ...DEFAULT_LIVE_OPTIONS };
});

describe.each([true, false])('GET /api/v1/logs/live (hibernate: %s)', (hibernate) => {
  it('pushes each stored batch with only the lines the filter matches, in order', async () => {
    LogTailObject.liveOptions = { ...DEFAULT_LIVE_OPTIONS, hibernate };
    const { ingestKey, readKey } = await seedTenant();
    const all = await tail(readKey);
    const errors = await tail(readKey, '?service=api&level=error&q=' + encodeURIComponent('db -retry'));
    const body = ndjson([
      { msg: 'db down', level: 'error', service: 'api' },
      { msg: 'db down, will retry', level: 'error', service: 'api' },
      { msg: 'db slow', level: 'warn', service: 'api' },
      { msg: 'db down', level: 'fatal', service: 'web' },
      { msg: 'db gone', level: 'fatal', service: 'api' },
    ]);
    expect((await postShipperLogs(ingestKey, body)).status).toBe(200);
    const everything = await all.next();
    expect(everything.type).toBe('lines');
    if (everything.type !== 'lines') return;
    expect(everything.lines.map((l) => l.message)).toEqual(['db down', 'db down, will retry', 'db slow', 'db down', 'db gone']);
    const matched = await errors.next();
    expect(matched).toMatchObject({ type: 'lines', lines: [{ message: 'db down', service: 'api', severity: 17, level: 'error' }, { message: 'db gone', severity: 21 }] });
    // A batch nothing matches sends that socket nothing.
    expect((await postShipperLogs(ingestKey, ndjson([{ msg: 'fine', level: 'info', service: 'api' }]))).status).toBe(200);
    expect((await all.next()).type).toBe('lines');
    await new Promise((r) => setTimeout(r, 200));
    expect(errors.pending()).toBe(0);
    all.close();
    errors.close();
  });
});

describe('GET /api/v1/logs/live', () => {
  it(`sends at most ${LOG_LIMITS.maxTailLinesPerSecond} lines a second per socket and says how many it skipped, with their times`, async () => {
    const { ingestKey, readKey } = await seedTenant();
    const c = await tail(readKey, '?service=flood');
    const t0 = Date.now() - 60_000;
    const n = LOG_LIMITS.maxTailLinesPerSecond + 250;
    const lines = Array.from({ length: n }, (_, i) => ({ time: (t0 + i) / 1000, msg: `line ${i}`, service: 'flood' }));
    expect((await postShipperLogs(ingestKey, ndjson(lines))).status).toBe(200);
    const sent = await c.next();
    expect(sent.type).toBe('lines');
    if (sent.type === 'lines') expect(sent.lines).toHaveLength(LOG_LIMITS.maxTailLinesPerSecond);
    const skipped = await c.next();
    expect(skipped).toEqual({ type: 'skipped', count: 250, from: t0 + LOG_LIMITS.maxTailLinesPerSecond, to: t0 + n - 1 });
    // The budget is per second: a second later lines flow again.
    await new Promise((r) => setTimeout(r, 1100));
    expect((await postShipperLogs(ingestKey, ndjson([{ msg: 'after the pause', service: 'flood' }]))).status).toBe(200);
    expect(await c.next()).toMatchObject({ type: 'lines', lines: [{ message: 'after the pause' }] });
    c.close();
  });

  it("shows an organization only its own lines", async () => {
    const a = await seedTenant('Tail A');
    const b = await seedTenant('Tail B');
    const theirs = await tail(b.readKey);
    const mine = await tail(a.readKey);
    expect((await postShipperLogs(a.ingestKey, '"only for A"')).status).toBe(200);
    expect(await mine.next()).toMatchObject({ type: 'lines', lines: [{ message: 'only for A' }] });
    await new Promise((r) => setTimeout(r, 300));
    expect(theirs.pending()).toBe(0);
    theirs.close();
    mine.close();
  });

  it('refuses a bad filter (400) before the upgrade, no upgrade (426), another origin (403), and a subscriber past the cap (1013)', async () => {
    const { readKey, ingestKey } = await seedTenant();
    const auth = { authorization: `Bearer ${readKey}` };
    const bad = await open(`?q=${encodeURIComponent('"open')}`, auth);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/unclosed quote/);
    expect((await open('?level=loud', auth)).status).toBe(400);
    expect((await SELF.fetch(`${BASE}/api/v1/logs/live`, { headers: auth })).status).toBe(426);
    expect((await open('', { ...auth, origin: 'https://evil.example' })).status).toBe(403);
    expect((await open('', { authorization: `Bearer ${ingestKey}` })).status).toBe(403);
    expect((await open('', {})).status).toBe(401);

    LogTailObject.liveOptions = { ...DEFAULT_LIVE_OPTIONS, maxSubscribers: 1 };
    const first = await tail(readKey);
    const res = await open('', auth);
    const over = new LiveClient<LogTailMessage>(res.webSocket!);
    expect(await over.next()).toEqual({ type: 'error', message: LOG_TAIL_CLOSE.tooManySubscribers.reason });
    expect(await over.closed).toEqual(LOG_TAIL_CLOSE.tooManySubscribers);
    first.close();
  });
});
