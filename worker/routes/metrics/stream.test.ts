// The ingest stream end to end in workerd: GET /api/v1/metrics/stream through the worker, frames
// into the host object, acks with durableThrough, dedup by timestamp, the object killed mid-stream.
import { env, evictDurableObject, runInDurableObject } from 'cloudflare:test';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEFAULT_STREAM_OPTIONS } from '../../../durable-objects/ingest-stream.ts';
import { HostObject } from '../../../durable-objects/host.ts';
import { STREAM_CLOSE, type StreamServerFrame } from '../../../protocol/ingest-stream.ts';
import { batch, get, post, sample, seedTenant } from '../../../test/helpers.ts';
import { subscribe } from '../../../test/live-client.ts';
import { connect, openStream, streamQuery, type StreamClient } from '../../../test/stream-client.ts';
import { api, seedAdminTenant } from '../../../test/alert-helpers.ts';

type Tenant = Awaited<ReturnType<typeof seedTenant>>;
let t: Tenant;
let n = 0;
const host = () => `stream-${++n}-${Math.random().toString(36).slice(2, 6)}`;
const stub = (tenant: Tenant, h: string) => env.HOSTS.getByName(`${tenant.tenant.id}:${h}`);
/** durableThrough is null or at most the newest sample received: it never claims what was not sent. */
const honest = (frame: unknown, newest: number) => {
  const d = (frame as { durableThrough?: number | null }).durableThrough;
  expect(d === undefined ? 'missing' : 'present').toBe('present');
  if (d !== null && d !== undefined) expect(d).toBeLessThanOrEqual(newest);
};
const stored = (tenant: Tenant, h: string) => stub(tenant, h).storedTimestamps(0, Number.MAX_SAFE_INTEGER);

beforeAll(async () => {
  t = await seedTenant('Stream Org');
});
afterEach(() => {
  HostObject.streamOptions = { ...DEFAULT_STREAM_OPTIONS };
});

/** The upgrade lists the host in the background; a live subscriber needs it listed. */
async function listed(tenant: Tenant, h: string) {
  await vi.waitFor(
    async () => {
      const body = (await (await get(tenant.readKey, '/api/v1/hosts')).json()) as { hosts: { id: string }[] };
      if (!body.hosts.some((x) => x.id === h)) throw new Error(`${h} not listed yet`);
    },
    { timeout: 5000, interval: 50 },
  );
}

async function expectAck(c: StreamClient, seq: number) {
  const m = await c.next();
  expect(m, JSON.stringify(m)).toMatchObject({ type: 'ack', seq });
  return m as Extract<StreamServerFrame, { type: 'ack' }>;
}

