// The service live socket end to end in workerd: GET /api/v1/services/{service}/live through the
// worker, spans through POST /v1/traces, in both WebSocket modes of the service object.
import { SELF } from 'cloudflare:test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIVE_OPTIONS } from '../../../durable-objects/live-subscribers.ts';
import { ServiceObject } from '../../../durable-objects/service/service.ts';
import { SERVICE_LIVE_PATH, type ServiceLiveMessage } from '../../../protocol/apm.ts';
import { BASE, seedTenant } from '../../../test/helpers.ts';
import { LiveClient } from '../../../test/live-client.ts';
import { otlpTraces, postTraces } from '../../../test/otlp.ts';

type Tenant = Awaited<ReturnType<typeof seedTenant>>;
let t: Tenant;
let seq = 0;
beforeAll(async () => {
  t = await seedTenant('Service Live Org');
});

const open = (service: string, headers: Record<string, string>) => SELF.fetch(`${BASE}${SERVICE_LIVE_PATH(service)}`, { headers: { upgrade: 'websocket', ...headers } });

async function subscribe(service: string): Promise<LiveClient> {
  const res = await open(service, { authorization: `Bearer ${t.readKey}` });
  if (res.status !== 101 || !res.webSocket) throw new Error(`upgrade failed: ${res.status} ${await res.text()}`);
  return new LiveClient(res.webSocket);
}

/** The next message, typed for services (LiveClient parses any JSON). */
const next = async (c: LiveClient, ms?: number) => (await c.next(ms)) as unknown as ServiceLiveMessage;

describe.each([
  { mode: 'hibernating', hibernate: true },
  { mode: 'in-memory', hibernate: false },
])('service live signals, $mode sockets', ({ hibernate }) => {
  beforeAll(() => {
    ServiceObject.liveOptions = { ...DEFAULT_LIVE_OPTIONS, hibernate };
  });
  afterAll(() => {
    ServiceObject.liveOptions = { ...DEFAULT_LIVE_OPTIONS };
  });

  it('says hello with the last minute, then pushes each changed second, at most once a second', async () => {
    const service = `live-svc-${hibernate ? 'h' : 'm'}-${++seq}`;
    const first = Date.now() - 3000;
    expect((await postTraces(t.ingestKey, otlpTraces(service, [{ route: '/a', status: 200, durationMs: 10, end: first }]))).status).toBe(200);
    const c = await subscribe(service);
    const hello = await next(c);
    expect(hello.type).toBe('hello');
    if (hello.type !== 'hello') return;
    expect(hello.service).toBe(service);
    expect(hello.seconds.map((s) => [s.ts, s.requests])).toEqual([[Math.floor(first / 1000) * 1000, 1]]);
    expect(hello.windows['1m'].requests).toBe(1);
    // Its one span is its route's slowest of the minute: an exemplar, with its trace.
    expect(hello.exemplars?.map((e) => [e.route, Math.round(e.ms)])).toEqual([['GET /a', 10]]);

    // Two posts in quick succession: the first is pushed at once, the second held back until a
    // second after the first push (by the alarm), each carrying its second's totals so far.
    const end = Date.now() - 1000;
    const sec = Math.floor(end / 1000) * 1000;
    await postTraces(t.ingestKey, otlpTraces(service, [{ route: '/a', status: 500, durationMs: 20, end }]));
    const p1 = await next(c);
    const at1 = Date.now();
    await postTraces(t.ingestKey, otlpTraces(service, [{ route: '/b', status: 200, durationMs: 30, end }]));
    const p2 = await next(c, 5000);
    const at2 = Date.now();
    expect(p1.type === 'signals' && p1.seconds.find((s) => s.ts === sec)).toMatchObject({ requests: 1, errors: 1 });
    expect(p2.type).toBe('signals');
    if (p2.type !== 'signals') return;
    const s2 = p2.seconds.find((s) => s.ts === sec)!;
    expect(s2).toMatchObject({ requests: 2, errors: 1 });
    expect(s2.routes.map((r) => [r.route, r.requests]).sort()).toEqual([['GET /a', 1], ['GET /b', 1]]);
    expect(at2 - at1).toBeGreaterThanOrEqual(900); // the once-a-second rule (less a clock tick)
    expect(p2.windows['1m'].requests).toBe(3);
    expect(p2.exemplars?.map((e) => e.route)).toContain('GET /b');
    c.close();
  });

  it('under a steady stream of posts pushes about once a second, never twice within one, and the last change without another post', async () => {
    const service = `live-pace-${hibernate ? 'h' : 'm'}-${++seq}`;
    expect((await postTraces(t.ingestKey, otlpTraces(service, [{ route: '/a', status: 200, durationMs: 5, end: Date.now() - 500 }]))).status).toBe(200);
    const c = await subscribe(service);
    const hello = await next(c);
    expect(hello.type).toBe('hello');
    const arrivals: number[] = [];
    const perSecond = new Map<number, number>(); // the latest (largest) count each second was pushed with
    const note = (m: ServiceLiveMessage) => {
      if (m.type === 'hello' || m.type === 'signals') for (const x of m.seconds) perSecond.set(x.ts, Math.max(perSecond.get(x.ts) ?? 0, x.requests));
    };
    note(hello);
    const reading = (async () => {
      for (;;) {
        const m = await next(c, 4000).catch(() => null);
        if (!m) return;
        if (m.type === 'signals') arrivals.push(Date.now());
        note(m);
      }
    })();
    // A post every ~150 ms for ~2.5 s, then none: the last held-back change still goes out (by
    // the pacer's timer, not a later batch).
    let posted = 0;
    const until = Date.now() + 2500;
    while (Date.now() < until) {
      expect((await postTraces(t.ingestKey, otlpTraces(service, [{ route: '/a', status: 200, durationMs: 5, end: Date.now() - 100 }]))).status).toBe(200);
      posted++;
      await new Promise((r) => setTimeout(r, 150));
    }
    await reading;
    c.close();
    const gaps = arrivals.slice(1).map((a, i) => a - arrivals[i]!);
    expect(posted).toBeGreaterThan(arrivals.length);
    expect(arrivals.length).toBeGreaterThanOrEqual(2);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(900); // the once-a-second rule (less a clock tick)
    // Every post reached the subscriber, the last one too, with no post after it to trigger a push.
    expect([...perSecond.values()].reduce((a, b) => a + b, 0)).toBe(posted + 1);
  });
});

describe('service live socket: refusals', () => {
  it('refuses a foreign origin (403), a non-upgrade (426), an unknown service (404) and no credentials (401)', async () => {
    const service = `live-refuse-${++seq}`;
    await postTraces(t.ingestKey, otlpTraces(service, [{ route: '/a', durationMs: 1, end: Date.now() - 1000 }]));
    expect((await open(service, { authorization: `Bearer ${t.readKey}`, origin: 'https://evil.example' })).status).toBe(403);
    const plain = await SELF.fetch(`${BASE}${SERVICE_LIVE_PATH(service)}`, { headers: { authorization: `Bearer ${t.readKey}` } });
    expect(plain.status).toBe(426);
    expect((await open('never-seen', { authorization: `Bearer ${t.readKey}` })).status).toBe(404);
    expect((await open(service, {})).status).toBe(401);
    expect((await open(service, { authorization: `Bearer ${t.ingestKey}` })).status).toBe(403);
  });
});
