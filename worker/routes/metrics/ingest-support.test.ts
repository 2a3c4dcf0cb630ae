// The ingest route's two cold-start savers: the alert config offered to host objects, and batched
// host registration (worker/alert-config-cache.ts, worker/registry.ts).
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { batch, get, post, sample, seedTenant } from '../../../test/helpers.ts';
import { withDb } from '../../db/client.ts';
import { bumpConfigVersion, loadAlertConfig } from '../../db/alerts.ts';
import { CONFIG_STALE_MS, CONFIG_TTL_MS, forgetAlertConfig, REFRESH_RETRY_MS, tenantAlertConfig } from '../../alert-config-cache.ts';
import { hostObjectName } from '../../types.ts';
import { createApiKey } from '../../db/tenants.ts';
import { api, waitFor } from '../../../test/alert-helpers.ts';

const stub = (tenantId: string, host: string) => env.HOSTS.getByName(hostObjectName(tenantId, host));

describe('alert config offered by the worker', () => {
  it('a new object asks for the config instead of reading Postgres, and stores nothing until it has it', async () => {
    const t = await seedTenant('Offer Org');
    const cfg = await withDb(env, (db) => loadAlertConfig(db, t.tenant.id));
    expect(cfg.rules.length).toBeGreaterThan(0); // the default rules
    const at = Date.now() - 1000;
    const b = batch('offer-host', [sample(at, 12)]);
    const first = await stub(t.tenant.id, 'offer-host').ingest(t.tenant.id, b, { version: cfg.version });
    expect(first).toEqual({ accepted: 0, duplicate: false, needConfig: true, durableThrough: null });
    const second = await stub(t.tenant.id, 'offer-host').ingest(t.tenant.id, b, { version: cfg.version, config: cfg });
    expect(second).toEqual({ accepted: 1, duplicate: false, durableThrough: b.samples[0]!.ts });
    // Now it holds that version: the next batch goes through on the first call.
    const b3 = batch('offer-host', [sample(Date.now(), 13)]);
    const third = await stub(t.tenant.id, 'offer-host').ingest(t.tenant.id, b3, { version: cfg.version });
    expect(third).toEqual({ accepted: 1, duplicate: false, durableThrough: b3.samples[0]!.ts });
    // A newer version known to the worker (say a push that missed this object) is fetched again.
    const behind = await stub(t.tenant.id, 'offer-host').ingest(t.tenant.id, batch('offer-host', [sample(Date.now(), 14)]), { version: cfg.version + 1 });
    expect(behind.needConfig).toBe(true);
  });

  it('through the route, a rule created a moment ago fires on the first sample of a new host', async () => {
    const t = await seedTenant('Offer Route Org');
    const admin = await withDb(env, (db) => createApiKey(db, t.tenant.id, 'admin'));
    const rule = await api(admin.secret, 'POST', '/api/v1/alerts/rules', { name: 'any cpu', metric: 'cpu.usage.total', comparator: '>=', threshold: 0, severity: 'INFO' });
    expect(rule.status).toBe(201);
    expect((await post(t.ingestKey, batch('first-sample-host', [sample(Date.now() - 500, 5)]))).status).toBe(200);
    const ruleId = (rule.body as { id: string }).id;
    const firing = await waitFor(
      async () => (await api<{ firing: { rule_id: string }[] }>(t.readKey, 'GET', '/api/v1/alerts?host=first-sample-host')).body.firing.map((a) => a.rule_id),
      (ids) => ids.includes(ruleId),
    );
    expect(firing).toContain(ruleId);
  });
});

