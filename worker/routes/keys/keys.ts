// API keys: list (prefix and last use only), create (the secret is in this one answer), revoke.
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { and, desc, eq, isNull } from 'drizzle-orm';
import { ApiKeySummary, CreatedApiKey, CreateKeyBody } from '../../../protocol/account.ts';
import { guard } from '../../auth/authorize.ts';
import { evictKey } from '../../auth/keys.ts';
import { closeKeyStreams } from './close-streams.ts';
import { audit } from '../../audit.ts';
import { httpDb, withDb } from '../../db/client.ts';
import { apiKeys } from '../../db/schema.ts';
import { createApiKey } from '../../db/tenants.ts';
import { ApiError } from '../../errors.ts';
import type { AppEnv } from '../../types.ts';
import { authErrors, json } from '../schemas.ts';

const IdParam = z.object({ id: z.string().min(1).max(64).openapi({ param: { name: 'id', in: 'path' } }) });
type Row = typeof apiKeys.$inferSelect;
const summary = (r: Row) => ({
  id: r.id,
  name: r.name,
  scope: r.scope,
  prefix: r.prefix,
  createdAt: r.createdAt.getTime(),
  lastUsedAt: r.lastUsedAt?.getTime() ?? null,
  revokedAt: r.revokedAt?.getTime() ?? null,
});

export function registerKeys(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    createRoute({ method: 'get', path: '/api/v1/keys', tags: ['keys'], summary: "The organization's API keys (prefix only)", ...guard('keys:read'), responses: { 200: { description: 'Keys', ...json(z.object({ keys: z.array(ApiKeySummary) })) }, ...authErrors } }),
    async (c) => {
      const rows = await httpDb(c.env).select().from(apiKeys).where(eq(apiKeys.tenantId, c.get('tenantId'))).orderBy(desc(apiKeys.createdAt), desc(apiKeys.id));
      return c.json({ keys: rows.map(summary) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/v1/keys',
      tags: ['keys'],
      summary: 'Create an API key; the key is shown in this answer only',
      ...guard('keys:write'),
      request: { body: { required: true, ...json(CreateKeyBody) } },
      responses: { 201: { description: 'Created', ...json(CreatedApiKey) }, ...authErrors },
    }),
    async (c) => {
      const { name, scope } = c.req.valid('json');
      const out = await withDb(c.env, (db) =>
        db.transaction(async (tx) => {
          const k = await createApiKey(tx, c.get('tenantId'), scope, name);
          const [row] = await tx.select().from(apiKeys).where(eq(apiKeys.id, k.id));
          await audit(tx, c, { action: 'key.create', target: { type: 'key', id: k.id }, details: { name, scope, prefix: k.prefix } });
          return { ...summary(row!), key: k.secret };
        }),
      );
      return c.json(out, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/api/v1/keys/{id}',
      tags: ['keys'],
      summary: 'Revoke an API key (it stops working everywhere within seconds)',
      ...guard('keys:write'),
      request: { params: IdParam },
      responses: { 204: { description: 'Revoked' }, ...authErrors },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      await withDb(c.env, (db) =>
        db.transaction(async (tx) => {
          const rows = await tx
            .update(apiKeys)
            .set({ revokedAt: new Date() })
            .where(and(eq(apiKeys.id, id), eq(apiKeys.tenantId, c.get('tenantId')), isNull(apiKeys.revokedAt)))
            .returning({ name: apiKeys.name, prefix: apiKeys.prefix });
          if (!rows.length) throw new ApiError(404, 'not_found', `no active key "${id}" in this organization`, 'id');
          await audit(tx, c, { action: 'key.revoke', target: { type: 'key', id }, details: { name: rows[0]!.name, prefix: rows[0]!.prefix } });
        }),
      );
      evictKey(id); // this isolate at once; others within KEY_CACHE_MS (auth/keys.ts)
      // Streams were authorized once, at their upgrade: close them now (before answering).
      await closeKeyStreams(c.env, c.get('tenantId'), id).catch((err) =>
        console.error(JSON.stringify({ msg: 'stream revocation failed; streams end at their maximum age', error: String(err) })),
      );
      return c.body(null, 204);
    },
  );
}
