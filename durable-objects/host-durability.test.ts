// The durability contract of the host object (docs/architecture.md "Durability"): stream samples
// may wait in memory until their window ends; `durableThrough` says what is stored; a restart
// loses only what was not, the sender replays it, and each sample is stored exactly once.
import { env, evictDurableObject, runInDurableObject } from 'cloudflare:test';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Sample } from '../protocol/ingest.ts';
import { batch, get, post, sample, seedTenant } from '../test/helpers.ts';
import { withDb } from '../worker/db/client.ts';
import type { HostObject } from './host.ts';

const MIN = 60_000;
let t: Awaited<ReturnType<typeof seedTenant>>;
beforeAll(async () => {
  t = await seedTenant('Durability Org');
});
const stub = (host: string) => env.HOSTS.getByName(`${t.tenant.id}:${host}`);

/** An agent's spool as the stream path needs it: each sample kept until durableThrough passes it. */
function agent(host: string) {
  const spool = new Map<number, Sample>();
  return {
    spool,
    async send(samples: Sample[], now: number) {
      for (const s of samples) spool.set(s.ts, s);
      const r = await stub(host).ingest(t.tenant.id, batch(host, samples), undefined, now, { durable: false });
      for (const ts of spool.keys()) if (r.durableThrough !== null && ts <= r.durableThrough) spool.delete(ts);
      return r;
    },
  };
}

