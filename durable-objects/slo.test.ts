// SLOs end to end in workerd: exact good/total counted from spans (latency thresholds counted in
// the worker), the status API, restart safety, the live push, and a burn-rate page through the
// same engine and outbox as every alert.
import { env, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { SERVICE_LIVE_PATH, type ServiceLiveMessage } from '../protocol/apm.ts';
import type { SloStatus } from './core/slo.ts';
import { api, RECORDER, received, seedAdminTenant, uniq, waitFor } from '../test/alert-helpers.ts';
import { BASE, restartObject } from '../test/helpers.ts';
import { LiveClient } from '../test/live-client.ts';
import { otlpTraces, postTraces, type TestSpan } from '../test/otlp.ts';
import { serviceObjectName } from '../worker/types.ts';
import { LatencySketch } from './core/sketch.ts';

type Slo = { id: string; name: string; window_days: number };
type Rule = { id: string; kind: string; slo_id: string | null; threshold: number; window: number; short_window: number; severity: string };

async function tenant() {
  const t = await seedAdminTenant(`SLO ${uniq()}`);
  const { rules } = (await api<{ rules: { id: string }[] }>(t.readKey, 'GET', '/api/v1/alerts/rules')).body;
  for (const r of rules) await api(t.adminKey, 'DELETE', `/api/v1/alerts/rules/${r.id}`);
  return t;
}
const spans = (n: number, o: Partial<TestSpan> & { durationMs: number }): TestSpan[] => Array.from({ length: n }, () => ({ route: '/pay', status: 200, end: Date.now() - 300, ...o }));
const status = (key: string, id: string) => api<SloStatus>(key, 'GET', `/api/v1/slos/${id}/status`);

describe('SLOs', () => {
  it('counts good and total exactly, per latency threshold and per route, across a restart', async () => {
    const t = await tenant();
    const service = `pay-${uniq()}`;
    const mk = (b: Record<string, unknown>) => api<Slo>(t.adminKey, 'POST', '/api/v1/slos', { service, objective: 0.99, window_days: 28, burn_alerts: false, ...b });
    const lat = (await mk({ name: 'fast', kind: 'latency', threshold_ms: 100 })).body;
    const avail = (await mk({ name: 'up', kind: 'availability' })).body;
    const route = (await mk({ name: 'cart up', kind: 'availability', route: 'GET /cart' })).body;
    // 100.0 ms is good (at or under), 100.5 ms is not: exact, not the sketch's ~1 % buckets.
    const body = [...spans(50, { durationMs: 50 }), ...spans(7, { durationMs: 100 }), ...spans(23, { durationMs: 100.5 }), ...spans(20, { durationMs: 10, status: 500 }), ...spans(10, { route: '/cart', durationMs: 300, status: 503 }), ...spans(30, { route: '/cart', durationMs: 20 })];
    expect((await postTraces(t.ingestKey, otlpTraces(service, body))).status).toBe(200);
    const check = async () => {
      const l = (await status(t.readKey, lat.id)).body;
      expect([l.good, l.total]).toEqual([50 + 7 + 20 + 30, 140]);
      const a = (await status(t.readKey, avail.id)).body;
      expect([a.good, a.total]).toEqual([110, 140]);
      expect(a.sli).toBeCloseTo(110 / 140, 12);
      expect(a.budgetRequests).toBeCloseTo(1.4, 12);
      expect(a.budgetRemainingRequests).toBeCloseTo(1.4 - 30, 12);
      expect(a.status).toBe('exhausted');
      expect(a.burnRates['5m']).toBeCloseTo(30 / 140 / 0.01, 9);
      const r = (await status(t.readKey, route.id)).body;
      expect([r.good, r.total]).toEqual([30, 40]);
    };
    await waitFor(() => status(t.readKey, avail.id), (s) => s.status === 200 && s.body.total === 140);
    await check();
    await restartObject(env.SERVICES.getByName(serviceObjectName(t.tenant.id, service)));
    await check();
    // Another organization sees none of it.
    const b = await tenant();
    expect((await status(b.readKey, avail.id)).status).toBe(404);
    expect((await api<{ slos: unknown[] }>(b.readKey, 'GET', '/api/v1/slos')).body.slos).toEqual([]);
  });

  it('a batch counted without a threshold the object needs is refused until counted with it', async () => {
    const t = await tenant();
    const service = `thr-${uniq()}`;
    expect((await postTraces(t.ingestKey, otlpTraces(service, spans(1, { durationMs: 5 })))).status).toBe(200);
    const slo = (await api<Slo>(t.adminKey, 'POST', '/api/v1/slos', { name: 'fast', service, kind: 'latency', threshold_ms: 42, objective: 0.9, window_days: 7, burn_alerts: false })).body;
    const stub = env.SERVICES.getByName(serviceObjectName(t.tenant.id, service));
    await waitFor(() => stub.sloStatus(slo.id), (s) => s !== null);
    const sk = new LatencySketch();
    sk.add(10);
    const entry = { sec: Math.floor(Date.now() / 1000), route: 'GET /pay', count: 1, errors: 0, sketch: sk.toWire() };
    // As from an isolate whose cached config predates the SLO: no `le` at 42 ms.
    const r = await stub.ingest(t.tenant.id, { batchId: `x-${uniq()}`, service, hosts: [], entries: [entry] });
    expect(r).toMatchObject({ accepted: 0, needThresholds: [42] });
    const ok = await stub.ingest(t.tenant.id, { batchId: `y-${uniq()}`, service, hosts: [], entries: [{ ...entry, le: { '42': 1 } }], thresholds: [42] });
    expect(ok.accepted).toBe(1);
    expect((await status(t.readKey, slo.id)).body).toMatchObject({ good: 1, total: 1 });
  });

  it('creates the workbook burn-rate rules scaled to the window, and a fast burn pages once through the webhook', async () => {
    const t = await tenant();
    const path = `/wh/${uniq()}`;
    const ch = (await api<{ id: string }>(t.adminKey, 'POST', '/api/v1/alerts/channels', { name: 'hook', type: 'webhook', config: { url: `${RECORDER}${path}`, secret: `secret-${uniq()}-${uniq()}` } })).body;
    const service = `burn-${uniq()}`;
    const slo = (await api<Slo>(t.adminKey, 'POST', '/api/v1/slos', { name: 'checkout up', service, kind: 'availability', objective: 0.999, window_days: 7, channel_ids: [ch.id] })).body;
    const rules = (await api<{ rules: Rule[] }>(t.readKey, 'GET', '/api/v1/alerts/rules')).body.rules.filter((r) => r.slo_id === slo.id);
    rules.sort((a, b) => b.threshold - a.threshold);
    expect(rules.map((r) => [r.kind, r.threshold, r.window / 1000, r.short_window / 1000, r.severity])).toEqual([
      ['burn_rate', 14.4, 840, 70, 'CRITICAL'],
      ['burn_rate', 6, 5040, 420, 'CRITICAL'],
      ['burn_rate', 3, 20160, 1680, 'WARNING'],
      ['burn_rate', 1, 60480, 5040, 'WARNING'],
    ]);
    // Healthy, then 2 % errors: a burn of 20 over every window, above all four factors.
    expect((await postTraces(t.ingestKey, otlpTraces(service, spans(1000, { durationMs: 5 })))).status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect(await received(path)).toHaveLength(0);
    expect((await postTraces(t.ingestKey, otlpTraces(service, [...spans(960, { durationMs: 5 }), ...spans(40, { durationMs: 5, status: 500 })]))).status).toBe(200);
    const [msg] = await waitFor(() => received(path), (r) => r.length >= 1);
    const p = JSON.parse(msg!.body) as { service: { name: string }; alerts: { status: string; metric: string; threshold: number; value: number; labels: Record<string, string> }[] };
    expect(p.service.name).toBe(service);
    expect(p.alerts.map((a) => a.threshold).sort((a, b) => a - b)).toEqual([1, 3, 6, 14.4]);
    for (const a of p.alerts) expect(a).toMatchObject({ status: 'firing', metric: 'slo.burn_rate', labels: { slo: slo.id } });
    expect(p.alerts[0]!.value).toBeCloseTo(40 / 2000 / 0.001, 6);
    await new Promise((r) => setTimeout(r, 500));
    expect(await received(path)).toHaveLength(1); // one notification for the four, sent once
    const st = (await status(t.readKey, slo.id)).body;
    expect(st.burnRates['1h']).toBeCloseTo(20, 6);
    // A new window rescales the SLO's workbook rules; every write is audited.
    expect((await api(t.adminKey, 'PATCH', `/api/v1/slos/${slo.id}`, { window_days: 28 })).status).toBe(200);
    const rescaled = (await api<{ rules: Rule[] }>(t.readKey, 'GET', '/api/v1/alerts/rules')).body.rules.filter((r) => r.slo_id === slo.id).sort((a, b) => b.threshold - a.threshold);
    expect(rescaled.map((r) => [r.window / 1000, r.short_window / 1000])).toEqual([
      [3360, 280],
      [20160, 1680],
      [80640, 6720],
      [241920, 20160],
    ]);
    // Deleting the SLO deletes its rules too.
    expect((await api(t.adminKey, 'DELETE', `/api/v1/slos/${slo.id}`)).status).toBe(204);
    expect((await api<{ rules: Rule[] }>(t.readKey, 'GET', '/api/v1/alerts/rules')).body.rules.filter((r) => r.slo_id === slo.id)).toEqual([]);
    expect((await api(t.readKey, 'GET', `/api/v1/slos/${slo.id}`)).status).toBe(404);
    const audit = (await api<{ entries: { action: string }[] }>(t.adminKey, 'GET', '/api/v1/audit?limit=100')).body.entries.map((e) => e.action);
    expect(audit.filter((a) => a.startsWith('slo.'))).toEqual(['slo.delete', 'slo.update', 'slo.create']);
  });

  it('a burn-rate alert resolves from the alarm once its short window recovers, with no more traffic, while the long window still burns', async () => {
    const t = await tenant();
    const path = `/wh/${uniq()}`;
    const ch = (await api<{ id: string }>(t.adminKey, 'POST', '/api/v1/alerts/channels', { name: 'hook', type: 'webhook', config: { url: `${RECORDER}${path}`, secret: `secret-${uniq()}-${uniq()}` } })).body;
    const service = `short-${uniq()}`;
    const slo = (await api<Slo>(t.adminKey, 'POST', '/api/v1/slos', { name: 'up', service, kind: 'availability', objective: 0.99, window_days: 7, burn_alerts: false })).body;
    const rule = await api(t.adminKey, 'POST', '/api/v1/alerts/rules', { name: 'fast burn', kind: 'burn_rate', slo_id: slo.id, comparator: '>', threshold: 10, window: 60_000, short_window: 2000, severity: 'CRITICAL', channel_ids: [ch.id] });
    expect(rule.status).toBe(201);
    // Half errors against a 1 % budget: 50x over both windows.
    expect((await postTraces(t.ingestKey, otlpTraces(service, [...spans(10, { durationMs: 5, end: Date.now() - 200 }), ...spans(10, { durationMs: 5, status: 500, end: Date.now() - 200 })]))).status).toBe(200);
    const [fired] = await waitFor(() => received(path), (r) => r.length >= 1);
    const a = (JSON.parse(fired!.body) as { alerts: { id: string; status: string; value: number }[] }).alerts[0]!;
    expect(a).toMatchObject({ status: 'firing' });
    expect(a.value).toBeCloseTo(50, 6);
    const both = await waitFor(() => received(path), (r) => r.length >= 2);
    const r = (JSON.parse(both[1]!.body) as { alerts: { id: string; status: string; startedAt: number; resolvedAt: number }[] }).alerts[0]!;
    expect(r).toMatchObject({ id: a.id, status: 'resolved' });
    expect(r.resolvedAt - r.startedAt).toBeGreaterThanOrEqual(2000);
    expect(r.resolvedAt - r.startedAt).toBeLessThan(60_000);
    // The long window alone would still fire: it is the short one that resolved it.
    expect((await status(t.readKey, slo.id)).body.burnRates['5m']).toBeCloseTo(50, 6);
  });

  it('pushes each SLO status on the live socket', async () => {
    const t = await tenant();
    const service = `live-${uniq()}`;
    expect((await postTraces(t.ingestKey, otlpTraces(service, spans(3, { durationMs: 5 })))).status).toBe(200);
    const slo = (await api<Slo>(t.adminKey, 'POST', '/api/v1/slos', { name: 'up', service, kind: 'availability', objective: 0.99, window_days: 30, burn_alerts: false })).body;
    await waitFor(() => status(t.readKey, slo.id), (s) => s.body.status !== undefined && s.status === 200);
    const res = await SELF.fetch(`${BASE}${SERVICE_LIVE_PATH(service)}`, { headers: { upgrade: 'websocket', authorization: `Bearer ${t.readKey}` } });
    expect(res.status).toBe(101);
    const c = new LiveClient(res.webSocket!);
    const hello = (await c.next()) as unknown as ServiceLiveMessage;
    expect(hello.type).toBe('hello');
    expect(hello.type === 'hello' && hello.slos?.map((s) => s.id)).toEqual([slo.id]);
    expect((await postTraces(t.ingestKey, otlpTraces(service, [...spans(8, { durationMs: 5 }), ...spans(2, { durationMs: 5, status: 500 })]))).status).toBe(200);
    let m = (await c.next()) as unknown as ServiceLiveMessage;
    while (m.type !== 'signals') m = (await c.next()) as unknown as ServiceLiveMessage;
    expect(m.slos).toHaveLength(1);
    expect(m.slos![0]).toMatchObject({ id: slo.id, good: 8, total: 10 });
    c.ws.close();
  });
});
