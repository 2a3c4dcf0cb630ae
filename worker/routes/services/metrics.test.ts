// A service's custom series from POST /v1/metrics (official SDK bodies): listed with their type,
// charted from the raw tier and from the 1 m rollups after a flush (merged with the unflushed
// tail), capped per service, shown as saturation where no host matches, and kept per tenant.
import { env, runInDurableObject } from 'cloudflare:test';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { ServiceObject } from '../../../durable-objects/service/service.ts';
import { APM_METRIC_LIMITS, type ServiceMetricHistory, type ServiceMetricsList, type ServiceSaturation } from '../../../protocol/apm-metrics.ts';
import { waitFor } from '../../../test/alert-helpers.ts';
import { batch, get, post, sample, seedTenant } from '../../../test/helpers.ts';
import { jsonGauge, jsonMetrics, postMetrics, sdkMetrics } from '../../../test/otlp-metrics.ts';
import { withDb } from '../../db/client.ts';
import { serviceObjectName } from '../../types.ts';

const stub = (tenantId: string, service: string) => env.SERVICES.getByName(serviceObjectName(tenantId, service));

async function read<T>(key: string, path: string): Promise<T> {
  const res = await waitFor(() => get(key, path), (r) => r.status !== 404); // the service is listed in the background
  expect(res.status, path).toBe(200);
  return (await res.json()) as T;
}

const history = (key: string, service: string, metric: string, range = '') =>
  read<ServiceMetricHistory>(key, `/api/v1/services/${service}/metrics/history?metric=${encodeURIComponent(metric)}${range}`);

