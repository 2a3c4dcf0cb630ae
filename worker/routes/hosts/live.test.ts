// Live samples end to end in workerd: a socket through GET /api/v1/hosts/{host}/live, samples
// through POST /api/v1/metrics/collect, in both WebSocket modes of the host object.
import { env, evictDurableObject, runInDurableObject } from 'cloudflare:test';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEFAULT_LIVE_OPTIONS } from '../../../durable-objects/live-subscribers.ts';
import { HostObject } from '../../../durable-objects/host.ts';
import { LIVE_CLOSE, LIVE_PING, type LiveServerMessage } from '../../../protocol/live.ts';
import { BASE, batch, get, post, sample, seedTenant } from '../../../test/helpers.ts';
import { LiveClient, openLive, subscribe } from '../../../test/live-client.ts';
import { uniq } from '../../../test/alert-helpers.ts';
import { signUp } from '../../../test/session.ts';

type Tenant = Awaited<ReturnType<typeof seedTenant>>;
let t: Tenant;
let seq = 0;
beforeAll(async () => {
  t = await seedTenant('Live Org');
});

const stub = (tenant: Tenant, host: string) => env.HOSTS.getByName(`${tenant.tenant.id}:${host}`);

/** Reports a host and waits until it is listed (registration runs beside the ingest answer). */
async function report(tenant: Tenant, host: string, ts = Date.now() - 30_000, cpu = 1) {
  expect((await post(tenant.ingestKey, batch(host, [sample(ts, cpu)]))).status).toBe(200);
  await vi.waitFor(
    async () => {
      const body = (await (await get(tenant.readKey, '/api/v1/hosts')).json()) as { hosts: { id: string }[] };
      if (!body.hosts.some((h) => h.id === host)) throw new Error(`${host} not listed yet`);
    },
    { timeout: 5000, interval: 50 },
  );
}

const cpuOf = (m: LiveServerMessage) => (m.type === 'sample' ? m.metrics['cpu.usage.total'] : m.type === 'hello' ? m.latest?.metrics['cpu.usage.total'] : undefined);

async function expectHello(c: LiveClient, host: string) {
  const m = await c.next();
  expect(m.type).toBe('hello');
  expect(m).toMatchObject({ hostId: host });
  return m as Extract<LiveServerMessage, { type: 'hello' }>;
}

