// POST /v1/metrics through the real worker and service objects: HTTP server duration histograms
// from the official SDK (explicit and exponential, delta and cumulative) become golden signals
// with exact counts and bucket-accurate percentiles; spans and histograms are never counted twice
// whichever comes first; a restart or a retry never double counts; bad points are rejected.
import { env } from 'cloudflare:test';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { sample } from '../../../durable-objects/core/seeded.ts';
import { APM_LIMITS, type RoutesResponse, type SignalsResponse } from '../../../protocol/apm.ts';
import type { ServiceMetricsList } from '../../../protocol/apm-metrics.ts';
import { waitFor } from '../../../test/alert-helpers.ts';
import { get, restartObject, seedTenant } from '../../../test/helpers.ts';
import { otlpTraces, postTraces } from '../../../test/otlp.ts';
import { jsonGauge, jsonHistogram, jsonMetrics, jsonSum, postMetrics, sdkMetrics, SEMCONV_BOUNDS } from '../../../test/otlp-metrics.ts';
import { serviceObjectName } from '../../types.ts';

const stub = (tenantId: string, service: string) => env.SERVICES.getByName(serviceObjectName(tenantId, service));

/** The service is listed (the worker registers it in the background). */
async function listed(key: string, service: string) {
  const res = await waitFor(
    () => get(key, `/api/v1/services/${encodeURIComponent(service)}/signals?points=2`),
    (r) => r.status !== 404,
  );
  expect(res.status).toBe(200);
}

/** Requests and errors over the last 10 minutes (the per-second tier). */
async function signals(key: string, service: string) {
  await listed(key, service);
  const res = await get(key, `/api/v1/services/${encodeURIComponent(service)}/signals?from=${Date.now() - 600_000}&to=${Date.now() + 60_000}&points=661`);
  expect(res.status).toBe(200);
  const body = (await res.json()) as SignalsResponse;
  expect(body.tier).toBe('1s');
  return { requests: body.points.reduce((a, p) => a + p.requests, 0), errors: body.points.reduce((a, p) => a + p.errors, 0) };
}

