import { env, evictDurableObject, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { batch, get, post, sample, seedTenant } from '../test/helpers.ts';
import { withDb } from '../worker/db/client.ts';
import type { HostObject } from './host.ts';

const MIN = 60_000;
let t: Awaited<ReturnType<typeof seedTenant>>;
beforeAll(async () => {
  t = await seedTenant('Objects Org');
});

const stub = (host: string) => env.HOSTS.getByName(`${t.tenant.id}:${host}`);

async function rollups(tier: '1m' | '5m', host: string) {
  return withDb(env, async (db) => {
    const res = await db.execute(
      sql.raw(`SELECT metric, labels, (extract(epoch from bucket) * 1000)::float8 AS bucket, count, sum, min, max, last
               FROM rollup_${tier} WHERE tenant_id = '${t.tenant.id}' AND host_id = '${host}' ORDER BY metric, labels, bucket`),
    );
    return res.rows as { metric: string; labels: string; bucket: number; count: number; sum: number; min: number; max: number; last: number }[];
  });
}

/** 12 samples a minute for `minutes` minutes starting at `start`, cpu = minute index * 10 + i. */
function minutesOf(start: number, minutes: number) {
  const out = [];
  for (let m = 0; m < minutes; m++) for (let i = 0; i < 12; i++) out.push(sample(start + m * MIN + i * 5000, m * 10 + i));
  return out;
}

describe('HostObject', () => {
  it('rebuilds its window from storage after a restart and still knows every batch', async () => {
    const now = Date.now();
    const b = batch('restart-host', [sample(now - 10_000, 1), sample(now - 5000, 2), sample(now, 3)]);
    expect((await post(t.ingestKey, b)).status).toBe(200);
    const before = await stub('restart-host').current();
    await evictDurableObject(stub('restart-host'));
    const after = await stub('restart-host').current();
    expect(after).toEqual(before);
    expect(after.values.find((v) => v.metric === 'cpu.usage.total')!.value).toBe(3);
    // The batch id survives the restart: a replay is still a no-op.
    expect(await (await post(t.ingestKey, b)).json()).toMatchObject({ duplicate: true });
    expect((await stub('restart-host').stats()).rawSamples).toBe(3);
  });

  it('flushes 1m and 5m rollups to Postgres from its alarm, idempotently', async () => {
    const start = Math.floor(Date.now() / (5 * MIN)) * 5 * MIN - 20 * MIN;
    expect((await post(t.ingestKey, batch('flush-host', minutesOf(start, 3)))).status).toBe(200);
    expect(await runDurableObjectAlarm(stub('flush-host'))).toBe(true);

    const r1 = (await rollups('1m', 'flush-host')).filter((r) => r.metric === 'cpu.usage.total');
    expect(r1.map((r) => r.bucket)).toEqual([start, start + MIN, start + 2 * MIN]);
    expect(r1.map((r) => r.count)).toEqual([12, 12, 12]);
    expect(r1[1]).toMatchObject({ min: 10, max: 21, last: 21, sum: 12 * 10 + 66 });
    const r5 = (await rollups('5m', 'flush-host')).filter((r) => r.metric === 'cpu.usage.total');
    expect(r5).toHaveLength(1);
    expect(r5[0]).toMatchObject({ bucket: start, count: 36, min: 0, max: 31 });
    const cores = (await rollups('1m', 'flush-host')).filter((r) => r.metric === 'cpu.cores.usage');
    expect(new Set(cores.map((r) => r.labels))).toEqual(new Set(['core="0"', 'core="1"']));

    // Replaying the flush (as after a crash before the watermark was saved) changes nothing.
    const snapshot = await rollups('1m', 'flush-host');
    await runInDurableObject(stub('flush-host'), async (obj: HostObject) => {
      (obj as unknown as { state: { flushedUntil: number | null } }).state.flushedUntil = null;
      await obj.flush();
    });
    expect(await rollups('1m', 'flush-host')).toEqual(snapshot);
  });

  it('re-rolls a minute when a late sample arrives after it was flushed', async () => {
    const start = Math.floor(Date.now() / MIN) * MIN - 30 * MIN;
    expect((await post(t.ingestKey, batch('late-host', minutesOf(start, 1).filter((_, i) => i !== 6)))).status).toBe(200);
    await runDurableObjectAlarm(stub('late-host'));
    const first = (await rollups('1m', 'late-host')).find((r) => r.metric === 'cpu.usage.total')!;
    expect(first.count).toBe(11);
    expect((await post(t.ingestKey, batch('late-host', [sample(start + 30_000, 500)]))).status).toBe(200);
    expect((await stub('late-host').stats()).dirtyFrom).toBe(start + 30_000);
    await runDurableObjectAlarm(stub('late-host'));
    const second = (await rollups('1m', 'late-host')).find((r) => r.metric === 'cpu.usage.total')!;
    expect(second).toMatchObject({ count: 12, max: 500 });
    expect((await stub('late-host').stats()).dirtyFrom).toBeNull();
  });

  it('keeps acknowledged samples when Postgres is down and flushes them later', async () => {
    const start = Math.floor(Date.now() / MIN) * MIN - 40 * MIN;
    expect((await post(t.ingestKey, batch('pgdown-host', minutesOf(start, 2)))).status).toBe(200);
    // The object's env with an unreachable database: the flush fails and is rescheduled.
    await runInDurableObject(stub('pgdown-host'), async (obj: HostObject) => {
      const o = obj as unknown as { env: Env };
      const real = o.env;
      o.env = { ...real, DATABASE_URL: 'postgres://nobody:x@127.0.0.1:1/none' };
      await obj.alarm();
      o.env = real;
      expect((await obj.stats()).flushedUntil).toBeNull();
      expect((await obj.stats()).alarmAt).toBeGreaterThan(Date.now());
    });
    expect(await rollups('1m', 'pgdown-host')).toEqual([]);
    await runDurableObjectAlarm(stub('pgdown-host'));
    expect((await rollups('1m', 'pgdown-host')).filter((r) => r.metric === 'cpu.usage.total').map((r) => r.count)).toEqual([12, 12]);
  });
});

describe('history and hosts', () => {
  it('serves raw-tier history bucketed to at most `points`', async () => {
    const now = Date.now();
    const start = Math.floor(now / MIN) * MIN - 10 * MIN;
    expect((await post(t.ingestKey, batch('hist-host', minutesOf(start, 5)))).status).toBe(200);
    const q = `/api/v1/metrics/history?host=hist-host&metric=cpu.usage.total&from=${start}&to=${start + 5 * MIN}`;
    const full = (await (await get(t.readKey, q)).json()) as { tier: string; stepMs: number; series: { points: { ts: number; min: number; avg: number; max: number }[] }[] };
    expect(full.tier).toBe('raw');
    expect(full.stepMs).toBe(5000);
    expect(full.series[0]!.points).toHaveLength(60);
    expect(full.series[0]!.points[13]).toEqual({ ts: start + 13 * 5000, min: 11, avg: 11, max: 11 });

    const coarse = (await (await get(t.readKey, `${q}&points=6`)).json()) as typeof full;
    expect(coarse.stepMs).toBe(60_000);
    expect(coarse.series[0]!.points.length).toBeLessThanOrEqual(6);
    expect(coarse.series[0]!.points[1]).toEqual({ ts: start + MIN, min: 10, avg: 15.5, max: 21 });

    const cores = (await (await get(t.readKey, `/api/v1/metrics/history?host=hist-host&metric=cpu.cores.usage&from=${start}&to=${start + MIN}`)).json()) as { series: { labels: Record<string, string> }[] };
    expect(cores.series.map((s) => s.labels)).toEqual([{ core: '0' }, { core: '1' }]);
  });

  it('answers ranges past 24 h from the 1m rollups', async () => {
    const now = Date.now();
    const start = Math.floor((now - 23 * 3600_000) / MIN) * MIN;
    expect((await post(t.ingestKey, batch('old-host', minutesOf(start, 3)))).status).toBe(200);
    await runDurableObjectAlarm(stub('old-host'));
    const res = await get(t.readKey, `/api/v1/metrics/history?host=old-host&metric=cpu.usage.total&from=${now - 25 * 3600_000}&to=${now}`);
    const body = (await res.json()) as { tier: string; stepMs: number; series: { points: { ts: number; avg: number; min: number; max: number }[] }[] };
    expect(res.status).toBe(200);
    expect(body.tier).toBe('1m');
    expect(body.stepMs % MIN).toBe(0);
    const pts = body.series[0]!.points;
    const sumAvg = pts.reduce((a, p) => a + p.avg, 0);
    expect(pts.length).toBeGreaterThanOrEqual(1);
    expect(Math.min(...pts.map((p) => p.min))).toBe(0);
    expect(Math.max(...pts.map((p) => p.max))).toBe(31);
    expect(sumAvg).toBeGreaterThan(0);
  });

  it('merges the unflushed raw tail into rollup-tier answers, and flushes only when due', async () => {
    const now = Date.now();
    const old = Math.floor((now - 23 * 3600_000) / MIN) * MIN;
    expect((await post(t.ingestKey, batch('tail-host', minutesOf(old, 2)))).status).toBe(200);
    await runDurableObjectAlarm(stub('tail-host'));
    const flushed = (await stub('tail-host').stats()).flushedUntil!;
    expect(flushed).toBeGreaterThan(old);
    // Nothing more to flush: another alarm does not walk through the empty hours.
    await runDurableObjectAlarm(stub('tail-host'));
    expect((await stub('tail-host').stats()).flushedUntil).toBe(flushed);
    // Recent samples: their flush is minutes away, so an alarm now writes nothing for them.
    // In the current minute, so its 5-minute flush is always still ahead of now.
    const recent = Math.floor(now / MIN) * MIN;
    expect((await post(t.ingestKey, batch('tail-host', [sample(recent, 77), sample(recent + 5000, 79)]))).status).toBe(200);
    await runDurableObjectAlarm(stub('tail-host'));
    expect((await stub('tail-host').stats()).flushedUntil).toBe(flushed);
    expect((await rollups('1m', 'tail-host')).filter((r) => r.metric === 'cpu.usage.total').map((r) => r.bucket)).toEqual([old, old + MIN]);

    const res = await get(t.readKey, `/api/v1/metrics/history?host=tail-host&metric=cpu.usage.total&from=${now - 25 * 3600_000}&to=${recent + MIN}&points=5000`);
    const body = (await res.json()) as { tier: string; series: { points: { ts: number; min: number; avg: number; max: number }[] }[] };
    expect(body.tier).toBe('1m');
    const pts = body.series[0]!.points;
    expect(pts.find((p) => p.ts === old)).toEqual({ ts: old, min: 0, avg: 5.5, max: 11 });
    expect(pts.find((p) => p.ts === recent)).toEqual({ ts: recent, min: 77, avg: 78, max: 79 });
  });

  it('validates history queries and names the field', async () => {
    const bad: [string, string][] = [
      ['metric=cpu.usage.total', 'host'],
      ['host=x&metric=cpu.nope', 'metric'],
      ['host=x&metric=cpu.usage.total&from=yesterday', 'from'],
      ['host=x&metric=cpu.usage.total&points=0', 'points'],
      ['host=x&metric=cpu.usage.total&from=2000&to=1000', 'from'],
    ];
    for (const [qs, field] of bad) {
      const res = await get(t.readKey, `/api/v1/metrics/history?${qs}`);
      expect(res.status, qs).toBe(400);
      expect(((await res.json()) as { error: { field: string } }).error.field).toBe(field);
    }
  });

  it('lists the hosts of the organization only', async () => {
    const now = Date.now();
    expect((await post(t.ingestKey, batch('listed-host', [sample(now, 1)]))).status).toBe(200);
    // Registration runs beside the ingest response; it lands within moments.
    const h = await vi.waitFor(
      async () => {
        const body = (await (await get(t.readKey, '/api/v1/hosts')).json()) as { hosts: { id: string; name: string; lastSeen: number }[] };
        const found = body.hosts.find((x) => x.id === 'listed-host');
        if (!found) throw new Error('not listed yet');
        return found;
      },
      { timeout: 3000, interval: 50 },
    );
    expect(h).toMatchObject({ name: 'listed-host.example' });
    expect(h!.lastSeen).toBe(now);
    const other = await seedTenant('Stranger');
    const theirs = (await (await get(other.readKey, '/api/v1/hosts')).json()) as { hosts: unknown[] };
    expect(theirs.hosts).toEqual([]);
    const all = (await (await get(t.readKey, '/api/v1/metrics/current')).json()) as { hosts: { host: string }[] };
    expect(all.hosts.map((x) => x.host)).toContain('listed-host');
  });
});
