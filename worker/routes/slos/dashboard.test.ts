// The dashboard's two read routes in workerd: an SLO's good/total per bucket over its window
// (GET /api/v1/slos/{id}/history) and a draft rule's preview (POST /api/v1/alerts/rules/preview)
// for host, service, burn-rate, forecast and anomaly rules, from real spans and samples.
import { describe, expect, it } from 'vitest';
import { api, seedAdminTenant, uniq, waitFor } from '../../../test/alert-helpers.ts';
import { batch, post } from '../../../test/helpers.ts';
import { otlpTraces, postTraces } from '../../../test/otlp.ts';

type Hist = { step_ms: number; from: number; to: number; points: { ts: number; good: number; total: number }[] };
type Prev = { series: { host: string | null; service: string | null; labels: Record<string, string>; value: number; fires: boolean }[]; truncated: boolean };

async function setup() {
  const t = await seedAdminTenant(`Dash ${uniq()}`);
  const service = `svc-${uniq()}`;
  const slo = (await api<{ id: string }>(t.adminKey, 'POST', '/api/v1/slos', { name: 'avail', service, kind: 'availability', objective: 0.9, window_days: 7 })).body;
  // 10 requests on /a (2 errors) and 10 on /b (none).
  const spans = [...Array.from({ length: 10 }, (_, i) => ({ route: '/a', status: i < 2 ? 500 : 200, durationMs: 5, end: Date.now() - 500 })), ...Array.from({ length: 10 }, () => ({ route: '/b', status: 200, durationMs: 5, end: Date.now() - 500 }))];
  expect((await postTraces(t.ingestKey, otlpTraces(service, spans))).status).toBe(200);
  return { t, service, slo };
}

