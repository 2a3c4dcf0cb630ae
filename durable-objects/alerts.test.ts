// End to end in workerd: samples go in through POST /api/v1/metrics/collect and notifications
// come out at the local recorder (test/recorder.ts), which the assertions read back.
import { env, evictDurableObject, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { api, RECORDER, received, seedAdminTenant, uniq, waitFor, type Received } from '../test/alert-helpers.ts';
import { batch, post } from '../test/helpers.ts';
import { bumpConfigVersion } from '../worker/db/alerts.ts';
import { alertRules } from '../worker/db/alerts-schema.ts';
import { withDb } from '../worker/db/client.ts';
import { eq } from 'drizzle-orm';
import type { HostObject } from './host.ts';

const S = 1000;
const MIN = 60 * S;
type Alert = { id: string; status: string; notified: string; last_error: string | null; value: number; labels: Record<string, string> };
type Payload = { host: { id: string }; alerts: { id: string; status: string; repeat: boolean; value: number; rule: { name: string }; labels: Record<string, string> }[] };

/** A tenant without the default rules, one webhook channel and the given rules on custom.temp. */
async function setup(rules: Record<string, unknown>[], channel: { path?: string; type?: string } = {}) {
  const t = await seedAdminTenant(`E2E ${uniq()}`);
  const { rules: defaults } = (await api<{ rules: { id: string }[] }>(t.readKey, 'GET', '/api/v1/alerts/rules')).body;
  for (const r of defaults) await api(t.adminKey, 'DELETE', `/api/v1/alerts/rules/${r.id}`);
  const path = channel.path ?? `/wh/${uniq()}`;
  const secret = `secret-${uniq()}-${uniq()}`;
  const type = channel.type ?? 'webhook';
  const config = type === 'webhook' ? { url: `${RECORDER}${path}`, secret } : type === 'slack' ? { webhookUrl: `${RECORDER}${path}` } : { to: ['ops@example.com'] };
  const ch = (await api<{ id: string }>(t.adminKey, 'POST', '/api/v1/alerts/channels', { name: 'primary', type, config })).body;
  const ids: string[] = [];
  for (const r of rules) {
    const res = await api<{ id: string }>(t.adminKey, 'POST', '/api/v1/alerts/rules', { name: 'temp high', metric: 'custom.temp', comparator: '>', threshold: 50, for: 0, severity: 'WARNING', channel_ids: [ch.id], ...r });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    ids.push(res.body.id);
  }
  const host = `h-${uniq()}`;
  const send = async (ts: number, temp: number | Record<string, number>) => {
    const metrics = typeof temp === 'number' ? { 'custom.temp': temp } : Object.fromEntries(Object.entries(temp));
    const res = await post(t.ingestKey, batch(host, [{ ts, metrics }]));
    expect(res.status).toBe(200);
  };
  const got = (n: number, timeoutMs = 15_000) => waitFor(() => received(path), (r) => r.length >= n, timeoutMs);
  const alerts = () => api<{ firing: Alert[]; history: Alert[] }>(t.readKey, 'GET', `/api/v1/alerts?host=${host}`).then((r) => r.body);
  const stub = () => env.HOSTS.getByName(`${t.tenant.id}:${host}`);
  return { t, ch, path, secret, host, send, got, alerts, stub, ruleIds: ids };
}

/** A receiver's check, written independently of the sender's code. */
async function hmacHex(secret: string, message: string) {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const sig = new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(message)));
  return [...sig].map((b) => b.toString(16).padStart(2, '0')).join('');
}

const payload = (r: Received) => JSON.parse(r.body) as Payload;
const settle = () => new Promise((r) => setTimeout(r, 300));

