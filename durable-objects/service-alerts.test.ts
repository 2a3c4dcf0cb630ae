// Service rules and SLO burn-rate alerts end to end in workerd: spans in through POST /v1/traces,
// evaluated by the service object as each batch is stored, notifications out at the recorder
// (test/recorder.ts) through the same engine, outbox and history as host alerts.
import { env, runDurableObjectAlarm } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { api, RECORDER, received, seedAdminTenant, uniq, waitFor, type Received } from '../test/alert-helpers.ts';
import { restartObject } from '../test/helpers.ts';
import { otlpTraces, postTraces, type TestSpan } from '../test/otlp.ts';
import { serviceObjectName } from '../worker/types.ts';

const S = 1000;
type Payload = { host: unknown; service: { name: string } | null; alerts: { id: string; status: string; repeat: boolean; value: number; metric: string; rule: { name: string }; labels: Record<string, string> }[] };
type Alert = { id: string; status: string; notified: string; host: string | null; service: string | null; labels: Record<string, string>; value: number };
const payload = (r: Received) => JSON.parse(r.body) as Payload;
const settle = () => new Promise((r) => setTimeout(r, 300));

async function setup(rules: Record<string, unknown>[]) {
  const t = await seedAdminTenant(`Svc ${uniq()}`);
  const { rules: defaults } = (await api<{ rules: { id: string }[] }>(t.readKey, 'GET', '/api/v1/alerts/rules')).body;
  for (const r of defaults) await api(t.adminKey, 'DELETE', `/api/v1/alerts/rules/${r.id}`);
  const path = `/wh/${uniq()}`;
  const ch = (await api<{ id: string }>(t.adminKey, 'POST', '/api/v1/alerts/channels', { name: 'hook', type: 'webhook', config: { url: `${RECORDER}${path}`, secret: `secret-${uniq()}-${uniq()}` } })).body;
  const ruleIds: string[] = [];
  for (const r of rules) {
    const res = await api<{ id: string; repeat_interval: number }>(t.adminKey, 'POST', '/api/v1/alerts/rules', { name: 'svc rule', severity: 'CRITICAL', channel_ids: [ch.id], ...r });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.repeat_interval).toBe(60_000); // service rules: 1 minute by default
    ruleIds.push(res.body.id);
  }
  const service = `svc-${uniq()}`;
  const send = async (spans: TestSpan[]) => {
    const res = await postTraces(t.ingestKey, otlpTraces(service, spans));
    expect(res.status).toBe(200);
  };
  const got = (n: number, timeoutMs = 15_000) => waitFor(() => received(path), (r) => r.length >= n, timeoutMs);
  const alerts = () => api<{ firing: Alert[]; history: Alert[] }>(t.readKey, 'GET', `/api/v1/alerts?service=${service}`).then((r) => r.body);
  const stub = () => env.SERVICES.getByName(serviceObjectName(t.tenant.id, service));
  return { t, ch, path, service, send, got, alerts, stub, ruleIds };
}

const spans = (n: number, o: Partial<TestSpan> & { durationMs: number }): TestSpan[] => Array.from({ length: n }, () => ({ route: '/orders', status: 200, end: Date.now() - 500, ...o }));