describe.each([
  { mode: 'hibernating', hibernate: true },
  { mode: 'in-memory', hibernate: false },
])('live samples, $mode sockets', ({ hibernate }) => {
  beforeAll(() => {
    HostObject.liveOptions = { ...DEFAULT_LIVE_OPTIONS, hibernate };
  });
  afterAll(() => {
    HostObject.liveOptions = { ...DEFAULT_LIVE_OPTIONS };
  });
  const host = () => `live-${hibernate ? 'h' : 'm'}-${++seq}`;

  it('says hello with the latest sample, then pushes each new sample in timestamp order', async () => {
    const h = host();
    const now = Date.now();
    await report(t, h, now - 30_000, 7);
    const c = await subscribe(t.readKey, h);
    const hello = await expectHello(c, h);
    expect(hello.latest).toEqual(sample(now - 30_000, 7));
    // The socket is held the way the mode says.
    expect(await stub(t, h).liveStats()).toEqual({ hibernated: hibernate ? 1 : 0, total: 1 });

    // One batch, out of order: pushed oldest first.
    expect((await post(t.ingestKey, batch(h, [sample(now - 5000, 3), sample(now - 10_000, 2)]))).status).toBe(200);
    const a = await c.next();
    const b = await c.next();
    expect(a).toEqual({ type: 'sample', hostId: h, ...sample(now - 10_000, 2) });
    expect(b).toEqual({ type: 'sample', hostId: h, ...sample(now - 5000, 3) });
    c.close();
  });

  it('pushes nothing for a duplicate batch or for samples older than the last one pushed', async () => {
    const h = host();
    const now = Date.now();
    await report(t, h, now - 60_000, 1);
    const c = await subscribe(t.readKey, h);
    await expectHello(c, h);
    const b = batch(h, [sample(now - 20_000, 5)]);
    expect((await post(t.ingestKey, b)).status).toBe(200);
    expect(cpuOf(await c.next())).toBe(5);
    expect(await (await post(t.ingestKey, b)).json()).toMatchObject({ duplicate: true });
    // An older sample (a spool replay) is stored but not pushed.
    expect(await (await post(t.ingestKey, batch(h, [sample(now - 40_000, 6)]))).json()).toMatchObject({ accepted: 1 });
    expect((await post(t.ingestKey, batch(h, [sample(now - 1000, 8)]))).status).toBe(200);
    // The next message is the new sample: nothing came for the duplicate or the old one.
    expect(await c.next()).toEqual({ type: 'sample', hostId: h, ...sample(now - 1000, 8) });
    expect(c.pending()).toBe(0);
    c.close();
  });

  it('answers pings, exact or not, and ignores anything else', async () => {
    const h = host();
    await report(t, h);
    const c = await subscribe(t.readKey, h);
    await expectHello(c, h);
    c.ws.send(LIVE_PING);
    expect(await c.next()).toEqual({ type: 'pong' });
    c.ws.send('not json');
    c.ws.send('{"type":"subscribe","host":"other"}');
    c.ws.send('{ "type": "ping" }');
    expect(await c.next()).toEqual({ type: 'pong' });
    expect(c.pending()).toBe(0);
    c.close();
  });

  it('refuses a subscriber past the cap with a clear close, and admits one when a place frees', async () => {
    const h = host();
    await report(t, h);
    HostObject.liveOptions = { ...HostObject.liveOptions, maxSubscribers: 2 };
    try {
      const a = await subscribe(t.readKey, h);
      const b = await subscribe(t.readKey, h);
      await expectHello(a, h);
      await expectHello(b, h);
      const over = await subscribe(t.readKey, h);
      expect(await over.next()).toEqual({ type: 'error', message: LIVE_CLOSE.tooManySubscribers.reason });
      expect(await over.closed).toEqual(LIVE_CLOSE.tooManySubscribers);
      expect((await stub(t, h).liveStats()).total).toBe(2);

      a.close();
      await vi.waitFor(async () => expect((await stub(t, h).liveStats()).total).toBe(1), { timeout: 5000, interval: 20 });
      const c = await subscribe(t.readKey, h);
      await expectHello(c, h);
      b.close();
      c.close();
    } finally {
      HostObject.liveOptions = { ...HostObject.liveOptions, maxSubscribers: DEFAULT_LIVE_OPTIONS.maxSubscribers };
    }
  });

  it('keeps ingesting when a subscriber has gone or its socket fails, and drops that socket', async () => {
    const h = host();
    await report(t, h);
    const gone = await subscribe(t.readKey, h);
    const broken = await subscribe(t.readKey, h);
    const healthy = await subscribe(t.readKey, h);
    for (const c of [gone, broken, healthy]) await expectHello(c, h);
    gone.close();
    // A socket whose send throws (a dead peer): the object's own handle to the second socket.
    await runInDurableObject(stub(t, h), (obj: HostObject) => {
      const mem = (obj as unknown as { subscribers: { memory: Map<WebSocket, number> } }).subscribers.memory;
      const sockets = [...(obj as unknown as { ctx: DurableObjectState }).ctx.getWebSockets('live'), ...mem.keys()];
      expect(sockets.length).toBeGreaterThanOrEqual(2);
      // The oldest open one after `gone` is `broken` (both modes keep acceptance order).
      const open = sockets.filter((s) => s.readyState === WebSocket.OPEN);
      open[open.length - 2]!.send = () => {
        throw new Error('peer is gone');
      };
    });
    const now = Date.now();
    const res = await post(t.ingestKey, batch(h, [sample(now, 42)]));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ accepted: 1 });
    expect(cpuOf(await healthy.next())).toBe(42);
    expect(await broken.closed).toEqual(LIVE_CLOSE.sendFailed);
    await vi.waitFor(async () => expect((await stub(t, h).liveStats()).total).toBe(1), { timeout: 5000, interval: 20 });
    healthy.close();
  });

  it('closes a socket past its maximum age (so a revoked key or ended session cannot watch on), and ingest goes on', async () => {
    const h = host();
    await report(t, h);
    HostObject.liveOptions = { ...HostObject.liveOptions, maxAgeMs: 1 };
    let old: LiveClient;
    try {
      old = await subscribe(t.readKey, h);
      await expectHello(old, h);
    } finally {
      HostObject.liveOptions = { ...HostObject.liveOptions, maxAgeMs: DEFAULT_LIVE_OPTIONS.maxAgeMs };
    }
    const fresh = await subscribe(t.readKey, h);
    await expectHello(fresh, h);
    await new Promise((r) => setTimeout(r, 20)); // past the 1 ms age, whatever the clock's grain
    const now = Date.now();
    expect((await post(t.ingestKey, batch(h, [sample(now, 5)]))).status).toBe(200);
    expect(await old.closed).toEqual(LIVE_CLOSE.reauthenticate);
    expect(old.pending()).toBe(0);
    expect(await fresh.next()).toEqual({ type: 'sample', hostId: h, ...sample(now, 5) });
    await vi.waitFor(async () => expect((await stub(t, h).liveStats()).total).toBe(1), { timeout: 5000, interval: 20 });
    fresh.close();
  });

  it(hibernate ? 'keeps sockets across hibernation and pushes after waking' : 'loses its sockets with the instance, and ingest goes on', async () => {
    const h = host();
    await report(t, h);
    const c = await subscribe(t.readKey, h);
    await expectHello(c, h);
    if (hibernate) {
      await evictDurableObject(stub(t, h));
      const now = Date.now();
      expect((await post(t.ingestKey, batch(h, [sample(now, 9)]))).status).toBe(200);
      // A new instance found the socket through ctx.getWebSockets().
      expect(await c.next()).toEqual({ type: 'sample', hostId: h, ...sample(now, 9) });
      expect(await stub(t, h).liveStats()).toEqual({ hibernated: 1, total: 1 });
      c.close();
    } else {
      // An in-memory socket keeps the object from being evicted; only a crash or a deploy ends
      // the instance, and the socket with it.
      await expect(
        runInDurableObject(stub(t, h), (_obj: HostObject, state: DurableObjectState) => state.abort('test: instance ends')),
      ).rejects.toThrow();
      const closed = await c.closed;
      expect(closed.code).not.toBe(1000);
      const now = Date.now();
      expect((await post(t.ingestKey, batch(h, [sample(now, 9)]))).status).toBe(200);
      expect(c.pending()).toBe(0);
      expect(await stub(t, h).liveStats()).toEqual({ hibernated: 0, total: 0 });
    }
  });
});

