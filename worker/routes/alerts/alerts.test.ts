import { beforeAll, describe, expect, it } from 'vitest';
import { api, RECORDER, received, seedAdminTenant, uniq } from '../../../test/alert-helpers.ts';
import { DEFAULT_RULES } from '../../../durable-objects/core/rules.ts';

type Err = { error: { code: string; message: string; field?: string } };
type Rule = { id: string; name: string; metric: string; comparator: string; threshold: number; for: number; severity: string; channel_ids: string[]; enabled: boolean };
type Channel = { id: string; type: string; config: Record<string, unknown> };

let a: Awaited<ReturnType<typeof seedAdminTenant>>;
let b: Awaited<ReturnType<typeof seedAdminTenant>>;
beforeAll(async () => {
  [a, b] = await Promise.all([seedAdminTenant('Tenant A'), seedAdminTenant('Tenant B')]);
});

const rule = { name: 'cpu high', metric: 'cpu.usage.total', comparator: '>', threshold: 90, for: 60_000, severity: 'WARNING' };

describe('alert rules API', () => {
  it('creates every organization with the spec default rules', async () => {
    const res = await api<{ rules: Rule[] }>(a.readKey, 'GET', '/api/v1/alerts/rules');
    expect(res.status).toBe(200);
    // The spec's list itself is pinned in durable-objects/core/rules.test.ts; here: every org gets all of it.
    const brief = res.body.rules.map((r) => `${r.metric} ${r.comparator} ${r.threshold} ${r.for}ms ${r.severity}`);
    expect(brief).toEqual(expect.arrayContaining(DEFAULT_RULES.map((r) => `${r.metric} ${r.comparator} ${r.threshold} ${r.forMs}ms ${r.severity}`)));
  });

  it('creates, reads, patches and deletes a rule', async () => {
    const created = await api<Rule>(a.adminKey, 'POST', '/api/v1/alerts/rules', { ...rule, matchers: { host: 'web-*' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ ...rule, matchers: { host: 'web-*' }, keep_firing_for: 0, repeat_interval: 300_000, enabled: true, channel_ids: [] });
    const id = created.body.id;
    expect((await api<Rule>(a.readKey, 'GET', `/api/v1/alerts/rules/${id}`)).body.name).toBe('cpu high');
    const patched = await api<Rule>(a.adminKey, 'PATCH', `/api/v1/alerts/rules/${id}`, { threshold: 70, enabled: false });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ threshold: 70, enabled: false, name: 'cpu high' });
    expect((await api(a.adminKey, 'DELETE', `/api/v1/alerts/rules/${id}`)).status).toBe(204);
    expect((await api(a.readKey, 'GET', `/api/v1/alerts/rules/${id}`)).status).toBe(404);
  });

  it('names the invalid field', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ ...rule, metric: 'cpu.usage.totl' }, /metric$/],
      [{ ...rule, comparator: '!=' }, /comparator$/],
      [{ ...rule, threshold: 'high' }, /threshold$/],
      [{ ...rule, for: -1 }, /for$/],
      [{ ...rule, severity: 'PANIC' }, /severity$/],
      [{ ...rule, matchers: { region: 'eu' } }, /matchers\.region$/],
      [{ ...rule, channel_ids: ['chan_nope'] }, /channel_ids$/],
      [{ ...rule, name: undefined }, /name$/],
      [{ ...rule, extra: 1 }, /extra$/],
    ];
    for (const [body, field] of cases) {
      const res = await api<Err>(a.adminKey, 'POST', '/api/v1/alerts/rules', body);
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body.error.field).toMatch(field);
    }
    expect((await api<Err>(a.adminKey, 'PATCH', '/api/v1/alerts/rules/rule_x', { threshold: Infinity })).status).toBe(400);
  });

  it('needs an admin key to write and a read key to read', async () => {
    expect((await api<Err>(a.readKey, 'POST', '/api/v1/alerts/rules', rule)).status).toBe(403);
    expect((await api<Err>(a.ingestKey, 'GET', '/api/v1/alerts/rules')).status).toBe(403);
    expect((await api<Err>('mk_admin_nope', 'GET', '/api/v1/alerts')).status).toBe(401);
  });

  it('keeps tenants apart: B cannot read, change or delete A’s rules and channels by id', async () => {
    const r = (await api<Rule>(a.adminKey, 'POST', '/api/v1/alerts/rules', rule)).body;
    const ch = (await api<Channel>(a.adminKey, 'POST', '/api/v1/alerts/channels', { name: 'hook', type: 'webhook', config: { url: `${RECORDER}/x`, secret: 'a'.repeat(32) } })).body;
    expect((await api(b.readKey, 'GET', `/api/v1/alerts/rules/${r.id}`)).status).toBe(404);
    expect((await api(b.adminKey, 'PATCH', `/api/v1/alerts/rules/${r.id}`, { threshold: 1 })).status).toBe(404);
    expect((await api(b.adminKey, 'DELETE', `/api/v1/alerts/rules/${r.id}`)).status).toBe(404);
    expect((await api(b.readKey, 'GET', `/api/v1/alerts/channels/${ch.id}`)).status).toBe(404);
    expect((await api(b.adminKey, 'PATCH', `/api/v1/alerts/channels/${ch.id}`, { name: 'mine' })).status).toBe(404);
    expect((await api(b.adminKey, 'DELETE', `/api/v1/alerts/channels/${ch.id}`)).status).toBe(404);
    expect((await api(b.adminKey, 'POST', `/api/v1/alerts/channels/${ch.id}/test`)).status).toBe(404);
    // B cannot point its rule at A's channel either.
    expect((await api<Err>(b.adminKey, 'POST', '/api/v1/alerts/rules', { ...rule, channel_ids: [ch.id] })).status).toBe(400);
    const listB = (await api<{ rules: Rule[] }>(b.readKey, 'GET', '/api/v1/alerts/rules')).body.rules;
    expect(listB.some((x) => x.id === r.id)).toBe(false);
    expect((await api<Rule>(a.readKey, 'GET', `/api/v1/alerts/rules/${r.id}`)).body.threshold).toBe(90);
    expect((await api<{ channels: Channel[] }>(b.readKey, 'GET', '/api/v1/alerts/channels')).body.channels).toEqual([]);
  });
});