describe('service threshold rules', () => {
  it('a P95 rule on route "*" fires on the breaching batch, for the route that breached', async () => {
    const x = await setup([{ name: 'p95 slow', metric: 'service.latency.p95', matchers: { route: '*' }, comparator: '>', threshold: 200, window: 60_000 }]);
    await x.send([...spans(20, { durationMs: 20 }), ...spans(20, { route: '/cart', durationMs: 30 })]);
    await settle();
    expect(await received(x.path)).toHaveLength(0);
    await x.send(spans(40, { route: '/cart', durationMs: 900 })); // /cart's p95 over the minute: ~900 ms
    const [first] = await x.got(1);
    const p = payload(first!);
    expect(p.service).toEqual({ name: x.service });
    expect(p.host).toBeNull();
    expect(p.alerts).toHaveLength(1);
    expect(p.alerts[0]).toMatchObject({ status: 'firing', metric: 'service.latency.p95', labels: { route: 'GET /cart' }, rule: { name: 'p95 slow' } });
    expect(p.alerts[0]!.value).toBeGreaterThan(850);
    const h = await waitFor(x.alerts, (a) => a.firing.length === 1 && a.firing[0]!.notified === 'sent');
    expect(h.firing[0]).toMatchObject({ service: x.service, host: null, labels: { route: 'GET /cart' } });
    // Host filters do not show it; the service filter does.
    expect((await api<{ firing: Alert[] }>(x.t.readKey, 'GET', '/api/v1/alerts?subject=host')).body.firing).toEqual([]);
  });

  it('P50 and P99 rules: the tail fires P99 only', async () => {
    const x = await setup([
      { name: 'p50 slow', metric: 'service.latency.p50', comparator: '>', threshold: 500, window: 60_000 },
      { name: 'p99 slow', metric: 'service.latency.p99', comparator: '>', threshold: 500, window: 60_000 },
    ]);
    // 95 fast requests and 5 at ~900 ms: the median is fast, the 99th percentile is in the tail.
    await x.send([...spans(95, { durationMs: 10 }), ...spans(5, { durationMs: 900 })]);
    const [first] = await x.got(1);
    await settle();
    expect(await received(x.path)).toHaveLength(1);
    const p = payload(first!);
    expect(p.alerts.map((a) => [a.rule.name, a.metric])).toEqual([['p99 slow', 'service.latency.p99']]);
    expect(p.alerts[0]!.value).toBeGreaterThan(850);
  });

  it('an error-rate rule: a restart neither re-sends nor forgets, and the resolve goes out once', async () => {
    const x = await setup([{ name: 'errors', metric: 'service.error_rate', comparator: '>', threshold: 0.2, window: 2000 }]);
    await x.send([...spans(5, { durationMs: 5 }), ...spans(5, { durationMs: 5, status: 503 })]);
    const [first] = await x.got(1);
    expect(payload(first!).alerts[0]).toMatchObject({ status: 'firing', labels: {} });
    expect(payload(first!).alerts[0]!.value).toBeCloseTo(0.5, 9);
    await restartObject(x.stub());
    await x.send(spans(5, { durationMs: 5, status: 500 })); // still firing: within the repeat interval, no notice
    await settle();
    expect(await received(x.path)).toHaveLength(1);
    await restartObject(x.stub());
    await new Promise((r) => setTimeout(r, 2500)); // the errors leave the 2 s window
    await x.send(spans(20, { durationMs: 5 }));
    const all = await x.got(2);
    expect(payload(all[1]!).alerts[0]).toMatchObject({ id: payload(first!).alerts[0]!.id, status: 'resolved' });
    await settle();
    expect(await received(x.path)).toHaveLength(2);
    const h = await waitFor(x.alerts, (a) => a.history[0]?.status === 'RESOLVED');
    expect(h.history).toHaveLength(1);
  });

  it('`for` holds the first breaching batch back; `keep_firing_for` holds through a healthy batch and then resolves without traffic', async () => {
    const x = await setup([{ name: 'errors held', metric: 'service.error_rate', comparator: '>', threshold: 0.2, window: 2000, for: 1000, keep_firing_for: 10_000 }]);
    await x.send([...spans(5, { durationMs: 5, end: Date.now() - 300 }), ...spans(5, { durationMs: 5, status: 503, end: Date.now() - 300 })]);
    await settle();
    expect(await received(x.path)).toHaveLength(0); // pending: the condition has held for less than `for`
    await new Promise((r) => setTimeout(r, 1100));
    await x.send(spans(5, { durationMs: 5, status: 500, end: Date.now() - 300 }));
    const [first] = await x.got(1);
    const fired = payload(first!).alerts[0]!;
    expect(fired).toMatchObject({ status: 'firing', metric: 'service.error_rate' });
    // The errors leave the 2 s window; a healthy batch clears the condition, keep_firing_for holds the alert.
    await new Promise((r) => setTimeout(r, 3000));
    await x.send(spans(20, { durationMs: 5, end: Date.now() - 300 }));
    await settle();
    expect(await received(x.path)).toHaveLength(1);
    expect((await x.alerts()).firing).toHaveLength(1);
    // No more traffic: the object's alarm resolves it once keep_firing_for has run out (the last
    // batch's window has emptied seconds before that, with the alert still held).
    const all = await x.got(2);
    const resolved = payload(all[1]!).alerts[0]! as unknown as { id: string; status: string; startedAt: number; resolvedAt: number };
    expect(resolved).toMatchObject({ id: fired.id, status: 'resolved' });
    expect(resolved.resolvedAt - resolved.startedAt).toBeGreaterThanOrEqual(10_000);
  });

  it('a silence on {service} mutes a service alert, which is still recorded; one on another service does not', async () => {
    const x = await setup([{ name: 'errors muted', metric: 'service.error_rate', comparator: '>', threshold: 0.2, window: 5000 }]);
    const silence = (service: string) => api(x.t.adminKey, 'POST', '/api/v1/alerts/silences', { matchers: { service }, starts_at: Date.now() - 1000, ends_at: Date.now() + 3600_000 });
    expect((await silence(x.service)).status).toBe(201);
    await x.send([...spans(5, { durationMs: 5 }), ...spans(5, { durationMs: 5, status: 500 })]);
    const muted = await waitFor(x.alerts, (a) => a.firing.length === 1);
    expect(muted.firing[0]).toMatchObject({ service: x.service, notified: 'silenced' });
    await settle();
    expect(await received(x.path)).toHaveLength(0);
    // The same rule on a service the silence does not name notifies.
    const other = `other-${uniq()}`;
    expect((await postTraces(x.t.ingestKey, otlpTraces(other, spans(4, { durationMs: 5, status: 500 })))).status).toBe(200);
    const [msg] = await x.got(1);
    expect(payload(msg!).service).toEqual({ name: other });
  });

  it('a latency rule on a service that goes quiet resolves once its window empties (no requests, no latency), held by keep_firing_for', async () => {
    const x = await setup([
      { name: 'slow route', metric: 'service.latency.p95', comparator: '>', threshold: 200, window: 2000, matchers: { route: '*' } },
      { name: 'slow held', metric: 'service.latency.p95', comparator: '>', threshold: 200, window: 2000, keep_firing_for: 8000 },
    ]);
    await x.send(spans(10, { durationMs: 400, end: Date.now() - 100 }));
    const [fired] = await x.got(1);
    const ids = payload(fired!).alerts.map((a) => a.id);
    expect(payload(fired!).alerts.map((a) => a.rule.name).sort()).toEqual(['slow held', 'slow route']);
    // No more traffic: at the quiet check (window + 1 s) the route's series has no value and resolves,
    // and a restart first shows the object still knows the state.
    await restartObject(x.stub());
    await new Promise((r) => setTimeout(r, 3200));
    await runDurableObjectAlarm(x.stub());
    const two = await x.got(2);
    expect(payload(two[1]!).alerts).toEqual([expect.objectContaining({ id: ids[payload(fired!).alerts.findIndex((a) => a.rule.name === 'slow route')], status: 'resolved', labels: { route: 'GET /orders' } })]);
    expect((await x.alerts()).firing.map((a) => a.id)).toHaveLength(1); // the held one
    // keep_firing_for runs out 8 s after the last breach: the alarm set for it resolves the other one, once.
    const three = await waitFor(async () => { await runDurableObjectAlarm(x.stub()); return received(x.path); }, (r) => r.length >= 3, 15_000);
    expect(payload(three[2]!).alerts).toEqual([expect.objectContaining({ status: 'resolved', metric: 'service.latency.p95' })]);
    const resolved = payload(three[2]!).alerts[0]! as unknown as { startedAt: number; resolvedAt: number };
    expect(resolved.resolvedAt - resolved.startedAt).toBeGreaterThanOrEqual(8000);
    expect((await x.alerts()).firing).toHaveLength(0);
    await settle();
    expect(await received(x.path)).toHaveLength(3);
  });

  it('traffic dropping to zero: a request-rate rule fires from the alarm (no batch arrives to tell)', async () => {
    const x = await setup([{ name: 'service down', metric: 'service.request_rate', comparator: '<', threshold: 0.5, window: 2000 }]);
    await x.send(spans(10, { durationMs: 5, end: Date.now() }));
    await settle();
    expect(await received(x.path)).toHaveLength(0);
    await restartObject(x.stub()); // the alarm wakes a fresh object, which still knows when traffic stopped
    await new Promise((r) => setTimeout(r, 3200));
    await runDurableObjectAlarm(x.stub());
    const [down] = await x.got(1);
    expect(payload(down!).alerts[0]).toMatchObject({ status: 'firing', metric: 'service.request_rate', value: 0 });
    await x.send(spans(10, { durationMs: 5, end: Date.now() }));
    const both = await x.got(2);
    expect(payload(both[1]!).alerts[0]!.status).toBe('resolved');
  });
});