describe('GET /api/v1/hosts/{host}/live refusals', () => {
  type Err = { error: { code: string; field?: string } };

  it('needs an upgrade (426), a read key (401/403), a same-origin browser (403), a valid known host (400/404)', async () => {
    const h = `live-refuse-${++seq}`;
    await report(t, h);
    const url = `${BASE}/api/v1/hosts/${h}/live`;
    const auth = { authorization: `Bearer ${t.readKey}` };

    const plain = await get(t.readKey, `/api/v1/hosts/${h}/live`);
    expect(plain.status).toBe(426);
    expect(plain.headers.get('upgrade')).toBe('websocket');
    expect(((await plain.json()) as Err).error.code).toBe('upgrade_required');

    expect((await openLive(h, {})).status).toBe(401);
    expect((await openLive(h, { authorization: `Bearer ${t.ingestKey}` })).status).toBe(403);

    for (const origin of ['https://evil.example', 'null', `${BASE}.evil.example`, 'http://monitor.test:8080']) {
      const res = await openLive(h, { ...auth, origin });
      expect(res.status, origin).toBe(403);
      expect(((await res.json()) as Err).error.field).toBe('origin');
    }
    const same = await openLive(h, { ...auth, origin: new URL(url).origin });
    expect(same.status).toBe(101);
    const c = new LiveClient(same.webSocket!);
    await expectHello(c, h);
    c.close();

    const unknown = await openLive('never-reported', auth);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as Err).error.field).toBe('host');
    const bad = await openLive('bad:host', auth);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as Err).error.field).toBe('host');
  });

  it('accepts a signed-in browser by its session cookie, but never from a foreign page (cross-site WebSocket hijacking)', async () => {
    const user = await signUp(undefined, `Live Browser ${uniq()}`);
    const key = (await user.call('POST', '/api/v1/keys', { name: 'agent', scope: 'ingest' })).body.key as string;
    const h = `live-cookie-${++seq}`;
    expect((await post(key, batch(h, [sample(Date.now() - 1000, 4)]))).status).toBe(200);
    await vi.waitFor(async () => expect((await user.call('GET', '/api/v1/hosts')).body.hosts.map((x: { id: string }) => x.id)).toContain(h), { timeout: 5000, interval: 50 });

    const hijack = await openLive(h, { cookie: user.cookie!, origin: 'https://evil.example' });
    expect(hijack.status).toBe(403);
    expect(hijack.webSocket).toBeNull();
    const res = await openLive(h, { cookie: user.cookie!, origin: BASE });
    expect(res.status).toBe(101);
    const c = new LiveClient(res.webSocket!);
    expect(cpuOf(await expectHello(c, h))).toBe(4);
    c.close();
  });

  it("never opens another tenant's object, even for the same host id", async () => {
    const other = await seedTenant('Live Other Org');
    const mine = `live-mine-${++seq}`;
    await report(t, mine);
    // Their key, my host: they have no such host.
    expect((await openLive(mine, { authorization: `Bearer ${other.readKey}` })).status).toBe(404);

    // Both report the same host id: each subscriber sees only its own organization's samples.
    const shared = `live-shared-${++seq}`;
    await report(t, shared, Date.now() - 30_000, 1);
    await report(other, shared, Date.now() - 30_000, 2);
    const theirs = await subscribe(other.readKey, shared);
    expect(cpuOf(await expectHello(theirs, shared))).toBe(2);
    const now = Date.now();
    expect((await post(t.ingestKey, batch(shared, [sample(now - 1000, 11)]))).status).toBe(200);
    expect((await post(other.ingestKey, batch(shared, [sample(now, 22)]))).status).toBe(200);
    expect(cpuOf(await theirs.next())).toBe(22);
    expect(theirs.pending()).toBe(0);
    theirs.close();
  });
});