describe('alert evaluation and delivery', () => {
  it('fires on the breaching sample, signs the webhook, and sends a resolve notice', async () => {
    const x = await setup([{}]);
    const t0 = Date.now() - MIN;
    await x.send(t0, 60);
    const [first] = await x.got(1);
    expect(first).toBeDefined();
    // The receiver's check from docs/alerting.md: HMAC-SHA256 over `timestamp.body`.
    const ts = first!.headers['x-pulse-timestamp']!;
    expect(first!.headers['x-pulse-signature']).toBe(`sha256=${await hmacHex(x.secret, `${ts}.${first!.body}`)}`);
    expect(first!.headers['x-pulse-signature']).not.toBe(`sha256=${await hmacHex('wrong-secret-000000', `${ts}.${first!.body}`)}`);
    expect(Math.abs(Number(ts) * 1000 - Date.now())).toBeLessThan(10 * S);
    const p = payload(first!);
    expect(p.host.id).toBe(x.host);
    expect(p.alerts).toMatchObject([{ status: 'firing', repeat: false, value: 60, rule: { name: 'temp high' } }]);

    await x.send(t0 + 5 * S, 40);
    const all = await x.got(2);
    expect(payload(all[1]!).alerts).toMatchObject([{ id: p.alerts[0]!.id, status: 'resolved', value: 40 }]);
    // History sync is asynchronous: wait until the resolve is visible in both lists.
    const h = await waitFor(x.alerts, (a) => a.history[0]?.status === 'RESOLVED' && a.history[0]?.notified === 'sent' && a.firing.length === 0);
    expect(h.firing).toEqual([]);
    expect(h.history).toMatchObject([{ id: p.alerts[0]!.id, status: 'RESOLVED', notified: 'sent', value: 40 }]);
    expect(p.host).toEqual({ id: x.host, name: `${x.host}.example` });
    // Filters: rule, severity and time range.
    const q = (f: string) => api<{ history: Alert[] }>(x.t.readKey, 'GET', `/api/v1/alerts?host=${x.host}&${f}`).then((r) => r.body.history.length);
    expect(await q(`rule=${x.ruleIds[0]}`)).toBe(1);
    expect(await q('rule=rule_other')).toBe(0);
    expect(await q('severity=WARNING')).toBe(1);
    expect(await q('severity=CRITICAL')).toBe(0);
    expect(await q(`from=${t0}&to=${t0 + 1}`)).toBe(1);
    expect(await q(`from=${t0 + 1}`)).toBe(0);
  });

  it('survives a restart between pending and firing, and does not re-send after one', async () => {
    const x = await setup([{ for: 20 * S }]);
    const t0 = Date.now() - 2 * MIN;
    await x.send(t0, 70);
    await settle();
    expect(await received(x.path)).toHaveLength(0);
    await evictDurableObject(x.stub());
    await x.send(t0 + 10 * S, 70);
    await settle();
    expect(await received(x.path)).toHaveLength(0);
    await evictDurableObject(x.stub());
    await x.send(t0 + 20 * S, 70); // pending since t0 (remembered), 20 s later: fires
    expect(await x.got(1)).toHaveLength(1);
    await evictDurableObject(x.stub());
    await x.send(t0 + 25 * S, 71);
    await settle();
    expect(await received(x.path)).toHaveLength(1);
    expect((await x.alerts()).firing).toHaveLength(1);
  });

  it('notifies at most once per repeat interval, and does not re-announce a flapping alert', async () => {
    const x = await setup([{}]);
    const t0 = Date.now() - 12 * MIN;
    for (let m = 0; m < 5; m++) await x.send(t0 + m * MIN, 60);
    await x.got(1);
    await settle();
    expect(await received(x.path)).toHaveLength(1);
    await x.send(t0 + 5 * MIN, 61);
    const two = await x.got(2);
    expect(payload(two[1]!).alerts).toMatchObject([{ status: 'firing', repeat: true, value: 61 }]);
    await x.send(t0 + 6 * MIN, 10); // resolve notice
    await x.send(t0 + 6 * MIN + 5 * S, 90); // fires again within 5 min of the last notice: suppressed
    await x.send(t0 + 6 * MIN + 10 * S, 10); // and its resolve is not sent either
    await x.got(3);
    await settle();
    const all = await received(x.path);
    expect(all.map((r) => payload(r).alerts[0]!.status)).toEqual(['firing', 'firing', 'resolved']);
    const h = await waitFor(x.alerts, (a) => a.history.length === 2 && a.history.every((e) => e.status === 'RESOLVED'));
    expect(h.history.map((e) => e.notified)).toEqual(['suppressed', 'sent']);
  });

  it('silences mute notifications but keep history; the alert is announced when the silence ends', async () => {
    const x = await setup([{}]);
    const sil = await api<{ id: string }>(x.t.adminKey, 'POST', '/api/v1/alerts/silences', { matchers: { host: x.host }, ends_at: Date.now() + 3600_000 });
    expect(sil.status).toBe(201);
    const t0 = Date.now() - MIN;
    await x.send(t0, 80);
    const h = await waitFor(x.alerts, (a) => a.firing.length === 1);
    expect(h.firing[0]).toMatchObject({ status: 'FIRING', notified: 'silenced', value: 80 });
    await settle();
    expect(await received(x.path)).toHaveLength(0);
    expect((await api(x.t.adminKey, 'DELETE', `/api/v1/alerts/silences/${sil.body.id}`)).status).toBe(204);
    await x.send(t0 + 5 * S, 81);
    const [r] = await x.got(1);
    expect(payload(r!).alerts).toMatchObject([{ status: 'firing', value: 81 }]);
    expect((await waitFor(x.alerts, (a) => a.firing[0]?.notified === 'sent')).firing[0]!.notified).toBe('sent');
  });

  it('applies a rule change on the next sample', async () => {
    const x = await setup([{ threshold: 50 }]);
    const t0 = Date.now() - MIN;
    await x.send(t0, 40);
    await settle();
    expect(await received(x.path)).toHaveLength(0);
    expect((await api(x.t.adminKey, 'PATCH', `/api/v1/alerts/rules/${x.ruleIds[0]}`, { threshold: 30 })).status).toBe(200);
    await x.send(t0 + 5 * S, 41);
    expect(payload((await x.got(1))[0]!).alerts[0]!.value).toBe(41);
  });

  it('repairs a missed config push from the alarm’s version check', async () => {
    const x = await setup([{ threshold: 50 }]);
    const t0 = Date.now() - MIN;
    await x.send(t0, 40);
    // Change the rule in Postgres without a push (as if the push to this object was lost).
    await withDb(env, async (db) => {
      await db.update(alertRules).set({ threshold: 30 }).where(eq(alertRules.id, x.ruleIds[0]!));
      await bumpConfigVersion(db, x.t.tenant.id);
    });
    await x.send(t0 + 5 * S, 41);
    await settle();
    expect(await received(x.path)).toHaveLength(0); // still the cached rule
    await evictDurableObject(x.stub()); // a fresh object checks the version on its first alarm
    await runInDurableObject(x.stub(), (obj: HostObject) => obj.alarm());
    await x.send(t0 + 10 * S, 42);
    expect(payload((await x.got(1))[0]!).alerts[0]!.value).toBe(42);
  });

  it('delivers while Postgres is down and writes the history once it is back', async () => {
    const x = await setup([{}]);
    const t0 = Date.now() - MIN;
    await x.send(t0, 10); // loads the rules while Postgres is up
    type Inner = { alerts: { env: Env; syncRetryAt: number | null } };
    await runInDurableObject(x.stub(), (obj: HostObject) => {
      const a = (obj as unknown as Inner).alerts;
      a.env = { ...a.env, DATABASE_URL: 'postgres://nobody:x@127.0.0.1:1/none' };
    });
    await x.send(t0 + 5 * S, 60);
    expect(payload((await x.got(1))[0]!).alerts[0]!.status).toBe('firing');
    await settle();
    expect((await x.alerts()).firing).toEqual([]);
    await runInDurableObject(x.stub(), async (obj: HostObject) => {
      const a = (obj as unknown as Inner).alerts;
      expect(a.syncRetryAt).toBeGreaterThan(Date.now()); // the alarm will retry
      a.env = env;
      a.syncRetryAt = Date.now() - 1; // as if the retry time had come
      await obj.alarm();
    });
    expect((await x.alerts()).firing).toMatchObject([{ status: 'FIRING', notified: 'sent', value: 60 }]);
  });

  it('groups alerts raised together into one notification per channel, with matcher labels', async () => {
    const x = await setup([{ name: 'a' }, { name: 'b', threshold: 10 }]);
    await x.send(Date.now() - MIN, 60);
    const [r] = await x.got(1);
    await settle();
    expect(await received(x.path)).toHaveLength(1);
    expect(payload(r!).alerts.map((a) => a.rule.name).sort()).toEqual(['a', 'b']);
  });

  it('retries a failing channel with backoff, then marks the alert failed with the error', async () => {
    const x = await setup([{}], { path: `/fail/${uniq()}` });
    await x.send(Date.now() - MIN, 60);
    // ALERT_RETRY_MS is "300,300" in tests: three attempts in all, the retries from the alarm,
    // which survive a restart of the object (the outbox is in its SQLite).
    await x.got(1);
    await evictDurableObject(x.stub());
    const tries = await x.got(3, 8000);
    expect(tries).toHaveLength(3);
    expect(tries[1]!.at - tries[0]!.at).toBeGreaterThanOrEqual(250);
    const h = await waitFor(x.alerts, (a) => a.firing[0]?.notified === 'failed', 15_000);
    expect(h.firing[0]).toMatchObject({ notified: 'failed', last_error: expect.stringMatching(/HTTP 500/) });
    await settle();
    expect(await received(x.path)).toHaveLength(3);
  });

  it('a hanging channel does not delay another', async () => {
    const x = await setup([{}], { path: `/hang/${uniq()}` });
    const okPath = `/wh/${uniq()}`;
    const ok = (await api<{ id: string }>(x.t.adminKey, 'POST', '/api/v1/alerts/channels', { name: 'ok', type: 'slack', config: { webhookUrl: `${RECORDER}${okPath}` } })).body;
    expect((await api(x.t.adminKey, 'PATCH', `/api/v1/alerts/rules/${x.ruleIds[0]}`, { channel_ids: [x.ch.id, ok.id] })).status).toBe(200);
    const start = Date.now();
    await x.send(Date.now() - MIN, 60);
    const [slack] = await waitFor(() => received(okPath), (r) => r.length >= 1, 15_000);
    expect(slack).toBeDefined();
    expect(slack!.at - start).toBeLessThan(2000);
    expect((JSON.parse(slack!.body) as { text: string }).text).toMatch(/\[FIRING\] WARNING temp high on .*custom\.temp = 60 \(> 50\)/);
    // Later notices too: the resolve reaches Slack while the webhook is still hanging.
    const t1 = Date.now();
    await x.send(Date.now() - MIN + 5 * S, 10);
    const both = await waitFor(() => received(okPath), (r) => r.length >= 2, 15_000);
    expect(both).toHaveLength(2);
    expect(both[1]!.at - t1).toBeLessThan(2000);
    expect((JSON.parse(both[1]!.body) as { text: string }).text).toMatch(/\[RESOLVED\]/);
    // And history is not held back by the hanging channel either.
    expect((await waitFor(x.alerts, (a) => a.history[0]?.status === 'RESOLVED', 15_000)).history[0]!.status).toBe('RESOLVED');
  });

  it('sends email through the Resend HTTP API', async () => {
    const x = await setup([{ severity: 'CRITICAL' }], { type: 'email', path: '/resend/emails' });
    const before = (await received('/resend/emails')).length;
    await x.send(Date.now() - MIN, 99);
    const mails = await waitFor(() => received('/resend/emails'), (r) => r.some((m) => m.body.includes(x.host)), 15_000);
    const mail = mails.slice(before).find((m) => m.body.includes(x.host))!;
    expect(mail.headers.authorization).toBe('Bearer re_test_key');
    expect(JSON.parse(mail.body)).toMatchObject({ to: ['ops@example.com'], subject: expect.stringContaining('[Pulse CRITICAL] temp high on') });
  });

  it('a host-down rule watches only the hosts its matchers select', async () => {
    const x = await setup([{ name: 'DB down', metric: 'host.up', comparator: '==', threshold: 0, for: 500, severity: 'CRITICAL', matchers: { host: 'db-*' } }]);
    await x.send(Date.now() - 5 * S, 1); // x.host is h-…, not db-…
    await new Promise((r) => setTimeout(r, 700));
    await runDurableObjectAlarm(x.stub());
    await new Promise((r) => setTimeout(r, 300));
    expect(await received(x.path)).toHaveLength(0);
    expect((await x.alerts()).firing).toEqual([]);
  });

  it('raises host down from the alarm after the configured silence, and resolves on the next sample', async () => {
    const x = await setup([{ name: 'Host down', metric: 'host.up', comparator: '==', threshold: 0, for: 1000, severity: 'CRITICAL' }]);
    await x.send(Date.now() - 5 * S, 1);
    expect(await received(x.path)).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 1100));
    await runDurableObjectAlarm(x.stub());
    const [down] = await x.got(1);
    expect(payload(down!).alerts).toMatchObject([{ status: 'firing', rule: { name: 'Host down' }, value: 0 }]);
    await x.send(Date.now(), 1);
    const all = await x.got(2);
    expect(payload(all[1]!).alerts).toMatchObject([{ status: 'resolved', value: 1 }]);
  });
});
