// Anomaly and forecast rules end to end in workerd (issue #13): the same engine, outbox and
// channels as threshold rules; notifications read back from the local recorder (test/recorder.ts).
// First: schemas in protocol/ get `.openapi` only if @hono/zod-openapi loaded before them, and this
// file imports the service object (and so protocol/apm.ts) directly.
import '@hono/zod-openapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANOMALY_DEFAULTS } from './core/anomaly.ts';
import { ServiceObject } from './service/service.ts';
import { api, RECORDER, received, seedAdminTenant, uniq, waitFor, type Received } from '../test/alert-helpers.ts';
import { batch, post } from '../test/helpers.ts';
import { otlpTraces, postTraces, type TestSpan } from '../test/otlp.ts';

const S = 1000;
const MIN = 60 * S;
type Payload = { alerts: { status: string; value: number; metric: string; labels: Record<string, string>; rule: { name: string } }[] };
const payload = (r: Received) => JSON.parse(r.body) as Payload;
const settle = () => new Promise((r) => setTimeout(r, 400));

/** A tenant without the default rules, one webhook channel, and these rules. */
async function setup(rules: Record<string, unknown>[]) {
  const t = await seedAdminTenant(`Kinds ${uniq()}`);
  const { rules: defaults } = (await api<{ rules: { id: string }[] }>(t.readKey, 'GET', '/api/v1/alerts/rules')).body;
  for (const r of defaults) await api(t.adminKey, 'DELETE', `/api/v1/alerts/rules/${r.id}`);
  const path = `/wh/${uniq()}`;
  const ch = (await api<{ id: string }>(t.adminKey, 'POST', '/api/v1/alerts/channels', { name: 'hook', type: 'webhook', config: { url: `${RECORDER}${path}`, secret: `secret-${uniq()}-${uniq()}` } })).body;
  const created: Record<string, unknown>[] = [];
  for (const r of rules) {
    const res = await api<Record<string, unknown>>(t.adminKey, 'POST', '/api/v1/alerts/rules', { name: 'kind rule', severity: 'WARNING', for: 0, channel_ids: [ch.id], ...r });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    created.push(res.body);
  }
  const got = (n: number, timeoutMs = 15_000) => waitFor(() => received(path), (r) => r.length >= n, timeoutMs);
  return { t, path, got, created };
}

