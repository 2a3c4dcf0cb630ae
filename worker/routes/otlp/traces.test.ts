// POST /v1/traces through the real worker and service objects, and the service query API.
import { env, runDurableObjectAlarm, runInDurableObject, SELF } from 'cloudflare:test';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { APM_LIMITS, OTHER_ROUTE, type RoutesResponse, type ServiceSummary, type SignalsResponse } from '../../../protocol/apm.ts';
import type { ServiceObject } from '../../../durable-objects/service/service.ts';
import { waitFor } from '../../../test/alert-helpers.ts';
import { BASE, get, restartObject, seedTenant } from '../../../test/helpers.ts';
import { otlpTraces, postTraces, type TestSpan } from '../../../test/otlp.ts';
import { serviceObjectName } from '../../types.ts';

const stub = (tenantId: string, service: string) => env.SERVICES.getByName(serviceObjectName(tenantId, service));

/** The worker lists a new service in the background (worker/registry.ts): wait until it has. */
async function listed(key: string, service: string) {
  const res = await waitFor(() => get(key, `/api/v1/services/${encodeURIComponent(service)}/signals?points=2`), (r) => r.status !== 404);
  expect(res.status).toBe(200);
}

async function signals(key: string, service: string, query = '') {
  await listed(key, service);
  const res = await get(key, `/api/v1/services/${encodeURIComponent(service)}/signals?from=${Date.now() - 120_000}&points=200${query}`);
  expect(res.status).toBe(200);
  const body = (await res.json()) as SignalsResponse;
  const requests = body.points.reduce((a, p) => a + p.requests, 0);
  const errors = body.points.reduce((a, p) => a + p.errors, 0);
  return { body, requests, errors };
}