describe('channels API', () => {
  it('masks secrets in every response and keeps them on a partial update', async () => {
    const secret = 'super-secret-signing-key-1234';
    const slackUrl = 'https://hooks.example.invalid/services/T0/B0/abcdefghijklmnop';
    const hookUrl = `${RECORDER}/chk/${uniq()}?token=path-secret`;
    const hook = await api<Channel>(a.adminKey, 'POST', '/api/v1/alerts/channels', { name: 'ops hook', type: 'webhook', config: { url: hookUrl, secret } });
    const slack = await api<Channel>(a.adminKey, 'POST', '/api/v1/alerts/channels', { name: 'slack', type: 'slack', config: { webhookUrl: slackUrl } });
    expect(hook.status).toBe(201);
    expect(hook.body.config.secret).toBe('****1234');
    expect(hook.body.config.url).toBe(`${new URL(RECORDER).origin}/****`);
    expect(slack.body.config.webhookUrl).toBe('****mnop');
    const responses = [
      JSON.stringify((await api(a.readKey, 'GET', '/api/v1/alerts/channels')).body),
      JSON.stringify((await api(a.readKey, 'GET', `/api/v1/alerts/channels/${hook.body.id}`)).body),
      JSON.stringify((await api(a.adminKey, 'PATCH', `/api/v1/alerts/channels/${hook.body.id}`, { name: 'renamed' })).body),
      JSON.stringify((await api(a.adminKey, 'PATCH', `/api/v1/alerts/channels/${slack.body.id}`, { enabled: true })).body),
    ];
    for (const r of responses) {
      expect(r).not.toContain(secret);
      expect(r).not.toContain(slackUrl);
      expect(r).not.toContain('path-secret');
    }
    // The secret survived the rename: a test delivery is still signed with it.
    const tested = await api(a.adminKey, 'POST', `/api/v1/alerts/channels/${hook.body.id}/test`);
    expect(tested.status).toBe(200);
  });

  it('validates config per type and names the field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ name: 'x', type: 'webhook', config: { url: 'ftp://x', secret: 'a'.repeat(20) } }, 'config.url'],
      [{ name: 'x', type: 'webhook', config: { url: 'http://x.test', secret: 'short' } }, 'config.secret'],
      [{ name: 'x', type: 'email', config: { to: ['not-an-email'] } }, 'config.to[0]'],
      [{ name: 'x', type: 'slack', config: {} }, 'config.webhookUrl'],
      [{ name: 'x', type: 'sms', config: {} }, 'type'],
    ];
    for (const [body, field] of cases) {
      const res = await api<Err>(a.adminKey, 'POST', '/api/v1/alerts/channels', body);
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body.error.field).toBe(field);
    }
  });

  it('sends a test notification and reports a failing channel as 502', async () => {
    const path = `/chk/${uniq()}`;
    const ok = (await api<Channel>(a.adminKey, 'POST', '/api/v1/alerts/channels', { name: 'mail', type: 'email', config: { to: ['ops@example.com'] } })).body;
    expect((await api(a.adminKey, 'POST', `/api/v1/alerts/channels/${ok.id}/test`)).status).toBe(200);
    const mails = await received('/resend/emails');
    const last = JSON.parse(mails.at(-1)!.body) as { to: string[]; subject: string; from: string };
    expect(last).toMatchObject({ to: ['ops@example.com'], subject: '[Pulse] Test notification', from: 'Pulse Test <alerts@test.invalid>' });
    expect(mails.at(-1)!.headers.authorization).toBe('Bearer re_test_key');
    const bad = (await api<Channel>(a.adminKey, 'POST', '/api/v1/alerts/channels', { name: 'down', type: 'slack', config: { webhookUrl: `${RECORDER}/fail${path}` } })).body;
    const res = await api<Err>(a.adminKey, 'POST', `/api/v1/alerts/channels/${bad.id}/test`);
    expect(res.status).toBe(502);
    expect(res.body.error.message).toMatch(/HTTP 500/);
  });
});

