// The demo server without telemetry (the OpenTelemetry API is a no-op until an SDK starts):
// routes, the health check, and the fault switch issue #13 needs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type DemoServer } from './server.ts';

let server: DemoServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server?.close());

const call = async (method: string, path: string, body?: string) => {
  const res = await fetch(`${server.url}${path}`, { method, ...(body !== undefined ? { body } : {}) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe('the demo server', () => {
  it('answers its routes, unknown users 404 and unknown paths 404', async () => {
    expect(await call('GET', '/api/users/7')).toEqual({ status: 200, body: { route: '/api/users/{id}', params: { id: '7' } } });
    expect((await call('GET', '/api/users/5000')).status).toBe(404);
    expect((await call('POST', '/api/orders', '{"item":"sku-1"}')).status).toBe(200);
    expect((await call('GET', '/nope')).status).toBe(404);
    expect(await call('GET', '/health')).toEqual({ status: 200, body: { ok: true } });
  });

  it('breaks a route on demand and mends it', async () => {
    const put = await call('PUT', '/_demo/faults', JSON.stringify({ route: 'GET /api/users', errorRate: 1, extraLatencyMs: 50 }));
    expect(put).toEqual({ status: 200, body: { faults: { 'GET /api/users': { errorRate: 1, extraLatencyMs: 50 } } } });
    const t0 = performance.now();
    expect((await call('GET', '/api/users')).status).toBe(500);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(50);
    expect((await call('GET', '/api/users/7')).status).toBe(200); // other routes untouched
    expect(await call('DELETE', '/_demo/faults')).toEqual({ status: 200, body: { faults: {} } });
    expect((await call('GET', '/api/users')).status).toBe(200);
  });

  it('refuses a bad fault with a 400 naming what is wrong', async () => {
    expect(await call('PUT', '/_demo/faults', '{"route":"GET /nope","errorRate":1}')).toMatchObject({ status: 400, body: { error: expect.stringMatching(/no route "GET \/nope"/) } });
    expect(await call('PUT', '/_demo/faults', '{"route":"GET /api/users","errorRate":2}')).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^errorRate: /) } });
    expect(await call('PUT', '/_demo/faults', '{"route":"GET /api/users","slow":true}')).toMatchObject({ status: 400, body: { error: expect.stringMatching(/slow/) } });
    expect(await call('PUT', '/_demo/faults', 'not json')).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^body is not JSON/) } });
    expect((await call('POST', '/_demo/faults', '{}')).status).toBe(405);
    expect(await call('GET', '/_demo/faults')).toEqual({ status: 200, body: { faults: {} } });
  });
});
