// The organization's live alert stream in workerd: a host alert (POST /api/v1/metrics/collect) and
// a service alert (POST /v1/traces) both arrive on GET /api/v1/alerts/live as they fire, a new
// socket's hello lists them as GET /api/v1/alerts does, and another organization's feed hears nothing.
import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { ALERT_FEED_PATH, type AlertFeedMessage, type FeedAlert } from '../protocol/alert-feed.ts';
import type { LiveServerMessage } from '../protocol/live.ts';
import { api, seedAdminTenant, uniq } from '../test/alert-helpers.ts';
import { BASE, batch, post } from '../test/helpers.ts';
import { LiveClient } from '../test/live-client.ts';
import { otlpTraces, postTraces } from '../test/otlp.ts';

const open = (headers: Record<string, string>) => SELF.fetch(`${BASE}${ALERT_FEED_PATH}`, { headers: { upgrade: 'websocket', ...headers } });

async function feed(key: string) {
  const res = await open({ authorization: `Bearer ${key}` });
  if (res.status !== 101) throw new Error(`upgrade failed: ${res.status} ${await res.text()}`);
  const c = new LiveClient(res.webSocket!);
  return { c, next: async () => (await c.next()) as unknown as AlertFeedMessage };
}

/** The next `alert` message for which `pick` holds (earlier rows of the same episode may come first). */
async function nextAlert(f: Awaited<ReturnType<typeof feed>>, pick: (a: FeedAlert) => boolean): Promise<FeedAlert> {
  for (;;) {
    const m = await f.next();
    if (m.type === 'alert' && pick(m.alert)) return m.alert;
  }
}

async function tenant() {
  const t = await seedAdminTenant(`Feed ${uniq()}`);
  const { rules } = (await api<{ rules: { id: string }[] }>(t.readKey, 'GET', '/api/v1/alerts/rules')).body;
  for (const r of rules) await api(t.adminKey, 'DELETE', `/api/v1/alerts/rules/${r.id}`);
  return t;
}

describe('GET /api/v1/alerts/live', () => {
  it('pushes host and service alerts of the organization, and the hello lists the newest', async () => {
    const t = await tenant();
    const other = await tenant();
    for (const body of [
      { name: 'temp high', metric: 'custom.temp', comparator: '>', threshold: 50, severity: 'WARNING' },
      { name: 'errors', metric: 'service.error_rate', comparator: '>', threshold: 0.2, window: 2000, severity: 'CRITICAL' },
    ])
      expect((await api(t.adminKey, 'POST', '/api/v1/alerts/rules', body)).status).toBe(201);
    const a = await feed(t.readKey);
    expect(await a.next()).toEqual({ type: 'hello', alerts: [] });
    const b = await feed(other.readKey);
    expect(await b.next()).toEqual({ type: 'hello', alerts: [] });

    const host = `h-${uniq()}`;
    expect((await post(t.ingestKey, batch(host, [{ ts: Date.now() - 1000, metrics: { 'custom.temp': 60 } }]))).status).toBe(200);
    const hostAlert = await nextAlert(a, (x) => x.host === host);
    expect(hostAlert).toMatchObject({ rule_name: 'temp high', host, service: null, status: 'FIRING', value: 60, threshold: 50, metric: 'custom.temp' });

    const service = `svc-${uniq()}`;
    const spans = Array.from({ length: 10 }, (_, i) => ({ route: '/pay', status: i < 5 ? 500 : 200, durationMs: 5, end: Date.now() - 500 }));
    expect((await postTraces(t.ingestKey, otlpTraces(service, spans))).status).toBe(200);
    const svcAlert = await nextAlert(a, (x) => x.service === service);
    expect(svcAlert).toMatchObject({ rule_name: 'errors', host: null, service, status: 'FIRING', metric: 'service.error_rate', severity: 'CRITICAL' });
    expect(svcAlert.value).toBeCloseTo(0.5, 9);

    // A new socket's hello: the same rows GET /api/v1/alerts lists, newest start first.
    const list = (await api<{ history: FeedAlert[] }>(t.readKey, 'GET', '/api/v1/alerts?limit=10')).body.history;
    expect(list.map((x) => x.id).sort()).toEqual([hostAlert.id, svcAlert.id].sort());
    const c = await feed(t.readKey);
    const hello = await c.next();
    expect(hello.type).toBe('hello');
    expect(hello.type === 'hello' && hello.alerts.map((x) => x.id)).toEqual(list.map((x) => x.id));
    expect(hello.type === 'hello' && hello.alerts.find((x) => x.id === svcAlert.id)).toMatchObject({ service, status: 'FIRING' });

    // The other organization's feed heard nothing.
    await new Promise((r) => setTimeout(r, 300));
    expect(b.c.pending()).toBe(0);
    for (const f of [a, b, c]) f.c.close();
  });

  it('the host socket rules: cross-origin 403, no key 401, a plain GET 426, an ingest key 403', async () => {
    const t = await tenant();
    expect((await open({ authorization: `Bearer ${t.readKey}`, origin: 'https://evil.example' })).status).toBe(403);
    expect((await open({})).status).toBe(401);
    expect((await SELF.fetch(`${BASE}${ALERT_FEED_PATH}`, { headers: { authorization: `Bearer ${t.readKey}` } })).status).toBe(426);
    expect((await open({ authorization: `Bearer ${t.ingestKey}` })).status).toBe(403);
    // Same-origin browsers are let through (the Origin is this site's).
    const res = await open({ authorization: `Bearer ${t.readKey}`, origin: new URL(BASE).origin });
    expect(res.status).toBe(101);
    const c = new LiveClient(res.webSocket!);
    expect(((await c.next()) as LiveServerMessage).type).toBe('hello');
    c.close();
  });
});
