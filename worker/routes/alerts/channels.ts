// Notification channels: CRUD under /api/v1/alerts/channels and POST .../{id}/test. Secrets in a
// channel's config are masked in every response; PATCH merges config, so omitting a secret keeps it.
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { and, asc, eq } from 'drizzle-orm';
import { guard } from '../../auth/authorize.ts';
import { newId } from '../../auth/crypto.ts';
import { alertChannels } from '../../db/alerts-schema.ts';
import { httpDb } from '../../db/client.ts';
import { ApiError, zodIssues } from '../../errors.ts';
import { CHANNEL_TYPES, CONFIG_SCHEMAS, deliver, maskConfig, type ChannelType } from '../../notify/channels.ts';
import type { AppEnv } from '../../types.ts';
import { commitAndPush, errors, IdParam, notFound } from './common.ts';

const Config = z.record(z.string(), z.unknown()).openapi({
  description: 'slack: {webhookUrl}; email: {to: [addresses]}; webhook: {url, secret (>= 16 chars, signs each request)}',
});
const CreateChannel = z.strictObject({ name: z.string().min(1).max(200), type: z.enum(CHANNEL_TYPES as [ChannelType, ...ChannelType[]]), config: Config, enabled: z.boolean().default(true) });
const PatchChannel = z.strictObject({ name: z.string().min(1).max(200).optional(), config: Config.optional(), enabled: z.boolean().optional() });

export const ChannelJson = z
  .object({ id: z.string(), name: z.string(), type: z.string(), config: z.record(z.string(), z.unknown()), enabled: z.boolean(), created_at: z.number(), updated_at: z.number() })
  .openapi('AlertChannel');

type Row = typeof alertChannels.$inferSelect;
const toJson = (r: Row) => ({
  id: r.id,
  name: r.name,
  type: r.type,
  config: maskConfig(r.type, r.config),
  enabled: r.enabled,
  created_at: r.createdAt.getTime(),
  updated_at: r.updatedAt.getTime(),
});

/** Validates a config for its type; issues are reported under `config.`. */
function checkConfig(type: ChannelType, config: Record<string, unknown>) {
  const parsed = CONFIG_SCHEMAS[type].safeParse(config);
  if (!parsed.success) {
    const first = zodIssues(parsed.error, 'config')[0]!;
    throw new ApiError(400, 'invalid_request', `${first.field}: ${first.message}`, first.field);
  }
  return parsed.data as Record<string, unknown>;
}

const json = <T extends z.ZodType>(schema: T) => ({ content: { 'application/json': { schema } } });
const base = { tags: ['alerts'] };
const load = (env: Env, tenantId: string, id: string) =>
  httpDb(env).select().from(alertChannels).where(and(eq(alertChannels.id, id), eq(alertChannels.tenantId, tenantId))).then((rows) => rows[0]);

