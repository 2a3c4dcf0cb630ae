import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from 'cloudflare:test';
import { like, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createApp } from './app.ts';
import { withDb } from './db/client.ts';
import { listPartitions, partitionName } from './db/partitions.ts';
import { signupAttempts } from './db/schema.ts';
import worker from './index.ts';

const DAY = 86_400_000;

async function scheduled(at: number) {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime: at, cron: '17 * * * *' }), env, ctx);
  await waitOnExecutionContext(ctx);
}

const count = (table: string, tenant: string) =>
  withDb(env, async (db) => Number((await db.execute(sql`SELECT count(*)::int AS n FROM ${sql.identifier(table)} WHERE tenant_id = ${tenant}`)).rows[0]!.n));

describe('retention by partition (cron trigger)', () => {
  it('creates partitions ahead and drops a day only once all of it is past retention', async () => {
    // Pretend it is 60 days from now so the test owns its own days.
    const now = Math.floor(Date.now() / DAY) * DAY + 60 * DAY + 3600_000;
    await scheduled(now);
    const tomorrow = partitionName('rollup_1m', now + DAY);
    expect(await withDb(env, (db) => listPartitions(db, 'rollup_1m'))).toContain(tomorrow);
    // Service signal rollups are partitioned the same way (#12).
    for (const t of ['service_rollup_1m', 'service_rollup_5m', 'spans'] as const)
      expect(await withDb(env, (db) => listPartitions(db, t))).toContain(partitionName(t, now + DAY));

    // A 5m row on that day and a 1m row too.
    const tenant = `retention-${now}`;
    await withDb(env, (db) =>
      db.execute(sql`INSERT INTO rollup_5m (tenant_id, host_id, metric, labels, bucket, count, sum, min, max, last)
                     VALUES (${tenant}, 'h', 'cpu.usage.total', '', ${new Date(now)}, 1, 5, 5, 5, 5)`),
    );
    await withDb(env, (db) =>
      db.execute(sql`INSERT INTO rollup_1m (tenant_id, host_id, metric, labels, bucket, count, sum, min, max, last)
                     VALUES (${tenant}, 'h', 'cpu.usage.total', '', ${new Date(now)}, 1, 5, 5, 5, 5)`),
    );

    // A log line that day: kept 7 days (docs/logs.md), then its day is dropped whole.
    await withDb(env, (db) =>
      db.execute(sql`INSERT INTO log_lines (tenant_id, ts, service, severity, level, message) VALUES (${tenant}, ${new Date(now)}, 's', 9, 'info', 'kept a week')`),
    );
    expect(await withDb(env, (db) => listPartitions(db, 'log_lines'))).toContain(partitionName('log_lines', now + 2 * DAY));
    await scheduled(now + 6 * DAY);
    expect(await count('log_lines', tenant)).toBe(1);
    await scheduled(now - 3600_000 + 8 * DAY);
    expect(await count('log_lines', tenant)).toBe(0);
    expect(await withDb(env, (db) => listPartitions(db, 'log_lines'))).not.toContain(partitionName('log_lines', now));

    // 29 days later the 5m row is within its 30 days; the 1m row is past its 7.
    await scheduled(now + 29 * DAY);
    expect(await count('rollup_5m', tenant)).toBe(1);
    expect(await count('rollup_1m', tenant)).toBe(0);
    expect(await withDb(env, (db) => listPartitions(db, 'rollup_1m'))).not.toContain(partitionName('rollup_1m', now));
    expect(await withDb(env, (db) => listPartitions(db, 'service_rollup_1m'))).not.toContain(partitionName('service_rollup_1m', now));
    expect(await withDb(env, (db) => listPartitions(db, 'service_rollup_5m'))).toContain(partitionName('service_rollup_5m', now));
    // Stored spans keep 7 days too (docs/traces.md).
    expect(await withDb(env, (db) => listPartitions(db, 'spans'))).not.toContain(partitionName('spans', now));

    // Exactly at the edge the day is not yet wholly expired: still there.
    await scheduled(now - 3600_000 + 30 * DAY + DAY - 1);
    expect(await count('rollup_5m', tenant)).toBe(1);
    await scheduled(now - 3600_000 + 31 * DAY);
    expect(await count('rollup_5m', tenant)).toBe(0);
    expect(await withDb(env, (db) => listPartitions(db, 'rollup_5m'))).not.toContain(partitionName('rollup_5m', now));
  }, 90_000); // four runs of DDL for every partitioned table (spans' partitions carry four indexes)
});

describe('expired sign-up attempts (cron trigger)', () => {
  it('deletes attempts whose link has expired and keeps the rest', async () => {
    const tag = `maint-${Date.now()}`;
    const row = (name: string, expiresAt: Date) => ({ tokenHash: `${tag}-${name}`, email: `${tag}-${name}@example.test`, kind: 'existing' as const, expiresAt });
    await withDb(env, (db) => db.insert(signupAttempts).values([row('old', new Date(Date.now() - 1000)), row('live', new Date(Date.now() + DAY))]));
    await scheduled(Date.now());
    const left = await withDb(env, (db) => db.select({ t: signupAttempts.tokenHash }).from(signupAttempts).where(like(signupAttempts.tokenHash, `${tag}-%`)));
    expect(left.map((r) => r.t)).toEqual([`${tag}-live`]);
  });
});

describe('health when Postgres is down', () => {
  it('answers 503 and names the failing part', async () => {
    const app = createApp();
    const ctx = createExecutionContext();
    const res = await app.fetch(new Request('http://x/api/v1/health'), { ...env, DATABASE_URL: 'postgres://a:b@127.0.0.1:1/none' }, ctx);
    const body = (await res.json()) as { status: string; checks: Record<string, { ok: boolean; error?: string }> };
    expect(res.status).toBe(503);
    expect(body.status).toBe('degraded');
    expect(body.checks.postgres!.ok).toBe(false);
    expect(body.checks.postgres!.error).toBeTruthy();
    expect(body.checks.durableObject!.ok).toBe(true);
  });
});

describe('API basics', () => {
  it('serves an OpenAPI 3.1 document listing the routes', async () => {
    const res = await createApp().fetch(new Request('http://x/api/v1/openapi.json'), env, createExecutionContext());
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    for (const p of ['/api/v1/metrics/collect', '/api/v1/metrics/current', '/api/v1/metrics/history', '/api/v1/hosts', '/api/v1/health'])
      expect(Object.keys(doc.paths)).toContain(p);
  });

  it('answers unknown routes with the JSON error envelope', async () => {
    const res = await createApp().fetch(new Request('http://x/api/v1/nope'), env, createExecutionContext());
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'not_found' } });
  });
});
