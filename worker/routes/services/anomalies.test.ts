// Anomalies end to end in workerd: spans through POST /v1/traces, a step change in a service's
// latency flagged in its live stream and kept as a period in GET /api/v1/services/{service}/anomalies,
// across an object restart. The warm-up is shortened to 5 minutes here: spans are accepted only
// 15 minutes into the past, so a test cannot feed the default 20-minute warm-up in one go.
import { env, SELF } from 'cloudflare:test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANOMALY_DEFAULTS } from '../../../durable-objects/core/anomaly.ts';
import { ServiceObject } from '../../../durable-objects/service/service.ts';
import type { AnomaliesResponse, AnomalySnapshot } from '../../../protocol/anomalies.ts';
import { SERVICE_LIVE_PATH, type ServiceLiveMessage } from '../../../protocol/apm.ts';
import { BASE, get, restartObject, seedTenant } from '../../../test/helpers.ts';
import { LiveClient } from '../../../test/live-client.ts';
import { otlpTraces, postTraces, type TestSpan } from '../../../test/otlp.ts';
import { serviceObjectName } from '../../types.ts';

type Tenant = Awaited<ReturnType<typeof seedTenant>>;
let t: Tenant;
let seq = 0;

beforeAll(async () => {
  t = await seedTenant('Anomaly Org');
  ServiceObject.anomalyOptions = { ...ANOMALY_DEFAULTS, warmupMinutes: 5 };
});
afterAll(() => {
  ServiceObject.anomalyOptions = ANOMALY_DEFAULTS;
});

/**
 * 12 minutes of 3 requests a second at 8-12 ms up to `now`; with `step`, the last 50 seconds at
 * 95-105 ms instead. One request, so the object scores it all at once.
 */
function traffic(now: number, step: boolean): TestSpan[] {
  const spans: TestSpan[] = [];
  for (let s = 12 * 60; s >= 1; s--)
    for (let i = 0; i < 3; i++) {
      const base = 8 + ((s * 3 + i) % 5);
      spans.push({ route: '/pay', status: 200, durationMs: step && s <= 50 ? base + 92 : base, end: now - s * 1000 + i * 100 });
    }
  return spans;
}

const anomalies = async (service: string): Promise<AnomaliesResponse> => {
  const res = await get(t.readKey, `/api/v1/services/${encodeURIComponent(service)}/anomalies?from=${Date.now() - 3600_000}`);
  expect(res.status).toBe(200);
  return (await res.json()) as AnomaliesResponse;
};

const score = (s: AnomalySnapshot | null, signal: string, window: string) => s?.scores.find((x) => x.signal === signal && x.window === window);

async function subscribe(service: string): Promise<LiveClient> {
  const res = await SELF.fetch(`${BASE}${SERVICE_LIVE_PATH(service)}`, { headers: { upgrade: 'websocket', authorization: `Bearer ${t.readKey}` } });
  if (res.status !== 101 || !res.webSocket) throw new Error(`upgrade failed: ${res.status} ${await res.text()}`);
  return new LiveClient(res.webSocket);
}

describe('service anomalies', () => {
  it('steady traffic past the warm-up: every latency window scored, nothing flagged', async () => {
    const service = `anomaly-steady-${++seq}`;
    expect((await postTraces(t.ingestKey, otlpTraces(service, traffic(Date.now(), false)))).status).toBe(200);
    const a = await anomalies(service);
    expect(a.periods).toEqual([]);
    expect(a.current?.ready).toBe(true);
    expect(a.current!.baselineMinutes).toBeGreaterThanOrEqual(10);
    for (const w of ['1m', '5m', '15m']) {
      const p50 = score(a.current, 'p50', w)!;
      expect(p50.baseline, w).toBeGreaterThanOrEqual(8);
      expect(p50.baseline, w).toBeLessThanOrEqual(12);
      expect(Math.abs(p50.z!), w).toBeLessThan(3);
    }
    expect(a.current!.scores.filter((s) => s.flagged)).toEqual([]);
  });

  it('a step change in latency raises a flag in the live stream and a period in history, which survives a restart', async () => {
    const service = `anomaly-step-${++seq}`;
    const now = Date.now();
    expect((await postTraces(t.ingestKey, otlpTraces(service, traffic(now, true)))).status).toBe(200);

    // The live stream: the hello carries the flagged scores and the open period.
    const c = await subscribe(service);
    const hello = (await c.next()) as unknown as ServiceLiveMessage;
    if (hello.type !== 'hello') throw new Error(`expected hello, got ${hello.type}`);
    const p50 = score(hello.anomalies.current, 'p50', '1m')!;
    expect(p50).toMatchObject({ flagged: true });
    expect(p50.value).toBeGreaterThan(90);
    expect(p50.baseline).toBeLessThan(13);
    expect(p50.z).toBeGreaterThan(3);
    expect(score(hello.anomalies.current, 'p95', '1m')!.flagged).toBe(true);
    expect(score(hello.anomalies.current, 'rps', '1m')!.flagged).toBe(false); // traffic did not change
    const open = hello.anomalies.periods.find((p) => p.signal === 'p50' && p.window === '1m');
    expect(open).toMatchObject({ open: true });
    expect(open!.from).toBeGreaterThanOrEqual(Math.floor(now / 1000) * 1000);

    // More slow requests: the next push carries the flag and the same period.
    expect((await postTraces(t.ingestKey, otlpTraces(service, [{ route: '/pay', status: 200, durationMs: 100, end: Date.now() }]))).status).toBe(200);
    let push: ServiceLiveMessage;
    do push = (await c.next(8000)) as unknown as ServiceLiveMessage;
    while (push.type !== 'signals');
    expect(score(push.anomalies.current, 'p50', '1m')!.flagged).toBe(true);
    expect(push.anomalies.periods.find((p) => p.id === open!.id)).toMatchObject({ signal: 'p50', window: '1m', open: true });
    c.close();

    // History: the period is there, and still there after the object restarts.
    const h = await anomalies(service);
    expect(h.periods.find((p) => p.id === open!.id)).toMatchObject({ signal: 'p50', window: '1m', from: open!.from });
    expect(h.periods.every((p) => ['p50', 'p95', 'p99'].includes(p.signal))).toBe(true);
    await restartObject(env.SERVICES.getByName(serviceObjectName(t.tenant.id, service)));
    const after = await anomalies(service);
    expect(after.periods.find((p) => p.id === open!.id)).toMatchObject({ signal: 'p50', window: '1m', from: open!.from });
    // The baseline came back from storage too: the next evaluation is warm, not in warm-up again.
    expect((await postTraces(t.ingestKey, otlpTraces(service, [{ route: '/pay', status: 200, durationMs: 100, end: Date.now() }]))).status).toBe(200);
    const again = await anomalies(service);
    expect(again.current?.ready).toBe(true);
    expect(again.current!.baselineMinutes).toBeGreaterThanOrEqual(10);
  }, 30_000);

  it('answers 404 for a service the organization does not have and 400 for a reversed range', async () => {
    expect((await get(t.readKey, '/api/v1/services/never-seen-anomaly/anomalies')).status).toBe(404);
    const service = `anomaly-range-${++seq}`;
    await postTraces(t.ingestKey, otlpTraces(service, [{ route: '/a', durationMs: 1, end: Date.now() - 1000 }]));
    const bad = await get(t.readKey, `/api/v1/services/${service}/anomalies?from=2000&to=1000`);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('from');
  });
});