describe('POST /v1/traces', () => {
  it('counts server spans per route, errors as status ERROR or 5xx (not 4xx), and answers partial success for bad spans', async () => {
    const { tenant, ingestKey, readKey } = await seedTenant();
    const now = Date.now() - 2000;
    const spans: TestSpan[] = [
      { route: '/users/:id', status: 200, durationMs: 10, end: now },
      { route: '/users/:id', status: 503, durationMs: 20, end: now },
      { route: '/users/:id', status: 404, durationMs: 30, end: now },
      { route: '/cart', method: 'POST', status: 200, statusCode: 2, durationMs: 40, end: now },
      { route: '/cart', kind: 3, durationMs: 5, end: now }, // CLIENT: accepted, not a request
      { route: '/cart', durationMs: 5, end: now, traceId: 'xyz' }, // invalid trace id: rejected
    ];
    const res = await postTraces(ingestKey, otlpTraces('checkout', spans, { 'host.name': 'web-1' }));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    const body = (await res.json()) as { partialSuccess?: { rejectedSpans?: string | number; errorMessage?: string } };
    expect(Number(body.partialSuccess?.rejectedSpans)).toBe(1);
    expect(body.partialSuccess?.errorMessage).toMatch(/spans\[5\].*trace/i);

    const all = await signals(readKey, 'checkout');
    expect(all.requests).toBe(4);
    expect(all.errors).toBe(2);
    expect(all.body.tier).toBe('1s');
    const users = await signals(readKey, 'checkout', `&route=${encodeURIComponent('GET /users/:id')}`);
    expect([users.requests, users.errors]).toEqual([3, 1]);

    const routes = (await (await get(readKey, `/api/v1/services/checkout/routes?from=${now - 60_000}`)).json()) as RoutesResponse;
    expect(routes.routes.map((r) => [r.route, r.requests, r.errors])).toEqual([
      ['GET /users/:id', 3, 1],
      ['POST /cart', 1, 1],
    ]);
    // Percentiles within the sketch's 1 % of the exact values (10, 20, 30 ms).
    const u = routes.routes[0]!;
    expect(Math.abs(u.p50! - 20) / 20).toBeLessThanOrEqual(0.01);
    expect(u.p99!).toBeGreaterThanOrEqual(20 * 0.99);
    expect(u.p99!).toBeLessThanOrEqual(30 * 1.01);

    const list = (await (await get(readKey, '/api/v1/services')).json()) as { services: ServiceSummary[] };
    const svc = list.services.find((s) => s.name === 'checkout')!;
    expect(svc.rps).toBeCloseTo(4 / 60, 5);
    expect(svc.errorRate).toBe(0.5);
    expect(svc.status).toBe('critical');
    expect((await stub(tenant.id, 'checkout').stats()).hosts).toEqual(['web-1']);
  });

  it('counts a retried body once, survives a restart, and accepts protobuf, gzip and an empty protobuf body', async () => {
    const { tenant, ingestKey, readKey } = await seedTenant();
    const body = JSON.stringify(otlpTraces('retry-svc', [{ route: '/a', status: 200, durationMs: 5, end: Date.now() - 1000 }]));
    expect((await postTraces(ingestKey, null, { raw: body })).status).toBe(200);
    expect((await postTraces(ingestKey, null, { raw: gzipSync(body), headers: { 'content-encoding': 'gzip' } })).status).toBe(200);
    expect((await signals(readKey, 'retry-svc')).requests).toBe(1);
    await restartObject(stub(tenant.id, 'retry-svc'));
    expect((await signals(readKey, 'retry-svc')).requests).toBe(1);
    expect((await postTraces(ingestKey, null, { raw: body })).status).toBe(200);
    expect((await signals(readKey, 'retry-svc')).requests).toBe(1);

    const empty = await postTraces(ingestKey, null, { raw: new Uint8Array(0), headers: { 'content-type': 'application/x-protobuf' } });
    expect(empty.status).toBe(200);
    expect(empty.headers.get('content-type')).toBe('application/x-protobuf');
  });

  it('answers client mistakes with 4xx google.rpc.Status bodies, and counts nothing of them', async () => {
    const { ingestKey, readKey } = await seedTenant();
    const bad = async (res: Response, status: number, message: RegExp) => {
      expect(res.status).toBe(status);
      const b = (await res.json()) as { code: number; message: string };
      expect(typeof b.code).toBe('number');
      expect(b.message).toMatch(message);
    };
    await bad(await postTraces(ingestKey, null, { raw: '{"resourceSpans": [' }), 400, /json/i);
    await bad(await postTraces(ingestKey, null, { raw: '' }), 400, /empty/i);
    await bad(await postTraces(ingestKey, null, { raw: '{}', headers: { 'content-type': 'text/plain' } }), 415, /content-type/i);
    await bad(await postTraces(ingestKey, null, { raw: '{}', headers: { 'content-encoding': 'br' } }), 415, /encoding/i);
    await bad(await postTraces('mk_ingest_nope', otlpTraces('x', [])), 401, /key/i);
    await bad(await postTraces(readKey, otlpTraces('x', [])), 403, /ingest/i);
    const bomb = gzipSync(Buffer.alloc(APM_LIMITS.maxBodyBytes + 1024, 32));
    await bad(await postTraces(ingestKey, null, { raw: bomb, headers: { 'content-encoding': 'gzip' } }), 413, /bytes/);
    const pb = await postTraces(ingestKey, null, { raw: new Uint8Array([0x0a, 0xff, 0xff]), headers: { 'content-type': 'application/x-protobuf' } });
    expect(pb.status).toBe(400);
    expect(pb.headers.get('content-type')).toBe('application/x-protobuf');
    // Spans from a clock far off are rejected (partial success), not counted.
    const old = await postTraces(ingestKey, otlpTraces('clock-svc', [{ route: '/a', durationMs: 1, end: Date.now() - 3600_000 }]));
    expect(Number(((await old.json()) as { partialSuccess: { rejectedSpans: string } }).partialSuccess.rejectedSpans)).toBe(1);
    expect((await get(readKey, '/api/v1/services/clock-svc/signals')).status).toBe(404);
  });

  it('caps routes per service: the rest count under "other"', async () => {
    const { tenant, ingestKey, readKey } = await seedTenant();
    const end = Date.now() - 1000;
    const spans = Array.from({ length: APM_LIMITS.maxRoutesPerService + 5 }, (_, i) => ({ route: `/r${i}`, durationMs: 1, end }));
    expect((await postTraces(ingestKey, otlpTraces('many-routes', spans))).status).toBe(200);
    expect((await stub(tenant.id, 'many-routes').stats()).routes).toHaveLength(APM_LIMITS.maxRoutesPerService);
    await listed(readKey, 'many-routes');
    const routes = (await (await get(readKey, `/api/v1/services/many-routes/routes?from=${end - 60_000}`)).json()) as RoutesResponse;
    expect(routes.routes.find((r) => r.route === OTHER_ROUTE)?.requests).toBe(5);
    expect(routes.routes.reduce((a, r) => a + r.requests, 0)).toBe(spans.length);
  });

  it("keeps tenants apart: another organization cannot read or watch a service", async () => {
    const a = await seedTenant('A');
    const b = await seedTenant('B');
    await postTraces(a.ingestKey, otlpTraces('private-svc', [{ route: '/x', durationMs: 1, end: Date.now() - 1000 }]));
    await listed(a.readKey, 'private-svc');
    for (const path of ['signals', 'routes']) expect((await get(b.readKey, `/api/v1/services/private-svc/${path}`)).status).toBe(404);
    const live = await SELF.fetch(`${BASE}/api/v1/services/private-svc/live`, { headers: { authorization: `Bearer ${b.readKey}`, upgrade: 'websocket' } });
    expect(live.status).toBe(404);
    const list = (await (await get(b.readKey, '/api/v1/services')).json()) as { services: ServiceSummary[] };
    expect(list.services.map((s) => s.name)).not.toContain('private-svc');
  });
});