describe('silences API', () => {
  it('creates, lists, changes and deletes silences; validates the window', async () => {
    const now = Date.now();
    const s = await api<{ id: string; active: boolean; starts_at: number; ends_at: number }>(a.adminKey, 'POST', '/api/v1/alerts/silences', { matchers: { host: 'web-1' }, ends_at: now + 3600_000, comment: 'maintenance' });
    expect(s.status).toBe(201);
    expect(s.body.active).toBe(true);
    expect((await api<{ silences: { id: string }[] }>(a.readKey, 'GET', '/api/v1/alerts/silences')).body.silences.map((x) => x.id)).toContain(s.body.id);
    const ended = await api<{ active: boolean }>(a.adminKey, 'PATCH', `/api/v1/alerts/silences/${s.body.id}`, { ends_at: s.body.starts_at + 1 });
    expect(ended.status).toBe(200);
    expect(ended.body.active).toBe(false);
    expect((await api(b.readKey, 'GET', `/api/v1/alerts/silences/${s.body.id}`)).status).toBe(404);
    expect((await api(a.adminKey, 'DELETE', `/api/v1/alerts/silences/${s.body.id}`)).status).toBe(204);
    const bad = await api<Err>(a.adminKey, 'POST', '/api/v1/alerts/silences', { matchers: { host: 'x' }, starts_at: now, ends_at: now - 1 });
    expect(bad.body.error.field).toBe('ends_at');
    expect((await api<Err>(a.adminKey, 'POST', '/api/v1/alerts/silences', { matchers: {}, ends_at: now + 1000 })).body.error.field).toBe('matchers');
  });
});

describe('GET /api/v1/alerts', () => {
  it('validates filters', async () => {
    expect((await api<Err>(a.readKey, 'GET', '/api/v1/alerts?severity=LOW')).body.error.field).toBe('severity');
    expect((await api<Err>(a.readKey, 'GET', '/api/v1/alerts?from=yesterday')).body.error.field).toBe('from');
    expect((await api(a.readKey, 'GET', '/api/v1/alerts')).body).toEqual({ firing: [], history: [] });
  });
});

describe('OpenAPI', () => {
  it('documents the alert endpoints', async () => {
    const res = await api<{ paths: Record<string, Record<string, unknown>> }>(a.readKey, 'GET', '/api/v1/openapi.json');
    expect(res.status).toBe(200);
    for (const p of ['/api/v1/alerts', '/api/v1/alerts/rules', '/api/v1/alerts/rules/{id}', '/api/v1/alerts/channels/{id}/test', '/api/v1/alerts/silences/{id}'])
      expect(Object.keys(res.body.paths)).toContain(p);
    expect(Object.keys(res.body.paths['/api/v1/alerts/rules/{id}']!).sort()).toEqual(['delete', 'get', 'patch']);
  });
});