describe('GET /api/v1/metrics/stream: the upgrade', () => {
  it('refuses without a key, with a read key, without an upgrade, with a bad host and cross-origin', async () => {
    const q = streamQuery('upgrade-host');
    const none = await openStream(q, {});
    expect(none.status).toBe(401);
    const read = await openStream(q, { authorization: `Bearer ${t.readKey}` });
    expect(read.status).toBe(403);
    expect(await read.json()).toMatchObject({ error: { field: 'authorization' } });
    const plain = await get(t.ingestKey, q);
    expect(plain.status).toBe(426);
    const bad = await openStream(streamQuery('bad host!'), { authorization: `Bearer ${t.ingestKey}` });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain('host');
    const noName = await openStream('/api/v1/metrics/stream?host=nameless', { authorization: `Bearer ${t.ingestKey}` });
    expect(noName.status).toBe(400);
    expect(JSON.stringify(await noName.json())).toContain('name');
    const foreign = await openStream(q, { authorization: `Bearer ${t.ingestKey}`, origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
  });

  it("hands a new object the tenant's alert config at the upgrade, before its first frame", async () => {
    const h = host();
    expect((await stub(t, h).alertDebug()).configVersion).toBeNull();
    const { client } = await connect(t.ingestKey, h);
    expect((await stub(t, h).alertDebug()).configVersion).toEqual(expect.any(Number));
    client.close();
  });

  it('lists the host at the upgrade, before its first frame', async () => {
    const h = host();
    const { client } = await connect(t.ingestKey, h);
    await vi.waitFor(
      async () => {
        const body = (await (await get(t.readKey, '/api/v1/hosts')).json()) as { hosts: { id: string; name: string }[] };
        if (!body.hosts.some((x) => x.id === h && x.name === `${h}.example`)) throw new Error(`${h} not listed yet`);
      },
      { timeout: 5000, interval: 50 },
    );
    client.close();
  });
});

describe('stream frames', () => {
  it('acks each frame with received and durableThrough, stores it, and pushes it to live subscribers', async () => {
    const h = host();
    const { client, ready } = await connect(t.ingestKey, h);
    expect(ready).toMatchObject({ type: 'ready', hostId: h, durableThrough: null, maxFrameBytes: 1024 * 1024, framesPerMinute: 100 });
    const now = Date.now();
    const first = await client.call(batch(h, [sample(now - 10_000, 1), sample(now - 5000, 2)]));
    expect(first).toMatchObject({ type: 'ack', seq: 1, accepted: 2, duplicate: false, received: now - 5000 });
    honest(first, now - 5000);

    // Held with the hibernation API under its own tag: not a live subscriber.
    expect(await stub(t, h).streamCount()).toBe(1);
    expect(await stub(t, h).liveStats()).toEqual({ hibernated: 0, total: 0 });

    await listed(t, h);
    const live = await subscribe(t.readKey, h);
    expect(await live.next()).toMatchObject({ type: 'hello', latest: sample(now - 5000, 2) });
    const second = await client.call(batch(h, [sample(now, 3)]));
    expect(second).toMatchObject({ type: 'ack', seq: 2, accepted: 1, received: now });
    honest(second, now);
    expect(await live.next()).toEqual({ type: 'sample', hostId: h, ...sample(now, 3) });
    const current = await stub(t, h).current();
    expect(current.values.find((v) => v.metric === 'cpu.usage.total')!.value).toBe(3);
    live.close();
    client.close();
  });

  it('answers a bad frame with an error naming the field, and keeps the socket and the live sockets open', async () => {
    const h = host();
    const { client } = await connect(t.ingestKey, h);
    const now = Date.now();
    expect((await client.call(batch(h, [sample(now - 5000, 1)]))).type).toBe('ack');
    await listed(t, h);
    const live = await subscribe(t.readKey, h);
    await live.next(); // hello

    client.ws.send('{"type":"samples","seq":7,"batch":{"host":{"id":"' + h + '","name":"x"},"batchId":"b1","samples":[{"ts":"soon","metrics":{}}]}}');
    const e1 = await client.next();
    expect(e1).toMatchObject({ type: 'error', code: 'invalid_frame', seq: 7, issues: [{ field: 'batch.samples[0].ts' }] });
    expect((e1 as { message: string }).message).toContain('batch.samples[0].ts');

    client.ws.send('not json');
    expect(await client.next()).toMatchObject({ type: 'error', code: 'invalid_frame', seq: null, message: expect.stringContaining('not valid JSON') });
    client.ws.send(JSON.stringify({ type: 'samples', seq: 8, batch: batch(h, [{ ts: now, metrics: { 'no.such.metric': 1 } }]) }));
    expect(await client.next()).toMatchObject({ type: 'error', code: 'invalid_frame', seq: 8, issues: [{ field: 'batch.samples[0].metrics["no.such.metric"]' }] });
    client.ws.send(JSON.stringify({ type: 'samples', seq: 9, batch: batch(h, [sample(now + 3_600_000, 1)]) }));
    expect(await client.next()).toMatchObject({ type: 'error', code: 'invalid_frame', seq: 9, message: expect.stringContaining('in the future') });
    client.ws.send(JSON.stringify({ type: 'samples', seq: 10, batch: batch('another-host', [sample(now, 1)]) }));
    expect(await client.next()).toMatchObject({ type: 'error', code: 'host_mismatch', seq: 10 });
    client.ws.send(new Uint8Array([1, 2, 3]));
    expect(await client.next()).toMatchObject({ type: 'error', code: 'invalid_frame', message: expect.stringContaining('binary') });

    // Nothing was stored or pushed, and both sockets still work.
    expect(await stored(t, h)).toEqual([now - 5000]);
    expect(await client.call(batch(h, [sample(now, 2)]))).toMatchObject({ type: 'ack', accepted: 1 });
    expect(await live.next()).toMatchObject({ type: 'sample', ts: now });
    live.close();
    client.close();
  });

  it('stores a sample once per timestamp: a replay under a new batchId adds only what is new', async () => {
    const h = host();
    const { client } = await connect(t.ingestKey, h);
    const now = Date.now();
    const a = batch(h, [sample(now - 15_000, 1), sample(now - 10_000, 2)]);
    expect(await client.call(a)).toMatchObject({ accepted: 2, duplicate: false });
    const again = await client.call(a);
    expect(again).toMatchObject({ accepted: 0, duplicate: true });
    honest(again, now - 10_000);
    // Re-bundled: one old, one new sample, a new batchId.
    const rebundled = await client.call(batch(h, [sample(now - 10_000, 2), sample(now - 5000, 3)]));
    expect(rebundled).toMatchObject({ accepted: 1, duplicate: false });
    honest(rebundled, now - 5000);
    // The POST path dedups the same way and reports durableThrough too.
    const res = await post(t.ingestKey, batch(h, [sample(now - 15_000, 1), sample(now - 20_000, 0)]));
    const posted = (await res.json()) as { accepted: number; duplicate: boolean; durableThrough: number | null };
    expect(posted).toMatchObject({ accepted: 1, duplicate: false });
    honest(posted, now - 5000);
    expect((await stored(t, h)).sort()).toEqual([now - 20_000, now - 15_000, now - 10_000, now - 5000]);
    client.close();
  });

  it('holds the per-collector rate on the stream: an over-limit frame is refused with retryAfterMs, the socket stays', async () => {
    HostObject.streamOptions = { ...DEFAULT_STREAM_OPTIONS, framesPerMinute: 3 };
    const h = host();
    // A fresh object takes the option at its start.
    const { client } = await connect(t.ingestKey, h);
    const now = Date.now();
    for (let i = 0; i < 3; i++) await expectAck(client, client.send(batch(h, [sample(now - 20_000 + i * 5000, i)])));
    const seq = client.send(batch(h, [sample(now, 9)]));
    const e = await client.next();
    expect(e).toMatchObject({ type: 'error', code: 'rate_limited', seq, message: expect.stringContaining('3 frames per minute') });
    expect((e as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(0);
    expect((e as { retryAfterMs: number }).retryAfterMs).toBeLessThanOrEqual(20_000);
    expect(await stored(t, h)).toHaveLength(3);
    expect(await stub(t, h).streamCount()).toBe(1);
    client.close();
  });
});

describe('alerts on the stream', () => {
  it('evaluates every streamed sample: a breach in a frame fires the rule, as on the POST path', async () => {
    const org = await seedAdminTenant('Stream Alerts Org');
    const rule = await api<{ id: string }>(org.adminKey, 'POST', '/api/v1/alerts/rules', { name: 'hot', metric: 'cpu.usage.total', comparator: '>', threshold: 90, severity: 'WARNING' });
    expect(rule.status).toBe(201);
    const h = host();
    const { client } = await connect(org.ingestKey, h);
    const now = Date.now();
    expect(await client.call(batch(h, [sample(now - 1000, 10)]))).toMatchObject({ type: 'ack' });
    const firing = () => api<{ firing: { rule_id: string }[] }>(org.readKey, 'GET', `/api/v1/alerts?host=${h}`).then((r) => r.body.firing.map((a) => a.rule_id));
    expect(await firing()).not.toContain(rule.body.id);
    expect(await client.call(batch(h, [sample(now, 95)]))).toMatchObject({ type: 'ack' });
    await vi.waitFor(async () => expect(await firing()).toContain(rule.body.id), { timeout: 5000, interval: 50 });
    client.close();
  });
});

describe('killing the object mid-stream', () => {
  it('survives an eviction: the hibernated socket wakes a new instance, which knows what is durable', async () => {
    const h = host();
    const { client } = await connect(t.ingestKey, h);
    const now = Date.now();
    const before = await expectAck(client, client.send(batch(h, [sample(now - 10_000, 1)])));
    honest(before, now - 10_000);
    // A stream sample may wait in memory until its 5-minute window ends (docs/ingest.md): what
    // was not durable is gone with the instance, and the sender keeps it until durableThrough passes.
    const wasDurable = before.durableThrough !== null && before.durableThrough >= now - 10_000;
    await evictDurableObject(stub(t, h));
    // A replay of the unconfirmed sample plus a new one, on the same socket. The new instance says
    // `ready` first (the sender re-sends what it holds unconfirmed), with what is durable: a bound
    // that covers no sample the old instance only held in memory (null: nothing is stored yet).
    const seq = client.send(batch(h, [sample(now - 10_000, 1), sample(now - 5000, 2)]));
    const ready = (await client.next()) as { type: string; hostId: string; durableThrough: number | null };
    expect(ready).toMatchObject({ type: 'ready', hostId: h });
    if (!wasDurable && ready.durableThrough !== null) expect(ready.durableThrough).toBeLessThan(now - 10_000);
    const ack = await expectAck(client, seq);
    expect(ack).toMatchObject({ accepted: wasDurable ? 1 : 2, received: now - 5000 });
    honest(ack, now - 5000);
    expect(await stored(t, h)).toEqual([now - 10_000, now - 5000]);
    client.close();
  });

  it('after an abort with frames in flight, the agent-style replay of everything not durable stores each sample exactly once', async () => {
    const h = host();
    const start = Date.now() - 120_000;
    const all = Array.from({ length: 20 }, (_, i) => sample(start + i * 5000, i));
    let { client } = await connect(t.ingestKey, h);
    // What an agent knows: acked samples and the durableThrough it was told.
    const acked = new Set<number>();
    let durable: number | null = null;
    const take = (m: StreamServerFrame, sent: Map<number, number[]>) => {
      if (m.type !== 'ack') return;
      for (const ts of sent.get(m.seq) ?? []) acked.add(ts);
      durable = m.durableThrough;
    };
    const sent = new Map<number, number[]>();
    for (let i = 0; i < 10; i++) {
      const seq = client.send(batch(h, [all[i]!]));
      sent.set(seq, [all[i]!.ts]);
      take(await client.next(), sent);
    }
    // Five more without waiting for their acks, then the instance dies.
    for (let i = 10; i < 15; i++) sent.set(client.send(batch(h, [all[i]!])), [all[i]!.ts]);
    await expect(runInDurableObject(stub(t, h), (_o: HostObject, state: DurableObjectState) => state.abort('test: killed mid-stream'))).rejects.toThrow();
    const closed = await client.closed;
    expect(closed.code).not.toBe(1000);
    // Acks that made it out before the abort still count.
    while (client.pending()) take(await client.next(), sent);
    // durableThrough never claims more than was received (the stream may hold a window in memory).
    expect(durable === null || durable <= Math.max(...acked)).toBe(true);

    // Reconnect: forget what is acked and durable, replay the rest with the new samples, in new batches.
    ({ client } = await connect(t.ingestKey, h));
    const keep = all.filter((s) => !(acked.has(s.ts) && durable !== null && s.ts <= durable));
    expect(keep.length).toBeGreaterThanOrEqual(10);
    const seq = client.send(batch(h, keep));
    const ack = await expectAck(client, seq);
    expect(ack.received).toBe(all[19]!.ts);
    honest(ack, all[19]!.ts);

    const ts = await stored(t, h);
    expect(ts).toEqual(all.map((s) => s.ts));
    expect(new Set(ts).size).toBe(ts.length);
    client.close();
  });
});

describe('revocation and maximum age', () => {
  it('closes a running stream when its key is revoked; the key cannot open another', async () => {
    const org = await seedAdminTenant('Stream Revoke Org');
    const h = host();
    const { client } = await connect(org.ingestKey, h);
    expect((await client.call(batch(h, [sample(Date.now() - 5000, 1)]))).type).toBe('ack');
    // The revocation reaches the organization's listed hosts; the upgrade lists a new host in the
    // background, and one not listed yet ends at its maximum age instead (docs/ingest.md). CI once
    // revoked before the listing and waited out the test's 30 s.
    await listed(org, h);
    const del = await api(org.adminKey, 'DELETE', `/api/v1/keys/${org.ingestKeyId}`);
    expect(del.status).toBe(204);
    // Closed by the time the revocation answered.
    expect(await client.closed).toEqual({ code: STREAM_CLOSE.revoked.code, reason: STREAM_CLOSE.revoked.reason });
    const again = await openStream(streamQuery(h), { authorization: `Bearer ${org.ingestKey}` });
    expect(again.status).toBe(401);
    // Other tenants' streams are untouched.
    const other = host();
    const { client: mine } = await connect(t.ingestKey, other);
    expect((await mine.call(batch(other, [sample(Date.now() - 5000, 1)]))).type).toBe('ack');
    mine.close();
  });

  it('closes a socket past its maximum age at its next frame, without storing the frame', async () => {
    HostObject.streamOptions = { ...DEFAULT_STREAM_OPTIONS, maxAgeMs: 100 };
    const h = host();
    const { client } = await connect(t.ingestKey, h);
    await new Promise((r) => setTimeout(r, 150));
    client.send(batch(h, [sample(Date.now() - 5000, 1)]));
    expect(await client.closed).toEqual({ code: STREAM_CLOSE.reauthenticate.code, reason: STREAM_CLOSE.reauthenticate.reason });
    expect(await stored(t, h)).toEqual([]);
  });
});
