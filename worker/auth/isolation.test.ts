// Tenant isolation, route by route (issue #5): organization B, with its owner's session and each
// of its keys, tries every operation of the API against organization A's resources (A's ids in
// every path parameter, A's host in every query). Nothing succeeds against A, no answer shows A's
// data, and A's rows are byte-for-byte the same afterwards.
import { env } from 'cloudflare:test';
import { asc, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { withDb } from '../db/client.ts';
import { alertChannels, alertRules, silences, slos } from '../db/alerts-schema.ts';
import { apiKeys, auditLog, hosts, invitations, memberships, tenants } from '../db/schema.ts';
import { batch, post, sample } from '../../test/helpers.ts';
import { postShipperLogs } from '../../test/logs.ts';
import { fill, listOps } from '../../test/openapi-ops.ts';
import { Browser, lastEmailTo, newEmail, signUp } from '../../test/session.ts';
import { uniq, waitFor } from '../../test/alert-helpers.ts';
import { otlpTraces, postTraces } from '../../test/otlp.ts';

const MARK = 73.4567; // a value only A's host ever reports

async function snapshot(tenantId: string) {
  return withDb(env, async (db) => ({
    tenant: await db.select().from(tenants).where(eq(tenants.id, tenantId)),
    members: await db.select().from(memberships).where(eq(memberships.tenantId, tenantId)).orderBy(asc(memberships.userId)),
    keys: await db.select().from(apiKeys).where(eq(apiKeys.tenantId, tenantId)).orderBy(asc(apiKeys.id)),
    invitations: await db.select().from(invitations).where(eq(invitations.tenantId, tenantId)).orderBy(asc(invitations.id)),
    rules: await db.select().from(alertRules).where(eq(alertRules.tenantId, tenantId)).orderBy(asc(alertRules.id)),
    channels: await db.select().from(alertChannels).where(eq(alertChannels.tenantId, tenantId)).orderBy(asc(alertChannels.id)),
    silences: await db.select().from(silences).where(eq(silences.tenantId, tenantId)).orderBy(asc(silences.id)),
    slos: await db.select().from(slos).where(eq(slos.tenantId, tenantId)).orderBy(asc(slos.id)),
    hosts: await db.select().from(hosts).where(eq(hosts.tenantId, tenantId)),
    audit: await db.select().from(auditLog).where(eq(auditLog.tenantId, tenantId)).orderBy(asc(auditLog.id)),
  }));
}

/** Plausible bodies per operation, so writes are real attempts and not just validation failures. */
function bodyFor(method: string, path: string, a: Record<string, string>): unknown {
  const key = `${method} ${path}`;
  const bodies: Record<string, unknown> = {
    'PATCH /api/v1/alerts/rules/{id}': { enabled: false, threshold: 1 },
    'PATCH /api/v1/alerts/channels/{id}': { name: 'pwned', enabled: false },
    'PATCH /api/v1/alerts/silences/{id}': { comment: 'pwned' },
    'PATCH /api/v1/slos/{id}': { objective: 0.5, name: 'pwned' },
    'PATCH /api/v1/members/{userId}': { role: 'viewer' },
    'PATCH /api/v1/org': { name: 'pwned' },
    'POST /api/v1/auth/switch-org': { orgId: a.tenant },
    'POST /api/v1/invitations/accept': { token: 'x'.repeat(40) },
    'POST /api/v1/metrics/collect': batch(a.host!, [sample(Date.now() - 1000, 1)]),
  };
  return bodies[key] ?? {};
}

describe('tenant isolation', () => {
  it("B's session and keys cannot read or change anything of A's through any route", async () => {
    // Organization A with one of everything.
    const a = await signUp(undefined, `Org A ${uniq()}`);
    const aIngest = (await a.call('POST', '/api/v1/keys', { name: 'a ingest', scope: 'ingest' })).body;
    const host = `a-host-${uniq()}`;
    expect((await post(aIngest.key, batch(host, [sample(Date.now() - 2000, MARK)]))).status).toBe(200);
    // A stored trace of a service of A's (its id goes into every {traceId}).
    const traceId = crypto.randomUUID().replace(/-/g, '');
    const aService = `a-svc-${uniq()}`;
    expect((await postTraces(aIngest.key, otlpTraces(aService, [{ route: '/a', durationMs: 5, end: Date.now() - 1000, traceId }]))).status).toBe(200);
    expect((await waitFor(() => a.call('GET', `/api/v1/traces/${traceId}`), (r) => r.status === 200)).status).toBe(200);
    const logMark = `alogline${uniq()}`; // a word only A's log line has
    expect((await postShipperLogs(aIngest.key, JSON.stringify({ msg: `${logMark} in A`, service: `a-svc-${logMark}` }))).status).toBe(200);
    const rule = (await a.call('POST', '/api/v1/alerts/rules', { name: 'a rule', metric: 'cpu.usage.total', comparator: '>', threshold: 99, severity: 'CRITICAL' })).body;
    const chanHost = `chan-${uniq()}.example`; // distinctive: B's own host names end in ".example" too
    const channel = (await a.call('POST', '/api/v1/alerts/channels', { name: 'a hook', type: 'webhook', config: { url: `https://${chanHost}/hook`, secret: 'a-secret-of-16-chars' } })).body;
    const silence = (await a.call('POST', '/api/v1/alerts/silences', { matchers: { host: 'a-*' }, ends_at: Date.now() + 3600_000 })).body;
    const slo = (await a.call('POST', '/api/v1/slos', { name: `a slo ${uniq()}`, service: `a-svc-${uniq()}`, kind: 'latency', threshold_ms: 250, objective: 0.995, window_days: 28 })).body;
    const inviteEmail = newEmail('a-invitee');
    const invitation = (await a.call('POST', '/api/v1/invitations', { email: inviteEmail, role: 'viewer' })).body;
    const memberEmail = newEmail('a-member');
    await a.call('POST', '/api/v1/invitations', { email: memberEmail, role: 'editor' });
    const mail = await lastEmailTo(memberEmail, /invited/);
    const aMember = await signUp(memberEmail);
    await aMember.call('POST', '/api/v1/invitations/accept', { token: mail.token });
    const ids = { rule: rule.id, channel: channel.id, silence: silence.id, key: aIngest.id, invitation: invitation.id, slo: slo.id };
    for (const [k, v] of Object.entries(ids)) expect(v, k).toBeTruthy();
    const aValues = { tenant: a.orgId, host };
    const secrets = [traceId, aService, aIngest.key, a.orgId, rule.id, channel.id, silence.id, slo.id, slo.name, slo.service, aIngest.id, invitation.id, aMember.me!.user.id, 'a-secret-of-16-chars', chanHost, String(MARK), logMark];

    // Organization B: an owner session and every key scope.
    const b = await signUp(undefined, `Org B ${uniq()}`);
    const attackers: [string, Browser, Record<string, string>][] = [['B owner session', b, {}]];
    for (const scope of ['ingest', 'read', 'admin'] as const) {
      const k = (await b.call('POST', '/api/v1/keys', { name: `b ${scope}`, scope })).body.key;
      attackers.push([`B ${scope} key`, new Browser(), { authorization: `Bearer ${k}` }]);
    }
    const before = await snapshot(a.orgId);

    const ops = (await listOps()).filter((o) => o.path !== '/api/v1/auth/logout');
    let attempts = 0;
    for (const op of ops) {
      // Every id-like parameter gets each of A's ids in turn; {userId} gets A's member; {host} A's host.
      const variants = /\{id\}/.test(op.path) ? Object.values(ids).map((id) => ({ id })) : [{ userId: aMember.me!.user.id, host, traceId, service: aService }];
      for (const params of variants) {
        const query = op.method === 'GET' ? `?host=${encodeURIComponent(host)}&metric=cpu.usage.total` : '';
        const path = fill(op.path, params) + query;
        for (const [who, browser, headers] of attackers) {
          const r = await browser.call(op.method, path, op.hasBody ? bodyFor(op.method, op.path, aValues) : undefined, headers);
          attempts++;
          if (r.status >= 200 && r.status < 300) {
            const text = JSON.stringify(r.body ?? '');
            for (const s of secrets) expect(text.includes(s), `${who}: ${op.method} ${path} → ${r.status} shows A's "${s}"`).toBe(false);
          }
        }
      }
    }
    expect(attempts).toBeGreaterThan(ops.length * attackers.length);

    // A is untouched: same rows, same audit log; A's host still reports only A's data to A.
    expect(await snapshot(a.orgId)).toEqual(before);
    const cur = await a.call('GET', `/api/v1/metrics/current?host=${host}`);
    expect(JSON.stringify(cur.body)).toContain(String(MARK));
    // A's log lines are A's alone: still exactly the one, and B wrote none into A.
    const aLogs = await a.call('GET', '/api/v1/logs');
    expect(aLogs.body.lines.map((l: { message: string }) => l.message)).toEqual([`${logMark} in A`]);
    // The pending invitation and the member were not touched through B either.
    expect((await a.call('GET', '/api/v1/invitations')).body.invitations.map((i: { email: string }) => i.email)).toContain(inviteEmail);
  }, 120_000);
});
