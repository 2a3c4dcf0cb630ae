// Alert rules: POST/GET /api/v1/alerts/rules and GET/PATCH/DELETE /api/v1/alerts/rules/{id}.
// Reads need a read key, writes an admin key. Every query is filtered by the key's tenant.
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { and, asc, eq, inArray } from 'drizzle-orm';
import { isKnownMetric } from '../../../protocol/metrics.ts';
import { COMPARATORS, HOST_UP_METRIC, MATCHER_KEYS, SEVERITIES } from '../../../durable-objects/core/rules.ts';
import { guard } from '../../auth/authorize.ts';
import { newId } from '../../auth/crypto.ts';
import { alertChannels, alertRules } from '../../db/alerts-schema.ts';
import { withDb, type Db } from '../../db/client.ts';
import { ApiError } from '../../errors.ts';
import type { AppEnv } from '../../types.ts';
import { commitAndPush, Duration, errors, IdParam, notFound } from './common.ts';

const Matchers = z.strictObject(Object.fromEntries(MATCHER_KEYS.map((k) => [k, z.string().min(1).max(256).optional()])) as Record<(typeof MATCHER_KEYS)[number], z.ZodOptional<z.ZodString>>);

const RuleFields = {
  name: z.string().min(1).max(200),
  metric: z.string().refine((m) => m === HOST_UP_METRIC || isKnownMetric(m), 'is not a known metric (see GET /api/v1/metrics/catalog, or "host.up")'),
  matchers: Matchers.openapi({ description: 'Glob per label (`*` wildcard): host, mount, interface, core, device' }),
  comparator: z.enum(COMPARATORS as [string, ...string[]]),
  threshold: z.number().refine(Number.isFinite, 'must be a finite number'),
  for: Duration.openapi({ description: 'Pending period in ms before the alert fires' }),
  keep_firing_for: Duration.openapi({ description: 'Keep firing this many ms after the condition clears' }),
  repeat_interval: Duration.min(1000).openapi({ description: 'Notify at most once per this many ms (default 5 min)' }),
  severity: z.enum(SEVERITIES as [string, ...string[]]),
  channel_ids: z.array(z.string().min(1).max(64)).max(20).openapi({ description: 'Empty = every channel of the organization' }),
  enabled: z.boolean(),
};

const CreateRule = z.strictObject({
  ...RuleFields,
  matchers: RuleFields.matchers.default({}),
  for: RuleFields.for.default(0),
  keep_firing_for: RuleFields.keep_firing_for.default(0),
  repeat_interval: RuleFields.repeat_interval.default(300_000),
  channel_ids: RuleFields.channel_ids.default([]),
  enabled: RuleFields.enabled.default(true),
});
const PatchRule = z.strictObject(Object.fromEntries(Object.entries(RuleFields).map(([k, v]) => [k, v.optional()])) as { [K in keyof typeof RuleFields]: z.ZodOptional<(typeof RuleFields)[K]> });

export const RuleJson = z
  .object({
    id: z.string(),
    name: z.string(),
    metric: z.string(),
    matchers: z.record(z.string(), z.string()),
    comparator: z.string(),
    threshold: z.number(),
    for: z.number(),
    keep_firing_for: z.number(),
    repeat_interval: z.number(),
    severity: z.string(),
    channel_ids: z.array(z.string()),
    enabled: z.boolean(),
    created_at: z.number(),
    updated_at: z.number(),
  })
  .openapi('AlertRule');

type Row = typeof alertRules.$inferSelect;
const toJson = (r: Row): z.infer<typeof RuleJson> => ({
  id: r.id,
  name: r.name,
  metric: r.metric,
  matchers: r.matchers,
  comparator: r.comparator,
  threshold: r.threshold,
  for: r.forMs,
  keep_firing_for: r.keepFiringForMs,
  repeat_interval: r.repeatIntervalMs,
  severity: r.severity,
  channel_ids: r.channelIds,
  enabled: r.enabled,
  created_at: r.createdAt.getTime(),
  updated_at: r.updatedAt.getTime(),
});

type Input = Partial<z.infer<typeof CreateRule>>;
const toColumns = (b: Input) => ({
  ...(b.name !== undefined && { name: b.name }),
  ...(b.metric !== undefined && { metric: b.metric }),
  ...(b.matchers !== undefined && { matchers: Object.fromEntries(Object.entries(b.matchers).filter(([, v]) => v !== undefined)) as Record<string, string> }),
  ...(b.comparator !== undefined && { comparator: b.comparator as Row['comparator'] }),
  ...(b.threshold !== undefined && { threshold: b.threshold }),
  ...(b.for !== undefined && { forMs: b.for }),
  ...(b.keep_firing_for !== undefined && { keepFiringForMs: b.keep_firing_for }),
  ...(b.repeat_interval !== undefined && { repeatIntervalMs: b.repeat_interval }),
  ...(b.severity !== undefined && { severity: b.severity as Row['severity'] }),
  ...(b.channel_ids !== undefined && { channelIds: b.channel_ids }),
  ...(b.enabled !== undefined && { enabled: b.enabled }),
});