async function routes(key: string, service: string) {
  const res = await get(key, `/api/v1/services/${encodeURIComponent(service)}/routes?from=${Date.now() - 600_000}&to=${Date.now() + 60_000}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as RoutesResponse).routes;
}

const lowerRank = (sorted: number[], q: number) => sorted[Math.floor(q * (sorted.length - 1))]!;

/** The explicit bucket (ms) holding `seconds`, as (lo, hi]. */
function semconvBucket(seconds: number, max: number): [number, number] {
  const i = SEMCONV_BOUNDS.findIndex((b) => seconds <= b);
  if (i === -1) return [SEMCONV_BOUNDS.at(-1)! * 1000, max * 1000];
  return [i === 0 ? 0 : SEMCONV_BOUNDS[i - 1]! * 1000, SEMCONV_BOUNDS[i]! * 1000];
}

describe('POST /v1/metrics: duration histograms as golden signals', () => {
  it('delta explicit histograms (protobuf): exact counts, errors by 5xx or error.type, span-style routes, percentiles within their bucket', async () => {
    const { tenant, ingestKey, readKey } = await seedTenant();
    const sdk = sdkMetrics({ service: 'm-delta', temporality: 'delta', resource: { 'host.name': 'web-9' } });
    const fast = sample('lognormal', 200, 1).map((ms) => ms / 1000);
    sdk.requests('/users/:id', fast);
    sdk.requests('/users/:id', [0.2, 0.3], { 'http.response.status_code': 503 });
    sdk.requests('/users/:id', [0.05], { 'http.response.status_code': 404 }); // the client's mistake: not an error
    sdk.requests('/cart', [0.01, 0.02], { 'http.request.method': 'POST', 'error.type': 'timeout' });
    const res = await postMetrics(ingestKey, (await sdk.collect()).protobuf);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-protobuf');
    expect((await res.arrayBuffer()).byteLength).toBe(0); // no partial_success

    expect(await signals(readKey, 'm-delta')).toEqual({ requests: 205, errors: 4 });
    const table = await routes(readKey, 'm-delta');
    expect(table.map((r) => [r.route, r.requests, r.errors])).toEqual([
      ['GET /users/:id', 203, 2],
      ['POST /cart', 2, 2],
    ]);
    const all = [...fast, 0.2, 0.3, 0.05].sort((a, b) => a - b);
    const users = table[0]!;
    for (const [q, got] of [[0.5, users.p50], [0.95, users.p95], [0.99, users.p99]] as const) {
      const [lo, hi] = semconvBucket(lowerRank(all, q), all.at(-1)!);
      expect(got!, `p${q * 100}`).toBeGreaterThanOrEqual(lo * 0.99);
      expect(got!, `p${q * 100}`).toBeLessThanOrEqual(hi * 1.01);
    }
    expect((await stub(tenant.id, 'm-delta').stats()).hosts).toEqual(['web-9']);

    // The next delta export adds to the counts.
    sdk.requests('/cart', [0.03], { 'http.request.method': 'POST' });
    expect((await postMetrics(ingestKey, (await sdk.collect()).protobuf)).status).toBe(200);
    expect(await signals(readKey, 'm-delta')).toEqual({ requests: 206, errors: 4 });
  });

  it('cumulative explicit histograms (the JS SDK default, JSON): diffed per series; a restart, a retry and a reset never double count', async () => {
    const { tenant, ingestKey, readKey } = await seedTenant();
    const sdk = sdkMetrics({ service: 'm-cum' });
    sdk.requests('/a', Array(50).fill(0.01));
    expect((await postMetrics(ingestKey, (await sdk.collect()).json, { encoding: 'json' })).status).toBe(200);
    sdk.requests('/a', Array(30).fill(0.02), { 'http.response.status_code': 500 });
    sdk.requests('/a', Array(5).fill(0.02));
    expect((await postMetrics(ingestKey, (await sdk.collect()).json, { encoding: 'json' })).status).toBe(200);
    expect(await signals(readKey, 'm-cum')).toEqual({ requests: 85, errors: 30 });

    // The object restarts: the last cumulative points come back from its storage.
    await restartObject(stub(tenant.id, 'm-cum'));
    sdk.requests('/a', Array(20).fill(0.03));
    const third = (await sdk.collect()).json;
    expect((await postMetrics(ingestKey, third, { encoding: 'json' })).status).toBe(200);
    expect(await signals(readKey, 'm-cum')).toEqual({ requests: 105, errors: 30 });
    // An SDK retry of the same body, before and after another restart.
    expect((await postMetrics(ingestKey, third, { encoding: 'json' })).status).toBe(200);
    await restartObject(stub(tenant.id, 'm-cum'));
    expect((await postMetrics(ingestKey, third, { encoding: 'json' })).status).toBe(200);
    // An export with nothing new changes nothing.
    expect((await postMetrics(ingestKey, (await sdk.collect()).json, { encoding: 'json' })).status).toBe(200);
    expect(await signals(readKey, 'm-cum')).toEqual({ requests: 105, errors: 30 });

    // The process restarts (a new start time, the same series): its counts start over.
    const restarted = sdkMetrics({ service: 'm-cum' });
    restarted.requests('/a', Array(7).fill(0.01));
    expect((await postMetrics(ingestKey, (await restarted.collect()).json, { encoding: 'json' })).status).toBe(200);
    expect(await signals(readKey, 'm-cum')).toEqual({ requests: 112, errors: 30 });
  });

  it('exponential histograms, cumulative across a rescale and delta: counts exact, percentiles within a bucket width', async () => {
    const { ingestKey, readKey } = await seedTenant();
    const sdk = sdkMetrics({ service: 'm-exp', exponential: true });
    const first = sample('lognormal', 300, 5).map((ms) => ms / 1000);
    const second = sample('pareto', 300, 6).map((ms) => ms / 1000);
    sdk.requests('/e', first);
    expect((await postMetrics(ingestKey, (await sdk.collect()).protobuf)).status).toBe(200);
    sdk.requests('/e', second);
    const body = await sdk.collect();
    expect((await postMetrics(ingestKey, body.protobuf)).status).toBe(200);
    expect(await signals(readKey, 'm-exp')).toEqual({ requests: 600, errors: 0 });

    const point = JSON.parse(new TextDecoder().decode(body.json)).resourceMetrics[0].scopeMetrics[0].metrics[0].exponentialHistogram.dataPoints[0];
    const base = 2 ** (2 ** -point.scale);
    const all = [...first, ...second].sort((a, b) => a - b);
    const [row] = await routes(readKey, 'm-exp');
    expect(row!.route).toBe('GET /e');
    for (const [q, got] of [[0.5, row!.p50], [0.95, row!.p95], [0.99, row!.p99]] as const) {
      const exact = lowerRank(all, q) * 1000;
      expect(Math.abs(got! - exact) / exact, `p${q * 100} at scale ${point.scale}`).toBeLessThanOrEqual(base - 1 + 0.011);
    }

    const delta = sdkMetrics({ service: 'm-exp-delta', exponential: true, temporality: 'delta' });
    delta.requests('/d', [0.001, 0.01, 0.1, 1]);
    delta.requests('/d', [0.5], { 'http.response.status_code': 502 });
    expect((await postMetrics(ingestKey, (await delta.collect()).protobuf)).status).toBe(200);
    expect(await signals(readKey, 'm-exp-delta')).toEqual({ requests: 5, errors: 1 });
  });

  it('the older http.server.duration (ms) with http.method / http.status_code, and bounds from min/max', async () => {
    const { ingestKey, readKey } = await seedTenant();
    const now = Date.now();
    const body = jsonMetrics('m-old', [
      jsonHistogram('http.server.duration', 'ms', 1, [
        { attrs: { 'http.method': 'GET', 'http.route': '/old', 'http.status_code': 500 }, start: now - 60_000, time: now - 1000, bounds: [10, 100], counts: [1, 2, 3], min: 5, max: 300 },
        { attrs: { 'http.method': 'GET', 'http.route': '/old', 'http.status_code': 200 }, start: now - 60_000, time: now - 1000, bounds: [10, 100], counts: [4, 0, 0], min: 2, max: 8 },
      ]),
    ]);
    expect((await postMetrics(ingestKey, body, { encoding: 'json' })).status).toBe(200);
    expect(await signals(readKey, 'm-old')).toEqual({ requests: 10, errors: 6 });
    const [row] = await routes(readKey, 'm-old');
    expect(row!.route).toBe('GET /old');
    // The overflow bucket (100, max 300] stands at 200; the first bucket of the 200s at (2 + 8) / 2.
    expect(row!.p99).toBeCloseTo(200, -1);
    expect(row!.p50).toBeGreaterThanOrEqual(5 * 0.99);
    expect(row!.p50).toBeLessThanOrEqual(10 * 1.01);
  });
});

describe('which source wins', () => {
  it('spans first: a histogram over the same requests is ignored', async () => {
    const { ingestKey, readKey } = await seedTenant();
    const now = Date.now();
    const spans = [5, 4, 3].map((s) => ({ route: '/p', status: 200, durationMs: 10, end: now - s * 1000 }));
    expect((await postTraces(ingestKey, otlpTraces('prec-spans', spans))).status).toBe(200);
    const hist = jsonHistogram('http.server.request.duration', 's', 1, [{ attrs: { 'http.request.method': 'GET', 'http.route': '/p' }, start: now - 60_000, time: now - 1000, bounds: [0.005, 0.025], counts: [0, 3, 0] }]);
    const res = await postMetrics(ingestKey, jsonMetrics('prec-spans', [hist]), { encoding: 'json' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({}); // ignored, not rejected
    expect(await signals(readKey, 'prec-spans')).toEqual({ requests: 3, errors: 0 });
  });

  it('histogram first: spans of the seconds it covered are dropped, later spans count, and then spans win', async () => {
    const { ingestKey, readKey } = await seedTenant();
    const t = Date.now() - 3000;
    const point = (start: number, time: number, n: number) =>
      jsonMetrics('prec-hist', [jsonHistogram('http.server.request.duration', 's', 1, [{ attrs: { 'http.request.method': 'GET', 'http.route': '/h' }, start, time, bounds: [0.005, 0.025], counts: [0, n, 0] }])]);
    expect((await postMetrics(ingestKey, point(t - 60_000, t, 10), { encoding: 'json' })).status).toBe(200);
    expect(await signals(readKey, 'prec-hist')).toEqual({ requests: 10, errors: 0 });
    const covered = [20, 10, 5, 1].map((s) => ({ route: '/h', durationMs: 10, end: t - s * 1000 }));
    const after = [1.5, 2, 2.5].map((s) => ({ route: '/h', durationMs: 10, end: t + s * 1000 }));
    expect((await postTraces(ingestKey, otlpTraces('prec-hist', [...covered, ...after]))).status).toBe(200);
    expect(await signals(readKey, 'prec-hist')).toEqual({ requests: 13, errors: 0 });
    // The next histogram point overlaps counted spans (and spans arrived within 5 minutes): ignored.
    expect((await postMetrics(ingestKey, point(t, Date.now(), 5), { encoding: 'json' })).status).toBe(200);
    expect(await signals(readKey, 'prec-hist')).toEqual({ requests: 13, errors: 0 });
  });
});

describe('bad input', () => {
  it('rejects bad data points with partial_success (count and the first reason) and keeps the rest', async () => {
    const { tenant, ingestKey, readKey } = await seedTenant();
    const now = Date.now();
    const nine = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`k${i}`, 'v']));
    const body = jsonMetrics('m-bad', [
      jsonGauge('queue.depth', [{ time: now - 1000, value: 3, attrs: { queue: 'mail' } }]),
      jsonHistogram('http.server.request.duration', 's', 1, [{ start: now - 60_000, time: now - 1000, bounds: [1, 2], counts: [1, 2] }]),
      jsonGauge('bad.value', [{ time: now - 1000, value: 'NaN' }]),
      jsonGauge('old.value', [{ time: now - 3600_000, value: 1 }]),
      jsonSum('no.temporality', 0, [{ time: now - 1000, value: 1 }, { time: now - 2000, value: 2 }]),
      jsonGauge('1bad', [{ time: now - 1000, value: 1 }]),
      jsonGauge('many.attrs', [{ time: now - 1000, value: 1, attrs: nine }]),
      jsonHistogram('http.server.request.duration', 'By', 1, [{ start: now - 60_000, time: now - 1000, bounds: [1], counts: [1, 0] }]),
    ]);
    const res = await postMetrics(ingestKey, body, { encoding: 'json' });
    expect(res.status).toBe(200);
    const ps = ((await res.json()) as { partialSuccess: { rejectedDataPoints: string; errorMessage: string } }).partialSuccess;
    expect(Number(ps.rejectedDataPoints)).toBe(8);
    expect(ps.errorMessage).toMatch(/^8 data points rejected; first: resourceMetrics\[0\]\.scopeMetrics\[0\]\.metrics\[1\]\.dataPoints\[0\]: 2 bucket counts for 2 bounds/);
    await listed(readKey, 'm-bad');
    const list = (await (await get(readKey, '/api/v1/services/m-bad/metrics')).json()) as ServiceMetricsList;
    expect(list.metrics.map((m) => m.name)).toEqual(['queue.depth']);
    expect((await stub(tenant.id, 'm-bad').metricsDebug()).histSeries).toBe(0);
  });

  it('answers body mistakes with 4xx google.rpc.Status, accepts gzip and an empty protobuf body', async () => {
    const { ingestKey, readKey } = await seedTenant();
    const bad = async (res: Response, status: number, message: RegExp) => {
      expect(res.status).toBe(status);
      const b = (await res.json()) as { code: number; message: string };
      expect(typeof b.code).toBe('number');
      expect(b.message).toMatch(message);
    };
    const json = { encoding: 'json' as const };
    await bad(await postMetrics(ingestKey, '{"resourceMetrics": [', json), 400, /json/i);
    await bad(await postMetrics(ingestKey, '{"resourceMetrics": [{"scopeMetrics": [{"metrics": [{"gauge": {"dataPoints": [{"asDouble": {}}]}}]}]}]}', json), 400, /asDouble/);
    await bad(await postMetrics(ingestKey, '{}', { headers: { 'content-type': 'text/plain' } }), 415, /content-type/i);
    await bad(await postMetrics(ingestKey, '{}', { ...json, headers: { 'content-encoding': 'br' } }), 415, /encoding/i);
    await bad(await postMetrics('mk_ingest_nope', '{}', json), 401, /key/i);
    await bad(await postMetrics(readKey, '{}', json), 403, /ingest/i);
    const bomb = gzipSync(Buffer.alloc(APM_LIMITS.maxBodyBytes + 1024, 32));
    await bad(await postMetrics(ingestKey, bomb, { ...json, headers: { 'content-encoding': 'gzip' } }), 413, /bytes/);
    const pb = await postMetrics(ingestKey, new Uint8Array([0x0a, 0xff, 0xff]));
    expect(pb.status).toBe(400);
    expect(pb.headers.get('content-type')).toBe('application/x-protobuf');

    const now = Date.now();
    const gz = gzipSync(jsonMetrics('m-gzip', [jsonGauge('g', [{ time: now - 1000, value: 1 }])]));
    expect((await postMetrics(ingestKey, gz, { ...json, headers: { 'content-encoding': 'gzip' } })).status).toBe(200);
    await listed(readKey, 'm-gzip');
    const empty = await postMetrics(ingestKey, new Uint8Array(0));
    expect(empty.status).toBe(200);
    expect(empty.headers.get('content-type')).toBe('application/x-protobuf');
  });
});