describe('forecast rules on host metrics', () => {
  const rule = { kind: 'forecast', name: 'disk full soon', metric: 'custom.fill', comparator: '>=', threshold: 95, window: 30 * MIN, horizon: 4 * 3600_000 };

  it('fire when the trend reaches the threshold within the horizon, seeded from the raw tier', async () => {
    const x = await setup([rule]);
    expect(x.created[0]).toMatchObject({ kind: 'forecast', horizon: 4 * 3600_000, window: 30 * MIN });
    // 12 minutes of a disk filling 0.1 %/min from 60 %: 95 % is ~5.8 h away, past the horizon.
    const host = `h-${uniq()}`;
    const now = Date.now();
    const at = (m: number, slope: number) => ({ ts: now - (12 - m) * MIN, metrics: { 'custom.fill': 60 + slope * m } });
    for (let m = 0; m < 12; m += 3) expect((await post(x.t.ingestKey, batch(host, [at(m, 0.1), at(m + 1, 0.1), at(m + 2, 0.1)]))).status).toBe(200);
    await settle();
    expect(await received(x.path)).toHaveLength(0);
    // Then a jump of 6 points within a minute: the fitted line now reaches 95 % well within 4 h.
    const fast = (ago: number, v: number) => ({ ts: now - ago * S, metrics: { 'custom.fill': v } });
    expect((await post(x.t.ingestKey, batch(host, [fast(40, 64), fast(20, 67)]))).status).toBe(200);
    const [first] = await x.got(1);
    const p = payload(first!);
    expect(p.alerts[0]).toMatchObject({ status: 'firing', metric: 'custom.fill', rule: { name: 'disk full soon' } });
    expect(p.alerts[0]!.value).toBeGreaterThanOrEqual(95);
  });

  it('a flat series does not fire, and a rule created after the samples is seeded from them', async () => {
    const host = `h-${uniq()}`;
    const now = Date.now();
    const t = await seedAdminTenant(`Kinds ${uniq()}`);
    // Samples first (no forecast rule yet), then the rule: its first evaluation fits the stored ones.
    const samples = Array.from({ length: 10 }, (_, m) => ({ ts: now - (10 - m) * MIN, metrics: { 'custom.fill': 50 + 4 * m } }));
    expect((await post(t.ingestKey, batch(host, samples))).status).toBe(200);
    const flatHost = `flat-${uniq()}`;
    expect((await post(t.ingestKey, batch(flatHost, samples.map((s) => ({ ...s, metrics: { 'custom.fill': 80 } }))))).status).toBe(200);
    const { rules: defaults } = (await api<{ rules: { id: string }[] }>(t.readKey, 'GET', '/api/v1/alerts/rules')).body;
    for (const r of defaults) await api(t.adminKey, 'DELETE', `/api/v1/alerts/rules/${r.id}`);
    const path = `/wh/${uniq()}`;
    const ch = (await api<{ id: string }>(t.adminKey, 'POST', '/api/v1/alerts/channels', { name: 'hook', type: 'webhook', config: { url: `${RECORDER}${path}`, secret: `secret-${uniq()}-${uniq()}` } })).body;
    expect((await api(t.adminKey, 'POST', '/api/v1/alerts/rules', { ...rule, severity: 'WARNING', channel_ids: [ch.id], for: 0 })).status).toBe(201);
    // One more sample each, on the same lines: only the rising host's trend reaches 95 % within 4 h.
    expect((await post(t.ingestKey, batch(flatHost, [{ ts: now - 30 * S, metrics: { 'custom.fill': 80 } }]))).status).toBe(200);
    expect((await post(t.ingestKey, batch(host, [{ ts: now - 30 * S, metrics: { 'custom.fill': 89.8 } }]))).status).toBe(200);
    const got = await waitFor(() => received(path), (r) => r.length >= 1);
    await settle();
    const all = (await received(path)).map(payload);
    expect(got.length).toBeGreaterThanOrEqual(1);
    expect(all).toHaveLength(1); // the flat host never fired
    expect(all[0]!.alerts[0]!.status).toBe('firing');
  });
});

const span = (o: Partial<TestSpan> & { durationMs: number; end: number }): TestSpan => ({ route: '/pay', status: 200, ...o });

describe('forecast rules on service signals', () => {
  it('P95 heading over 200 ms within 30 s fires; a steady P95 does not', async () => {
    const x = await setup([{ kind: 'forecast', name: 'p95 soon', metric: 'service.latency.p95', comparator: '>', threshold: 200, window: 120_000, horizon: 30_000 }]);
    const now = Date.now();
    const steady: TestSpan[] = [];
    const rising: TestSpan[] = [];
    for (let s = 120; s >= 2; s--)
      for (let i = 0; i < 4; i++) {
        steady.push(span({ durationMs: 50 + i, end: now - s * S }));
        rising.push(span({ durationMs: 50 + (120 - s) * 1.2 + i, end: now - s * S })); // ~190 ms by now
      }
    expect((await postTraces(x.t.ingestKey, otlpTraces(`steady-${uniq()}`, steady))).status).toBe(200);
    await settle();
    expect(await received(x.path)).toHaveLength(0);
    const service = `rising-${uniq()}`;
    expect((await postTraces(x.t.ingestKey, otlpTraces(service, rising))).status).toBe(200);
    const [first] = await x.got(1);
    const a = payload(first!).alerts[0]!;
    expect(a).toMatchObject({ status: 'firing', metric: 'service.latency.p95' });
    expect(a.value).toBeGreaterThan(200);
  });
});