describe('HostObject durability', () => {
  it('a stream restarted mid-window loses only what was not durable, and the replay stores each sample once', async () => {
    const host = 'stream-restart';
    const start = Math.floor((Date.now() - 2 * 3600_000) / (5 * MIN)) * 5 * MIN;
    const all = Array.from({ length: 360 }, (_, i) => sample(start + i * 5000, (i * 7) % 100));
    const a = agent(host);
    // 17.5 minutes, one sample a message, each arriving 300 ms after its time.
    for (const s of all.slice(0, 210)) await a.send([s], s.ts + 300);
    const before = await stub(host).stats();
    expect(before.durableThrough).toBe(start + 15 * MIN - 1); // three windows written, the fourth waits
    expect(before.rawSamples).toBe(210); // all queryable meanwhile (from memory)
    expect(before.raw.rows).toBe(3);
    expect([...a.spool.keys()]).toEqual(all.slice(180, 210).map((s) => s.ts));

    await evictDurableObject(stub(host)); // the object restarts: its memory is gone
    const after = await stub(host).stats();
    expect(after.rawSamples).toBe(180);
    expect(after.durableThrough).toBe(all[179]!.ts);

    // The agent reconnects and replays its spool, plus (a lost acknowledgement) ten samples
    // already stored: those add nothing.
    const replay = await a.send([...all.slice(170, 180), ...a.spool.values()], all[209]!.ts + 2000);
    expect(replay.accepted).toBe(30);
    for (const s of all.slice(210)) await a.send([s], s.ts + 300);
    // Its last window ends: the alarm writes it and flushes the rollups.
    await runInDurableObject(stub(host), async (obj: HostObject) => {
      await obj.alarm();
    });
    const done = await stub(host).stats();
    expect(done.rawSamples).toBe(360);
    expect(done.raw.rows).toBe(6); // one row per 5-minute window, the replayed one included
    expect(done.durableThrough).toBe(all[359]!.ts);
    // What the agent still holds (its last window's samples) is durable now: its next ack frees it.
    expect(a.spool.size).toBe(60);
    expect(Math.max(...a.spool.keys())).toBeLessThanOrEqual(await stub(host).durableThrough() ?? -1);

    // Queries see every sample once, with its value.
    const q = `/api/v1/metrics/history?host=${host}&metric=cpu.usage.total&from=${start}&to=${start + 30 * MIN}&points=5000`;
    const h = (await (await get(t.readKey, q)).json()) as { tier: string; series: { points: { ts: number; avg: number }[] }[] };
    expect(h.tier).toBe('raw');
    expect(h.series[0]!.points).toEqual(all.map((s) => ({ ts: s.ts, min: s.metrics['cpu.usage.total'], avg: s.metrics['cpu.usage.total'], max: s.metrics['cpu.usage.total'] })));
    const r1 = await withDb(env, async (db) => {
      const res = await db.execute(
        sql`SELECT count, sum FROM rollup_1m WHERE tenant_id = ${t.tenant.id} AND host_id = ${host} AND metric = 'cpu.usage.total' ORDER BY bucket`,
      );
      return res.rows as { count: number; sum: number }[];
    });
    expect(r1.map((r) => r.count)).toEqual(Array(30).fill(12));
    expect(r1.map((r) => r.sum)).toEqual(Array.from({ length: 30 }, (_, m) => all.slice(m * 12, m * 12 + 12).reduce((x, s) => x + (s.metrics['cpu.usage.total'] as number), 0)));
  });

  it('each host seals an ended window at its own offset after the grace, and durableThrough says exactly when', async () => {
    // A fleet's offsets spread over the flush's 2 minutes instead of all sealing at the grace.
    const names = Array.from({ length: 40 }, (_, i) => `seal-${i}`);
    const delays = await Promise.all(
      names.map(async (h) => {
        await agent(h).send([sample(Date.now() - 3600_000, 1)], Date.now());
        return (await stub(h).stats()).sealDelayMs;
      }),
    );
    for (const d of delays) expect(d >= 0 && d < 120_000, `delay ${d}`).toBe(true);
    expect(new Set(delays.map((d) => Math.floor(d / 10_000))).size).toBeGreaterThanOrEqual(8); // of 12 ten-second slots
    const i = delays.findIndex((d) => d > 2000);
    const [host, delay] = [names[i]!, delays[i]!];
    const a = agent(host);
    const w = Math.floor((Date.now() - 2 * 3600_000) / (5 * MIN)) * 5 * MIN;
    const end = w + 5 * MIN;
    expect((await a.send([sample(w + 1000, 1), sample(w + 6000, 2)], w + 7000)).durableThrough).toBe(w + 999);
    // A frame of the next window just before this host's offset: the ended window still waits.
    expect((await a.send([sample(end + 1000, 3)], end + 10_000 + delay - 1)).durableThrough).toBe(w + 999);
    // At its offset it is written, once; the new window waits.
    const rows = (await stub(host).stats()).raw.rows;
    expect((await a.send([sample(end + 2000, 4)], end + 10_000 + delay)).durableThrough).toBe(end + 999);
    expect((await stub(host).stats()).raw.rows).toBe(rows + 1);
    expect([...a.spool.keys()]).toEqual([end + 1000, end + 2000]);
    await evictDurableObject(stub(host)); // what was reported durable is there after a restart
    // The open window's samples may have been written too (an alarm in real time, or the
    // eviction): more than was reported durable is fine, a sample twice or one never sent is not.
    const stored = await stub(host).storedTimestamps(w, end + 5 * MIN);
    expect(stored.slice(0, 2)).toEqual([w + 1000, w + 6000]);
    expect([[], [end + 1000], [end + 1000, end + 2000]]).toContainEqual(stored.slice(2));
  });

  it('the HTTP path answers only once its samples are durable, even inside an open window', async () => {
    const host = 'post-durable';
    const now = Date.now();
    const b = batch(host, [sample(now - 5000, 1), sample(now, 2)]);
    const res = await post(t.ingestKey, b);
    expect(await res.json()).toMatchObject({ accepted: 2, duplicate: false, durableThrough: now });
    await evictDurableObject(stub(host));
    expect((await stub(host).stats()).rawSamples).toBe(2);
    // A replay with another batch id is still a duplicate: samples are keyed by time and series.
    expect(await (await post(t.ingestKey, { ...b, batchId: 'other-id' })).json()).toMatchObject({ accepted: 0, duplicate: true });
  });

  it('stream samples waiting in memory become durable when a POST touches their window', async () => {
    const host = 'mixed-paths';
    const now = Date.now();
    const a = agent(host);
    const r = await a.send([sample(now - 10_000, 5)], now);
    expect(r.durableThrough).toBe(now - 10_001); // its window is still open: it waits
    const sameWindow = Math.floor((now - 10_000) / (5 * MIN)) === Math.floor(now / (5 * MIN));
    const p = (await (await post(t.ingestKey, batch(host, [sample(now, 6)]))).json()) as { durableThrough: number };
    // The POST writes its window, with what waits there; a waiting sample in another window stays.
    expect(p.durableThrough).toBe(sameWindow ? now : now - 10_001);
    await evictDurableObject(stub(host));
    expect((await stub(host).stats()).rawSamples).toBe(sameWindow ? 2 : 1);
  });
});
