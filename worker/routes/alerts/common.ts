// Shared pieces of the alert routes: id params, error responses, and the config push that makes a
// change take effect on each host's next sample.
import { z } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { withDb } from '../../db/client.ts';
import { bumpConfigVersion, loadAlertConfig } from '../../db/alerts.ts';
import { hosts, services } from '../../db/schema.ts';
import { ApiError } from '../../errors.ts';
import { hostObjectName, serviceObjectName } from '../../types.ts';
import { ErrorSchema } from '../schemas.ts';
import { settleLimited } from '../../../durable-objects/core/settle-limited.ts';
import type { Context } from 'hono';
import { audit, type AuditEvent } from '../../audit.ts';
import { forgetAlertConfig } from '../../alert-config-cache.ts';
import type { AppEnv } from '../../types.ts';

export const IdParam = z.object({ id: z.string().min(1).max(64).openapi({ param: { name: 'id', in: 'path' } }) });

export const errors = {
  400: { description: 'Invalid input; the error names the field', content: { 'application/json': { schema: ErrorSchema } } },
  401: { description: 'Missing or invalid key', content: { 'application/json': { schema: ErrorSchema } } },
  403: { description: 'The key lacks the needed scope', content: { 'application/json': { schema: ErrorSchema } } },
  404: { description: 'Not found in this organization', content: { 'application/json': { schema: ErrorSchema } } },
} as const;

export const notFound = (what: string, id: string) => new ApiError(404, 'not_found', `no ${what} "${id}" in this organization`, 'id');

/** Milliseconds: a non-negative integer of at most 7 days. */
export const Duration = z.number().int('must be whole milliseconds').min(0).max(7 * 86_400_000);

/** Ms since the epoch or an ISO 8601 date. */
export const Time = z.union([z.number().int().positive(), z.iso.datetime({ offset: true })]).transform((v) => (typeof v === 'number' ? v : Date.parse(v)));

/** Label-style matcher map: glob values (`*` wildcard). */
export const MatcherMap = z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'matcher names are [A-Za-z_][A-Za-z0-9_]*'), z.string().min(1).max(256));

const PUSH_CONCURRENCY = 50;

/**
 * Bumps the tenant's config version and records the audit entry (inside the change's
 * transaction), then pushes the new config to every host and service object of the tenant so
 * the next sample or span batch is evaluated with it. A missed push is
 * repaired by the object's version check (every 5 minutes).
 */
export async function commitAndPush(c: Context<AppEnv>, event: AuditEvent, write: (db: Db) => Promise<void>): Promise<void> {
  const { env } = c;
  const tenantId = c.get('tenantId');
  const { config, hostIds, serviceNames } = await withDb(env, async (db) => {
    await db.transaction(async (tx) => {
      await write(tx as unknown as Db);
      await bumpConfigVersion(tx, tenantId);
      await audit(tx, c, event);
    });
    forgetAlertConfig(tenantId);
    const config = await loadAlertConfig(db, tenantId);
    const rows = await db.select({ id: hosts.id }).from(hosts).where(eq(hosts.tenantId, tenantId));
    const svcs = await db.select({ name: services.name }).from(services).where(eq(services.tenantId, tenantId));
    return { config, hostIds: rows.map((r) => r.id), serviceNames: svcs.map((r) => r.name) };
  });

  // Host and service objects evaluate the same config (each its own kind of rules).
  const targets = [
    ...hostIds.map((h) => ({ what: `host ${h}`, push: () => env.HOSTS.getByName(hostObjectName(tenantId, h)).setAlertConfig(config) })),
    ...serviceNames.map((s) => ({ what: `service ${s}`, push: () => env.SERVICES.getByName(serviceObjectName(tenantId, s)).setAlertConfig(config) })),
  ];
  const results = await settleLimited(targets, PUSH_CONCURRENCY, (t) => t.push());
  results.forEach((r, j) => {
    if (r.status === 'rejected') console.error(JSON.stringify({ msg: 'alert config push failed; the object re-checks within 5 minutes', target: targets[j]!.what, error: String(r.reason) }));
  });
}

export const iso = (d: Date | null) => (d ? d.getTime() : null);