describe('anomaly rules', () => {
  beforeAll(() => {
    // As in worker/routes/services/anomalies.test.ts: spans are taken only 15 minutes back, so
    // the 20-minute warm-up is shortened for the test.
    ServiceObject.anomalyOptions = { ...ANOMALY_DEFAULTS, warmupMinutes: 5 };
  });
  afterAll(() => {
    ServiceObject.anomalyOptions = ANOMALY_DEFAULTS;
  });

  /** 12 minutes of 3 requests a second at 8-12 ms; with `step`, the last 50 s at ~100 ms. */
  const traffic = (now: number, step: boolean): TestSpan[] => {
    const out: TestSpan[] = [];
    for (let s = 12 * 60; s >= 1; s--)
      for (let i = 0; i < 3; i++) {
        const base = 8 + ((s * 3 + i) % 5);
        out.push(span({ durationMs: step && s <= 50 ? base + 92 : base, end: now - s * S + i * 100 }));
      }
    return out;
  };

  it('fire on a step change in latency, not on steady noise', async () => {
    const x = await setup([{ kind: 'anomaly', name: 'p50 odd', metric: 'service.latency.p50', comparator: '>=', threshold: 3, window: 60_000 }]);
    expect((await postTraces(x.t.ingestKey, otlpTraces(`calm-${uniq()}`, traffic(Date.now(), false)))).status).toBe(200);
    await settle();
    expect(await received(x.path)).toHaveLength(0);
    expect((await postTraces(x.t.ingestKey, otlpTraces(`step-${uniq()}`, traffic(Date.now(), true)))).status).toBe(200);
    const [first] = await x.got(1);
    const a = payload(first!).alerts[0]!;
    expect(a).toMatchObject({ status: 'firing', metric: 'service.latency.p50', rule: { name: 'p50 odd' } });
    expect(a.value).toBeGreaterThanOrEqual(3);
  });
});

describe('anomaly and forecast rule checks', () => {
  it('name the field', async () => {
    const t = await seedAdminTenant(`Kinds ${uniq()}`);
    const base = { name: 'r', severity: 'WARNING', comparator: '>=', threshold: 3 };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...base, kind: 'anomaly', metric: 'cpu.usage.total' }, 'metric'],
      [{ ...base, kind: 'anomaly', metric: 'service.latency.p95', matchers: { route: '*' } }, 'matchers.route'],
      [{ ...base, kind: 'anomaly', metric: 'service.latency.p95', window: 120_000 }, 'window'],
      [{ ...base, kind: 'anomaly', metric: 'service.latency.p95', comparator: '<' }, 'comparator'],
      [{ ...base, kind: 'forecast', metric: 'disk.usage.percent', window: 3600_000 }, 'horizon'],
      [{ ...base, kind: 'forecast', metric: 'disk.usage.percent', horizon: 3600_000 }, 'window'],
      [{ ...base, kind: 'forecast', metric: 'disk.usage.percent', horizon: 3600_000, window: 48 * 3600_000 }, 'window'],
      [{ ...base, kind: 'forecast', metric: 'service.latency.p95', horizon: 30_000, window: 3600_000 }, 'window'],
      [{ ...base, kind: 'forecast', metric: 'host.up', horizon: 30_000, window: 600_000 }, 'metric'],
      [{ ...base, kind: 'forecast', metric: 'disk.usage.percent', comparator: '==', horizon: 30_000, window: 600_000 }, 'comparator'],
      [{ ...base, metric: 'disk.usage.percent', horizon: 30_000 }, 'horizon'],
    ];
    for (const [body, field] of cases) {
      const res = await api<{ error: { field: string } }>(t.adminKey, 'POST', '/api/v1/alerts/rules', body);
      expect(res.status, `${JSON.stringify(body)} → ${JSON.stringify(res.body)}`).toBe(400);
      expect(res.body.error.field, JSON.stringify(body)).toBe(field);
    }
    const ok = await api<Record<string, unknown>>(t.adminKey, 'POST', '/api/v1/alerts/rules', { ...base, kind: 'forecast', metric: 'disk.usage.percent', matchers: { mount: '/' }, comparator: '>=', threshold: 95, window: 3600_000, horizon: 4 * 3600_000 });
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ kind: 'forecast', window: 3600_000, horizon: 4 * 3600_000, repeat_interval: 5 * MIN });
    const svc = await api<Record<string, unknown>>(t.adminKey, 'POST', '/api/v1/alerts/rules', { ...base, kind: 'anomaly', metric: 'service.error_rate' });
    expect(svc.status).toBe(201);
    expect(svc.body).toMatchObject({ kind: 'anomaly', repeat_interval: MIN, horizon: null });
  });
});
