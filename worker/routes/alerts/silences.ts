// Silences (maintenance windows): CRUD under /api/v1/alerts/silences. A silence mutes
// notifications for matching alerts between starts_at and ends_at; alerts still fire and are
// recorded in history (notified = "silenced").
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { and, desc, eq } from 'drizzle-orm';
import { guard } from '../../auth/authorize.ts';
import { newId } from '../../auth/crypto.ts';
import { silences } from '../../db/alerts-schema.ts';
import { httpDb } from '../../db/client.ts';
import { ApiError } from '../../errors.ts';
import type { AppEnv } from '../../types.ts';
import { commitAndPush, errors, IdParam, MatcherMap, notFound, Time } from './common.ts';

const Matchers = MatcherMap.refine((m) => Object.keys(m).length > 0, 'needs at least one matcher (host, rule, metric, severity or a label)').openapi({
  description: 'Glob per key (`*` wildcard): host, rule (rule id), metric, severity, or a series label such as mount',
});
const CreateSilence = z.strictObject({ matchers: Matchers, starts_at: Time.optional(), ends_at: Time, comment: z.string().max(1000).default('') });
const PatchSilence = z.strictObject({ matchers: Matchers.optional(), starts_at: Time.optional(), ends_at: Time.optional(), comment: z.string().max(1000).optional() });

export const SilenceJson = z
  .object({ id: z.string(), matchers: z.record(z.string(), z.string()), starts_at: z.number(), ends_at: z.number(), comment: z.string(), active: z.boolean() })
  .openapi('Silence');

type Row = typeof silences.$inferSelect;
const toJson = (r: Row, now = Date.now()) => ({
  id: r.id,
  matchers: r.matchers,
  starts_at: r.startsAt.getTime(),
  ends_at: r.endsAt.getTime(),
  comment: r.comment,
  active: r.startsAt.getTime() <= now && now < r.endsAt.getTime(),
});

function checkWindow(start: number, end: number) {
  if (end <= start) throw new ApiError(400, 'invalid_request', 'ends_at: must be after starts_at', 'ends_at');
}

const json = <T extends z.ZodType>(schema: T) => ({ content: { 'application/json': { schema } } });
const base = { tags: ['alerts'] };
const load = (env: Env, tenantId: string, id: string) =>
  httpDb(env).select().from(silences).where(and(eq(silences.id, id), eq(silences.tenantId, tenantId))).then((rows) => rows[0]);

export function registerSilences(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    createRoute({ ...base, method: 'post', path: '/api/v1/alerts/silences', summary: 'Create a silence', ...guard('silences:write'), request: { body: { required: true, ...json(CreateSilence) } }, responses: { 201: { description: 'Created', ...json(SilenceJson) }, ...errors } }),
    async (c) => {
      const tenantId = c.get('tenantId');
      const b = c.req.valid('json');
      const start = b.starts_at ?? Date.now();
      checkWindow(start, b.ends_at);
      const id = newId('sil');
      await commitAndPush(c, { action: 'silence.create', target: { type: 'silence', id }, details: { matchers: b.matchers, ends_at: b.ends_at } }, async (db) => {
        await db.insert(silences).values({ id, tenantId, matchers: b.matchers, startsAt: new Date(start), endsAt: new Date(b.ends_at), comment: b.comment });
      });
      return c.json(toJson((await load(c.env, tenantId, id))!), 201);
    },
  );

  app.openapi(
    createRoute({ ...base, method: 'get', path: '/api/v1/alerts/silences', summary: "The organization's silences, newest first", ...guard('alerts:read'), responses: { 200: { description: 'Silences', ...json(z.object({ silences: z.array(SilenceJson) })) }, ...errors } }),
    async (c) => {
      const rows = await httpDb(c.env).select().from(silences).where(eq(silences.tenantId, c.get('tenantId'))).orderBy(desc(silences.createdAt)).limit(500);
      return c.json({ silences: rows.map((r) => toJson(r)) }, 200);
    },
  );

  app.openapi(
    createRoute({ ...base, method: 'get', path: '/api/v1/alerts/silences/{id}', summary: 'One silence', ...guard('alerts:read'), request: { params: IdParam }, responses: { 200: { description: 'The silence', ...json(SilenceJson) }, ...errors } }),
    async (c) => {
      const { id } = c.req.valid('param');
      const row = await load(c.env, c.get('tenantId'), id);
      if (!row) throw notFound('silence', id);
      return c.json(toJson(row), 200);
    },
  );

  app.openapi(
    createRoute({ ...base, method: 'patch', path: '/api/v1/alerts/silences/{id}', summary: 'Change a silence (e.g. end it early)', ...guard('silences:write'), request: { params: IdParam, body: { required: true, ...json(PatchSilence) } }, responses: { 200: { description: 'The silence', ...json(SilenceJson) }, ...errors } }),
    async (c) => {
      const tenantId = c.get('tenantId');
      const { id } = c.req.valid('param');
      const b = c.req.valid('json');
      const row = await load(c.env, tenantId, id);
      if (!row) throw notFound('silence', id);
      const start = b.starts_at ?? row.startsAt.getTime();
      const end = b.ends_at ?? row.endsAt.getTime();
      checkWindow(start, end);
      await commitAndPush(c, { action: 'silence.update', target: { type: 'silence', id }, details: { fields: Object.keys(b) } }, async (db) => {
        await db
          .update(silences)
          .set({ startsAt: new Date(start), endsAt: new Date(end), ...(b.matchers && { matchers: b.matchers }), ...(b.comment !== undefined && { comment: b.comment }) })
          .where(and(eq(silences.id, id), eq(silences.tenantId, tenantId)));
      });
      return c.json(toJson((await load(c.env, tenantId, id))!), 200);
    },
  );

  app.openapi(
    createRoute({ ...base, method: 'delete', path: '/api/v1/alerts/silences/{id}', summary: 'Delete a silence', ...guard('silences:write'), request: { params: IdParam }, responses: { 204: { description: 'Deleted' }, ...errors } }),
    async (c) => {
      const tenantId = c.get('tenantId');
      const { id } = c.req.valid('param');
      await commitAndPush(c, { action: 'silence.delete', target: { type: 'silence', id } }, async (db) => {
        const res = await db.delete(silences).where(and(eq(silences.id, id), eq(silences.tenantId, tenantId))).returning({ id: silences.id });
        if (!res.length) throw notFound('silence', id);
      });
      return c.body(null, 204);
    },
  );
}