describe('service rollups', () => {
  it('flushes 1 m and 5 m rollups with sketches, and history over them equals the per-second counts', async () => {
    const { tenant, ingestKey, readKey } = await seedTenant();
    // Minutes that are complete and past the grace: 10 minutes ago, within the 15 accepted.
    const base = Math.floor((Date.now() - 10 * 60_000) / 300_000) * 300_000 + 1000;
    const spans = Array.from({ length: 50 }, (_, i) => ({ route: i % 2 ? '/a' : '/b', status: i % 10 === 0 ? 500 : 200, durationMs: 1 + i, end: base + i * 1000 }));
    expect((await postTraces(ingestKey, otlpTraces('rollup-svc', spans))).status).toBe(200);
    const s = stub(tenant.id, 'rollup-svc');
    await runInDurableObject(s, (obj: ServiceObject) => obj.flush(Date.now()));
    expect((await s.stats()).flushedUntil).toBeGreaterThan(base + 49_000);
    await listed(readKey, 'rollup-svc');
    // A range older than 15 minutes is served by the rollup tiers.
    const from = base - 20 * 60_000;
    const res = (await (await get(readKey, `/api/v1/services/rollup-svc/signals?from=${from}&to=${base + 300_000}&points=100`)).json()) as SignalsResponse;
    expect(res.tier).not.toBe('1s');
    expect(res.points.reduce((a, p) => a + p.requests, 0)).toBe(50);
    expect(res.points.reduce((a, p) => a + p.errors, 0)).toBe(5);
    const withData = res.points.filter((p) => p.requests > 0);
    expect(withData.every((p) => p.p99 !== null && p.p99 <= 50.5)).toBe(true);
    // Flushing again writes the same rows (idempotent).
    await runInDurableObject(s, (obj: ServiceObject) => obj.flush(Date.now()));
    const again = (await (await get(readKey, `/api/v1/services/rollup-svc/signals?from=${from}&to=${base + 300_000}&points=100`)).json()) as SignalsResponse;
    expect(again.points).toEqual(res.points);
    expect(await runDurableObjectAlarm(s)).toBeTypeOf('boolean');
  });
});