describe('rule and SLO validation names the field', () => {
  it('4xx with the field, never 5xx', async () => {
    const t = await seedAdminTenant(`V ${uniq()}`);
    const rule = { name: 'r', severity: 'WARNING', comparator: '>', threshold: 1 };
    const cases: [string, string, Record<string, unknown>, string][] = [
      ['POST', '/api/v1/alerts/rules', { ...rule, metric: 'service.latency.p95', matchers: { mount: '/' } }, 'matchers.mount'],
      ['POST', '/api/v1/alerts/rules', { ...rule, metric: 'cpu.usage.total', matchers: { route: '*' } }, 'matchers.route'],
      ['POST', '/api/v1/alerts/rules', { ...rule, metric: 'service.latency.p95', window: 3600_000 }, 'window'],
      ['POST', '/api/v1/alerts/rules', { ...rule, metric: 'service.error_rate', threshold: 5 }, 'threshold'],
      ['POST', '/api/v1/alerts/rules', { ...rule, metric: 'cpu.usage.total', window: 60_000 }, 'window'],
      ['POST', '/api/v1/alerts/rules', { ...rule, kind: 'burn_rate', window: 3600_000, short_window: 300_000 }, 'slo_id'],
      ['POST', '/api/v1/alerts/rules', { ...rule, kind: 'burn_rate', slo_id: 'slo_nope', window: 3600_000, short_window: 300_000 }, 'slo_id'],
      ['POST', '/api/v1/alerts/rules', { ...rule, kind: 'magic', metric: 'service.error_rate' }, 'kind'],
      ['POST', '/api/v1/slos', { name: 's', service: 'a', kind: 'latency', objective: 0.99, window_days: 30 }, 'threshold_ms'],
      ['POST', '/api/v1/slos', { name: 's', service: 'a', kind: 'availability', threshold_ms: 100, objective: 0.99, window_days: 30 }, 'threshold_ms'],
      ['POST', '/api/v1/slos', { name: 's', service: 'a', kind: 'availability', objective: 1, window_days: 30 }, 'objective'],
      ['POST', '/api/v1/slos', { name: 's', service: 'a', kind: 'availability', objective: 0.99, window_days: 14 }, 'window_days'],
      ['POST', '/api/v1/slos', { name: 's', service: 'a', kind: 'availability', objective: 0.99, window_days: 30, channel_ids: ['chan_nope'] }, 'channel_ids'],
      ['POST', '/api/v1/slos', { name: 's', service: 'a', kind: 'speed', objective: 0.99, window_days: 30 }, 'kind'],
    ];
    for (const [method, path, body, field] of cases) {
      const res = await api<{ error: { field: string } }>(t.adminKey, method, path, body);
      expect(res.status, `${path} ${JSON.stringify(body)} → ${JSON.stringify(res.body)}`).toBe(400);
      expect(res.body.error.field).toBe(field);
    }
    const slo = await api<{ id: string }>(t.adminKey, 'POST', '/api/v1/slos', { name: 's', service: 'a', kind: 'latency', threshold_ms: 100, objective: 0.99, window_days: 30 });
    expect(slo.status).toBe(201);
    expect((await api<{ error: { field: string } }>(t.adminKey, 'PATCH', `/api/v1/slos/${slo.body.id}`, { threshold_ms: null })).body.error.field).toBe('threshold_ms');
    expect((await api<{ error: { field: string } }>(t.adminKey, 'PATCH', `/api/v1/slos/${slo.body.id}`, { kind: 'availability', threshold_ms: 5 })).body.error.field).toBe('threshold_ms');
  });
});