export function registerAlertChannels(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    createRoute({ ...base, method: 'post', path: '/api/v1/alerts/channels', summary: 'Create a notification channel', ...guard('channels:write'), request: { body: { required: true, ...json(CreateChannel) } }, responses: { 201: { description: 'Created', ...json(ChannelJson) }, ...errors } }),
    async (c) => {
      const tenantId = c.get('tenantId');
      const body = c.req.valid('json');
      const config = checkConfig(body.type, body.config);
      const id = newId('chan');
      await commitAndPush(c, { action: 'channel.create', target: { type: 'channel', id }, details: { name: body.name, type: body.type } }, async (db) => {
        await db.insert(alertChannels).values({ id, tenantId, name: body.name, type: body.type, config, enabled: body.enabled });
      });
      return c.json(toJson((await load(c.env, tenantId, id))!), 201);
    },
  );

  app.openapi(
    createRoute({ ...base, method: 'get', path: '/api/v1/alerts/channels', summary: "The organization's channels (secrets masked)", ...guard('alerts:read'), responses: { 200: { description: 'Channels', ...json(z.object({ channels: z.array(ChannelJson) })) }, ...errors } }),
    async (c) => {
      const rows = await httpDb(c.env).select().from(alertChannels).where(eq(alertChannels.tenantId, c.get('tenantId'))).orderBy(asc(alertChannels.createdAt), asc(alertChannels.id));
      return c.json({ channels: rows.map(toJson) }, 200);
    },
  );

  app.openapi(
    createRoute({ ...base, method: 'get', path: '/api/v1/alerts/channels/{id}', summary: 'One channel (secrets masked)', ...guard('alerts:read'), request: { params: IdParam }, responses: { 200: { description: 'The channel', ...json(ChannelJson) }, ...errors } }),
    async (c) => {
      const { id } = c.req.valid('param');
      const row = await load(c.env, c.get('tenantId'), id);
      if (!row) throw notFound('channel', id);
      return c.json(toJson(row), 200);
    },
  );

  app.openapi(
    createRoute({ ...base, method: 'patch', path: '/api/v1/alerts/channels/{id}', summary: 'Change a channel; config fields left out keep their value', ...guard('channels:write'), request: { params: IdParam, body: { required: true, ...json(PatchChannel) } }, responses: { 200: { description: 'The channel', ...json(ChannelJson) }, ...errors } }),
    async (c) => {
      const tenantId = c.get('tenantId');
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      const row = await load(c.env, tenantId, id);
      if (!row) throw notFound('channel', id);
      const config = body.config ? checkConfig(row.type, { ...row.config, ...body.config }) : undefined;
      await commitAndPush(c, { action: 'channel.update', target: { type: 'channel', id }, details: { fields: Object.keys(body), configFields: Object.keys(body.config ?? {}) } }, async (db) => {
        await db
          .update(alertChannels)
          .set({ ...(body.name !== undefined && { name: body.name }), ...(config && { config }), ...(body.enabled !== undefined && { enabled: body.enabled }), updatedAt: new Date() })
          .where(and(eq(alertChannels.id, id), eq(alertChannels.tenantId, tenantId)));
      });
      return c.json(toJson((await load(c.env, tenantId, id))!), 200);
    },
  );

  app.openapi(
    createRoute({ ...base, method: 'delete', path: '/api/v1/alerts/channels/{id}', summary: 'Delete a channel', ...guard('channels:write'), request: { params: IdParam }, responses: { 204: { description: 'Deleted' }, ...errors } }),
    async (c) => {
      const tenantId = c.get('tenantId');
      const { id } = c.req.valid('param');
      await commitAndPush(c, { action: 'channel.delete', target: { type: 'channel', id } }, async (db) => {
        const res = await db.delete(alertChannels).where(and(eq(alertChannels.id, id), eq(alertChannels.tenantId, tenantId))).returning({ id: alertChannels.id });
        if (!res.length) throw notFound('channel', id);
      });
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      ...base,
      method: 'post',
      path: '/api/v1/alerts/channels/{id}/test',
      summary: 'Send a test notification through a channel now',
      ...guard('channels:write'),
      request: { params: IdParam },
      responses: { 200: { description: 'Delivered', ...json(z.object({ ok: z.literal(true) })) }, 502: { description: 'The channel refused or did not answer', ...json(z.object({ error: z.object({ code: z.string(), message: z.string() }) })) }, ...errors },
    }),
    async (c) => {
      const tenantId = c.get('tenantId');
      const { id } = c.req.valid('param');
      const row = await load(c.env, tenantId, id);
      if (!row) throw notFound('channel', id);
      try {
        await deliver({ id: row.id, name: row.name, type: row.type, config: row.config, enabled: row.enabled }, { tenantId, host: { id: 'test', name: 'test' }, notices: [], test: true }, c.env);
      } catch (err) {
        throw new ApiError(502, 'delivery_failed', (err as Error).message);
      }
      return c.json({ ok: true as const }, 200);
    },
  );
}