describe('the worker\'s alert config cache', () => {
  const background = () => {
    const tasks: Promise<unknown>[] = [];
    return { ctx: { waitUntil: (p: Promise<unknown>) => void tasks.push(p) }, tasks };
  };

  it('past its TTL offers the cached version at once and refreshes it in the background', async () => {
    const t = await seedTenant('Stale Config Org');
    const first = background();
    const v1 = (await tenantAlertConfig(env, first.ctx, t.tenant.id))!.version;
    expect(first.tasks).toHaveLength(0); // a cold load is in-request
    const v2 = await withDb(env, (db) => bumpConfigVersion(db, t.tenant.id)); // a change made elsewhere
    expect(v2).toBeGreaterThan(v1);

    const later = Date.now() + CONFIG_TTL_MS + 1;
    const stale = background();
    expect((await tenantAlertConfig(env, stale.ctx, t.tenant.id, later))!.version).toBe(v1);
    expect(stale.tasks).toHaveLength(1);
    // A second request during the refresh starts no other one.
    const during = background();
    expect((await tenantAlertConfig(env, during.ctx, t.tenant.id, later))!.version).toBe(v1);
    expect(during.tasks).toHaveLength(0);
    await Promise.all(stale.tasks);
    expect((await tenantAlertConfig(env, background().ctx, t.tenant.id))!.version).toBe(v2);

    // Too old to offer unchecked: read in-request.
    const v3 = await withDb(env, (db) => bumpConfigVersion(db, t.tenant.id));
    const old = background();
    expect((await tenantAlertConfig(env, old.ctx, t.tenant.id, Date.now() + CONFIG_STALE_MS + 1))!.version).toBe(v3);
    expect(old.tasks).toHaveLength(0);
  });

  it('a failed background refresh keeps offering the cached version and waits before the next attempt', async () => {
    const t = await seedTenant('Refresh Down Org');
    const v1 = (await tenantAlertConfig(env, background().ctx, t.tenant.id))!.version;
    const down = { ...env, DATABASE_URL: '' }; // withDb refuses at once, as an unreachable Postgres would
    const later = Date.now() + CONFIG_TTL_MS + 1;
    const failing = background();
    expect((await tenantAlertConfig(down, failing.ctx, t.tenant.id, later))!.version).toBe(v1);
    expect(failing.tasks).toHaveLength(1);
    await Promise.all(failing.tasks); // the refresh failed (logged), the cached entry stands
    const soon = background();
    expect((await tenantAlertConfig(down, soon.ctx, t.tenant.id, Date.now() + CONFIG_TTL_MS + 1))!.version).toBe(v1);
    expect(soon.tasks).toHaveLength(0); // no refresh per request while Postgres is down
    const afterRetry = background();
    expect((await tenantAlertConfig(env, afterRetry.ctx, t.tenant.id, Date.now() + CONFIG_TTL_MS + REFRESH_RETRY_MS + 1))!.version).toBe(v1);
    expect(afterRetry.tasks).toHaveLength(1);
    await Promise.all(afterRetry.tasks);
  });

  it('a change through this isolate is read before the next offer, and a refresh begun before it cannot undo that', async () => {
    const t = await seedTenant('Forget Config Org');
    const v1 = (await tenantAlertConfig(env, background().ctx, t.tenant.id))!.version;
    const stale = background();
    expect((await tenantAlertConfig(env, stale.ctx, t.tenant.id, Date.now() + CONFIG_TTL_MS + 1))!.version).toBe(v1);
    expect(stale.tasks).toHaveLength(1);
    const v2 = await withDb(env, (db) => bumpConfigVersion(db, t.tenant.id));
    forgetAlertConfig(t.tenant.id); // as the alert routes do after a change
    await Promise.all(stale.tasks); // the refresh begun before the change ends after it
    // It stored nothing: the entry is still forgotten, so even a late request reads in-request.
    const probe = background();
    expect((await tenantAlertConfig(env, probe.ctx, t.tenant.id, Date.now() + CONFIG_TTL_MS + 1))!.version).toBe(v2);
    expect(probe.tasks).toHaveLength(0);
    expect((await tenantAlertConfig(env, background().ctx, t.tenant.id))!.version).toBe(v2);
  });
});

describe('host registration in batches', () => {
  it('lists a burst of new hosts and picks up a renamed one', async () => {
    const t = await seedTenant('Burst Org');
    const now = Date.now();
    const ids = Array.from({ length: 40 }, (_, i) => `burst-${i}`);
    const res = await Promise.all(ids.map((id) => post(t.ingestKey, batch(id, [sample(now - 1000, 3)]))));
    expect(res.map((r) => r.status)).toEqual(ids.map(() => 200));
    const listed = async () => ((await (await get(t.readKey, '/api/v1/hosts')).json()) as { hosts: { id: string; name: string }[] }).hosts;
    let hosts = await listed();
    for (let i = 0; i < 60 && hosts.length < ids.length; i++) {
      await new Promise((r) => setTimeout(r, 50));
      hosts = await listed();
    }
    expect(hosts.map((h) => h.id).sort()).toEqual([...ids].sort());
    const renamed = batch('burst-0', [sample(now, 4)]);
    renamed.host.name = 'burst-zero.example';
    expect((await post(t.ingestKey, renamed)).status).toBe(200);
    for (let i = 0; i < 60 && (await listed()).find((h) => h.id === 'burst-0')?.name !== 'burst-zero.example'; i++) await new Promise((r) => setTimeout(r, 50));
    expect((await listed()).find((h) => h.id === 'burst-0')?.name).toBe('burst-zero.example');
  });
});