describe('GET /api/v1/slos/{id}/history', () => {
  it('buckets the exact counts over the window; a range outside it is a 400', async () => {
    const { t, slo } = await setup();
    const h = await waitFor(
      () => api<Hist>(t.readKey, 'GET', `/api/v1/slos/${slo.id}/history`).then((r) => r.body),
      (b) => b.points.length > 0,
    );
    expect(h.step_ms).toBe(3600_000); // 7 days in at most 500 buckets
    expect(h.points).toHaveLength(1);
    expect(h.points[0]).toMatchObject({ good: 18, total: 20 });
    expect(h.points[0]!.ts % 3600_000).toBe(0);
    const recent = (await api<Hist>(t.readKey, 'GET', `/api/v1/slos/${slo.id}/history?from=${Date.now() - 3600_000}`)).body;
    expect(recent.step_ms).toBe(60_000);
    expect(recent.points.reduce((s, p) => s + p.total, 0)).toBe(20);
    const bad = await api<{ error: { field: string } }>(t.readKey, 'GET', `/api/v1/slos/${slo.id}/history?from=${Date.now()}&to=${Date.now() - 1000}`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('to');
    expect((await api(t.readKey, 'GET', '/api/v1/slos/slo_nope/history')).status).toBe(404);
  });
});

describe('POST /api/v1/alerts/rules/preview', () => {
  it("service, route, burn-rate and host drafts: the series they select and whether each fires now", async () => {
    const { t, service, slo } = await setup();
    const preview = (body: Record<string, unknown>) => api<Prev>(t.readKey, 'POST', '/api/v1/alerts/rules/preview', body);
    const whole = await waitFor(() => preview({ metric: 'service.error_rate', comparator: '>', threshold: 0.05, matchers: { service } }), (r) => r.body.series.length > 0);
    expect(whole.status).toBe(200);
    expect(whole.body.series).toEqual([{ host: null, service, labels: {}, value: 0.1, fires: true }]);
    expect((await preview({ metric: 'service.error_rate', comparator: '>', threshold: 0.5, matchers: { service } })).body.series[0]!.fires).toBe(false);
    const routes = (await preview({ metric: 'service.error_rate', comparator: '>', threshold: 0.05, matchers: { service, route: '*' } })).body.series;
    expect(routes.map((s) => [s.labels.route, s.value, s.fires]).sort()).toEqual([['GET /a', 0.2, true], ['GET /b', 0, false]]);
    // Burn rate over 1 h and 5 m: error rate 0.1 against a 0.1 budget = 1x.
    const burn = (await preview({ kind: 'burn_rate', slo_id: slo.id, comparator: '>', threshold: 0.5, window: 3600_000, short_window: 300_000 })).body.series;
    expect(burn).toHaveLength(1);
    expect(burn[0]!.value).toBeCloseTo(1, 9);
    expect(burn[0]).toMatchObject({ service, labels: { slo: slo.id }, fires: true });
    // Host rules: each matching host's latest value.
    const host = `h-${uniq()}`;
    expect((await post(t.ingestKey, batch(host, [{ ts: Date.now() - 1000, metrics: { 'custom.temp': 60 } }]))).status).toBe(200);
    // The host is listed as the collect answers or just after (under load): wait for it.
    const hostRows = (await waitFor(() => preview({ metric: 'custom.temp', comparator: '>', threshold: 50, matchers: { host } }), (r) => r.body.series.length > 0)).body.series;
    expect(hostRows).toEqual([{ host, service: null, labels: {}, value: 60, fires: true }]);
    // The same 400s as creating the rule, naming the field; another organization's SLO is unknown.
    const other = await seedAdminTenant(`Other ${uniq()}`);
    for (const [key, body, field] of [
      [t.readKey, { metric: 'service.error_rate', comparator: '>', threshold: 5 }, 'threshold'],
      [t.readKey, { metric: 'service.latency.p95', comparator: '>', threshold: 1, matchers: { mount: '/' } }, 'matchers.mount'],
      [other.readKey, { kind: 'burn_rate', slo_id: slo.id, comparator: '>', threshold: 1, window: 3600_000, short_window: 300_000 }, 'slo_id'],
    ] as const) {
      const r = await api<{ error: { field: string } }>(key, 'POST', '/api/v1/alerts/rules/preview', body);
      expect(r.status, JSON.stringify(r.body)).toBe(400);
      expect(r.body.error.field).toBe(field);
    }
  });

  it('forecast drafts (a host metric from its raw tier, a service signal from its seconds) and anomaly drafts', async () => {
    const { t, service } = await setup();
    const preview = (body: Record<string, unknown>) => api<Prev>(t.readKey, 'POST', '/api/v1/alerts/rules/preview', body);
    // A disk filling 1 point a minute for 10 minutes up to 80 %: 95 % is ~15 min away, within 4 h.
    const MIN = 60_000;
    const now = Date.now();
    const rising = `rise-${uniq()}`;
    const flat = `flat-${uniq()}`;
    const at = (m: number, v: number) => ({ ts: now - (10 - m) * MIN, metrics: { 'custom.fill': v } });
    expect((await post(t.ingestKey, batch(rising, Array.from({ length: 10 }, (_, m) => at(m, 70 + m))))).status).toBe(200);
    expect((await post(t.ingestKey, batch(flat, Array.from({ length: 10 }, (_, m) => at(m, 70))))).status).toBe(200);
    const disk = { kind: 'forecast', metric: 'custom.fill', comparator: '>=', threshold: 95, window: 3600_000, horizon: 4 * 3600_000 };
    const hostRows = (await waitFor(() => preview(disk), (r) => r.body.series.length === 2)).body.series;
    const byHost = Object.fromEntries(hostRows.map((s) => [s.host, s]));
    expect(byHost[rising]!.fires).toBe(true);
    expect(byHost[rising]!.value).toBeGreaterThan(95); // the trend 4 h on
    expect(byHost[flat]).toMatchObject({ fires: false, service: null });
    expect(byHost[flat]!.value).toBeCloseTo(70, 6);
    // Service forecast: the setup's one second of traffic at 5 ms is too few points to fit; two
    // minutes of a P95 climbing ~1.2 ms/s to ~190 ms fit a line over 200 ms within 30 s.
    const climbing: { route: string; status: number; durationMs: number; end: number }[] = [];
    for (let s = 120; s >= 2; s--) for (let i = 0; i < 4; i++) climbing.push({ route: '/pay', status: 200, durationMs: 50 + (120 - s) * 1.2 + i, end: Date.now() - s * 1000 });
    const slow = `climb-${uniq()}`;
    expect((await postTraces(t.ingestKey, otlpTraces(slow, climbing))).status).toBe(200);
    const p95 = { kind: 'forecast', metric: 'service.latency.p95', comparator: '>', threshold: 200, window: 120_000, horizon: 30_000 };
    const svcRows = (await waitFor(() => preview({ ...p95, matchers: { service: slow } }), (r) => r.body.series.length > 0)).body.series;
    expect(svcRows).toHaveLength(1);
    expect(svcRows[0]).toMatchObject({ host: null, service: slow, labels: {}, fires: true });
    expect((await preview({ ...p95, threshold: 1000, matchers: { service: slow } })).body.series[0]!.fires).toBe(false);
    // Anomaly drafts go to the service objects too; in warm-up (minutes of traffic, not 20) no |z| yet.
    const odd = await preview({ kind: 'anomaly', metric: 'service.latency.p95', comparator: '>=', threshold: 3, window: 300_000, matchers: { service } });
    expect(odd.status).toBe(200);
    expect(odd.body).toEqual({ series: [], truncated: false });
    const bad = await api<{ error: { field: string } }>(t.readKey, 'POST', '/api/v1/alerts/rules/preview', { kind: 'anomaly', metric: 'service.latency.p95', comparator: '>=', threshold: 3, window: 120_000 });
    expect([bad.status, bad.body.error.field]).toEqual([400, 'window']);
  });
});