describe('service custom series', () => {
  it('stores gauges, sums and histograms\' count/sum as sent, lists them, charts them, and shows process metrics as saturation until a host matches', async () => {
    const { ingestKey, readKey } = await seedTenant();
    const sdk = sdkMetrics({ service: 'shop', resource: { 'host.name': 'shop-box' } }); // cumulative, the SDK default
    const m = sdk.meter;
    m.createObservableGauge('process.memory.usage', { unit: 'By' }).addCallback((r) => r.observe(123456789));
    m.createObservableGauge('process.cpu.utilization', { unit: '1' }).addCallback((r) => r.observe(0.25, { 'process.cpu.state': 'user' }));
    const jobs = m.createCounter('jobs.processed', { description: 'Jobs done' });
    jobs.add(5, { 'queue.name': 'mail' });
    jobs.add(2, { 'queue.name': 'sms' });
    const q = m.createHistogram('db.query.duration', { unit: 's' });
    q.record(0.5);
    q.record(1.5);
    sdk.requests('/checkout', [0.01]);
    const res = await postMetrics(ingestKey, (await sdk.collect()).protobuf);
    expect(res.status).toBe(200);
    expect((await res.arrayBuffer()).byteLength).toBe(0);

    const list = await read<ServiceMetricsList>(readKey, '/api/v1/services/shop/metrics');
    expect(list.seriesLimit).toBe(APM_METRIC_LIMITS.maxCustomSeriesPerService);
    expect(list.metrics.map((x) => [x.name, x.type, x.unit, x.temporality, x.monotonic, x.series])).toEqual([
      ['db.query.duration.count', 'histogram.count', '', 'cumulative', null, 1],
      ['db.query.duration.sum', 'histogram.sum', 's', 'cumulative', null, 1],
      ['jobs.processed', 'sum', '', 'cumulative', true, 2],
      ['process.cpu.utilization', 'gauge', '1', null, null, 1],
      ['process.memory.usage', 'gauge', 'By', null, null, 1],
    ]); // the duration histogram went to the signals, not here
    expect(list.metrics.find((x) => x.name === 'jobs.processed')!.description).toBe('Jobs done');

    jobs.add(3, { 'queue.name': 'mail' });
    expect((await postMetrics(ingestKey, (await sdk.collect()).protobuf)).status).toBe(200);
    const h = await history(readKey, 'shop', 'jobs.processed');
    expect(h.tier).toBe('raw');
    expect(h.series.map((s) => [s.labels, Math.max(...s.points.map((p) => p.max))])).toEqual([
      [{ 'queue.name': 'mail' }, 8], // cumulative stays cumulative
      [{ 'queue.name': 'sms' }, 2],
    ]);
    expect((await history(readKey, 'shop', 'db.query.duration.sum')).series[0]!.points[0]!.max).toBe(2);
    expect((await history(readKey, 'shop', 'no.such.metric')).series).toEqual([]);
    expect((await get(readKey, '/api/v1/services/shop/metrics/history?metric=bad%20name')).status).toBe(400);

    const sat = await read<ServiceSaturation>(readKey, '/api/v1/services/shop/saturation');
    expect(sat.source).toBe('process');
    expect(sat.hosts).toEqual([]);
    expect(sat.process.map((v) => [v.metric, v.labels, v.value, v.unit])).toEqual([
      ['process.cpu.utilization', { 'process.cpu.state': 'user' }, 0.25, '1'],
      ['process.memory.usage', {}, 123456789, 'By'],
    ]);
    // Once the organization has a host of that name, the site shows the host instead.
    expect((await post(ingestKey, batch('shop-box', [sample(Date.now() - 1000, 5)]))).status).toBe(200);
    // The host is listed within a moment of its first sample (worker/registry.ts batches it).
    const matched = await waitFor(() => read<ServiceSaturation>(readKey, '/api/v1/services/shop/saturation'), (m) => m.source === 'hosts', 5000);
    expect([matched.source, matched.hosts]).toEqual(['hosts', ['shop-box']]);
  });

  it('flushes 1 m / 5 m rollups; history past the raw tier reads them merged with the unflushed tail, idempotently', async () => {
    const { tenant, ingestKey, readKey } = await seedTenant();
    const now = Date.now();
    const base = Math.floor((now - 10 * 60_000) / 60_000) * 60_000;
    const g = (time: number, value: number) => ({ time, value, attrs: { room: 'a' } });
    const body = jsonMetrics('rollup-m', [jsonGauge('room.temperature', [g(base + 5000, 10), g(base + 15_000, 20), g(base + 65_000, 30)], 'Cel')]);
    expect((await postMetrics(ingestKey, body, { encoding: 'json' })).status).toBe(200);
    await read(readKey, '/api/v1/services/rollup-m/metrics');
    const s = stub(tenant.id, 'rollup-m');
    await runInDurableObject(s, (obj: ServiceObject) => obj.flush(Date.now()));
    expect((await s.metricsDebug()).flushedUntil).toBeGreaterThan(base + 65_000);
    const rows = await withDb(env, (db) => db.execute(sql`SELECT count(*)::int AS n FROM service_metric_1m WHERE tenant_id = ${tenant.id} AND service = 'rollup-m'`));
    expect(rows.rows[0]!.n).toBe(2);
    // The 5 m buckets are complete too: every value in them once.
    const five = await withDb(env, (db) => db.execute(sql`SELECT sum(count)::int AS n FROM service_metric_5m WHERE tenant_id = ${tenant.id} AND service = 'rollup-m'`));
    expect(five.rows[0]!.n).toBe(3);

    const range = `&from=${now - 25 * 3600_000}&to=${now + 60_000}&points=2000`;
    const want = [
      { ts: base, min: 10, avg: 15, max: 20 },
      { ts: base + 60_000, min: 30, avg: 30, max: 30 },
    ];
    const h = await history(readKey, 'rollup-m', 'room.temperature', range);
    expect(h.tier).toBe('1m');
    expect(h.series).toEqual([{ labels: { room: 'a' }, points: want }]);
    await runInDurableObject(s, (obj: ServiceObject) => obj.flush(Date.now()));
    expect((await history(readKey, 'rollup-m', 'room.temperature', range)).series).toEqual([{ labels: { room: 'a' }, points: want }]);

    // A value not flushed yet comes from the object's tail.
    const late = Date.now() - 1000;
    expect((await postMetrics(ingestKey, jsonMetrics('rollup-m', [jsonGauge('room.temperature', [g(late, 40)])]), { encoding: 'json' })).status).toBe(200);
    const withTail = await history(readKey, 'rollup-m', 'room.temperature', range);
    expect(withTail.series[0]!.points.at(-1)).toEqual({ ts: Math.floor(late / 60_000) * 60_000, min: 40, avg: 40, max: 40 });
  });

  it(`caps series per service at ${APM_METRIC_LIMITS.maxCustomSeriesPerService}: the rest are rejected in partial_success`, async () => {
    const { ingestKey, readKey } = await seedTenant();
    const now = Date.now();
    const points = Array.from({ length: APM_METRIC_LIMITS.maxCustomSeriesPerService + 5 }, (_, i) => ({ time: now - 1000, value: i, attrs: { shard: `s${i}` } }));
    const res = await postMetrics(ingestKey, jsonMetrics('cap-m', [jsonGauge('shard.load', points)]), { encoding: 'json' });
    const ps = ((await res.json()) as { partialSuccess: { rejectedDataPoints: string; errorMessage: string } }).partialSuccess;
    expect(Number(ps.rejectedDataPoints)).toBe(5);
    expect(ps.errorMessage).toMatch(/service "cap-m": more than 1000 custom series/);
    const list = await read<ServiceMetricsList>(readKey, '/api/v1/services/cap-m/metrics');
    expect(list.metrics[0]!.series).toBe(APM_METRIC_LIMITS.maxCustomSeriesPerService);
    // Known series still take values.
    const again = await postMetrics(ingestKey, jsonMetrics('cap-m', [jsonGauge('shard.load', [{ time: now, value: 1, attrs: { shard: 's0' } }])]), { encoding: 'json' });
    expect(await again.json()).toEqual({});
  });

  it('keeps tenants apart: another organization cannot list, chart or see saturation of a service, and its own same-named service is separate', async () => {
    const a = await seedTenant('A');
    const b = await seedTenant('B');
    const now = Date.now();
    const body = (v: number) => jsonMetrics('iso-m', [jsonGauge('process.memory.usage', [{ time: now - 1000, value: v }])]);
    expect((await postMetrics(a.ingestKey, body(4242.42), { encoding: 'json' })).status).toBe(200);
    await read(a.readKey, '/api/v1/services/iso-m/metrics');
    for (const path of ['metrics', 'metrics/history?metric=process.memory.usage', 'saturation']) {
      const res = await get(b.readKey, `/api/v1/services/iso-m/${path}`);
      expect(res.status, path).toBe(404);
      expect(await res.text()).not.toContain('4242');
    }
    expect((await postMetrics(b.ingestKey, body(1), { encoding: 'json' })).status).toBe(200);
    const mine = await history(b.readKey, 'iso-m', 'process.memory.usage');
    expect(mine.series.map((s) => s.points.map((p) => p.max))).toEqual([[1]]);
    const theirs = await history(a.readKey, 'iso-m', 'process.memory.usage');
    expect(theirs.series.map((s) => s.points.map((p) => p.max))).toEqual([[4242.42]]);
  });
});