/** Channel ids must name channels of this tenant. */
async function checkChannels(db: Db, tenantId: string, ids: string[] | undefined) {
  if (!ids?.length) return;
  const found = await db.select({ id: alertChannels.id }).from(alertChannels).where(and(eq(alertChannels.tenantId, tenantId), inArray(alertChannels.id, ids)));
  const missing = ids.find((id) => !found.some((f) => f.id === id));
  if (missing) throw new ApiError(400, 'invalid_request', `channel_ids: no channel "${missing}" in this organization`, 'channel_ids');
}

const json = <T extends z.ZodType>(schema: T) => ({ content: { 'application/json': { schema } } });
const base = { tags: ['alerts'] };

export function registerAlertRules(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    createRoute({
      ...base,
      method: 'post',
      path: '/api/v1/alerts/rules',
      summary: 'Create an alert rule',
      ...guard('alerts:write'),
      request: { body: { required: true, ...json(CreateRule) } },
      responses: { 201: { description: 'Created', ...json(RuleJson) }, ...errors },
    }),
    async (c) => {
      const tenantId = c.get('tenantId');
      const body = c.req.valid('json');
      const id = newId('rule');
      await withDb(c.env, (db) => checkChannels(db, tenantId, body.channel_ids));
      await commitAndPush(c, { action: 'rule.create', target: { type: 'rule', id }, details: { name: body.name, metric: body.metric } }, async (db) => {
        await db.insert(alertRules).values({ ...(toColumns(body) as Required<ReturnType<typeof toColumns>>), id, tenantId });
      });
      const [row] = await withDb(c.env, (db) => db.select().from(alertRules).where(and(eq(alertRules.id, id), eq(alertRules.tenantId, tenantId))));
      return c.json(toJson(row!), 201);
    },
  );

  app.openapi(
    createRoute({
      ...base,
      method: 'get',
      path: '/api/v1/alerts/rules',
      summary: "The organization's alert rules",
      ...guard('alerts:read'),
      responses: { 200: { description: 'Rules', ...json(z.object({ rules: z.array(RuleJson) })) }, ...errors },
    }),
    async (c) => {
      const rows = await withDb(c.env, (db) => db.select().from(alertRules).where(eq(alertRules.tenantId, c.get('tenantId'))).orderBy(asc(alertRules.createdAt), asc(alertRules.id)));
      return c.json({ rules: rows.map(toJson) }, 200);
    },
  );

  app.openapi(
    createRoute({
      ...base,
      method: 'get',
      path: '/api/v1/alerts/rules/{id}',
      summary: 'One alert rule',
      ...guard('alerts:read'),
      request: { params: IdParam },
      responses: { 200: { description: 'The rule', ...json(RuleJson) }, ...errors },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const [row] = await withDb(c.env, (db) => db.select().from(alertRules).where(and(eq(alertRules.id, id), eq(alertRules.tenantId, c.get('tenantId')))));
      if (!row) throw notFound('rule', id);
      return c.json(toJson(row), 200);
    },
  );

  app.openapi(
    createRoute({
      ...base,
      method: 'patch',
      path: '/api/v1/alerts/rules/{id}',
      summary: 'Change an alert rule (takes effect on each host’s next sample)',
      ...guard('alerts:write'),
      request: { params: IdParam, body: { required: true, ...json(PatchRule) } },
      responses: { 200: { description: 'The rule', ...json(RuleJson) }, ...errors },
    }),
    async (c) => {
      const tenantId = c.get('tenantId');
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      await withDb(c.env, (db) => checkChannels(db, tenantId, body.channel_ids));
      let found = false;
      await commitAndPush(c, { action: 'rule.update', target: { type: 'rule', id }, details: { fields: Object.keys(body) } }, async (db) => {
        const res = await db
          .update(alertRules)
          .set({ ...toColumns(body), updatedAt: new Date() })
          .where(and(eq(alertRules.id, id), eq(alertRules.tenantId, tenantId)))
          .returning({ id: alertRules.id });
        found = res.length > 0;
        if (!found) throw notFound('rule', id); // rolls back the version bump too
      });
      const [row] = await withDb(c.env, (db) => db.select().from(alertRules).where(and(eq(alertRules.id, id), eq(alertRules.tenantId, tenantId))));
      return c.json(toJson(row!), 200);
    },
  );

  app.openapi(
    createRoute({
      ...base,
      method: 'delete',
      path: '/api/v1/alerts/rules/{id}',
      summary: 'Delete an alert rule (its history is kept)',
      ...guard('alerts:write'),
      request: { params: IdParam },
      responses: { 204: { description: 'Deleted' }, ...errors },
    }),
    async (c) => {
      const tenantId = c.get('tenantId');
      const { id } = c.req.valid('param');
      await commitAndPush(c, { action: 'rule.delete', target: { type: 'rule', id } }, async (db) => {
        const res = await db.delete(alertRules).where(and(eq(alertRules.id, id), eq(alertRules.tenantId, tenantId))).returning({ id: alertRules.id });
        if (!res.length) throw notFound('rule', id);
      });
      return c.body(null, 204);
    },
  );
}
