// Alert rules: POST/GET /api/v1/alerts/rules and GET/PATCH/DELETE /api/v1/alerts/rules/{id}.
// Reads need a read key, writes an admin key. Every query is filtered by the key's tenant. Host
// rules, service signal rules and SLO burn-rate rules share the table and the engine; which
// fields go with which kind is checked in ./rule-checks.ts.
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { and, asc, eq, inArray } from 'drizzle-orm';
import { COMPARATORS, DEFAULT_REPEAT_MS, DEFAULT_SERVICE_REPEAT_MS, isServiceRule, MATCHER_KEYS, RULE_KINDS, SERVICE_MATCHER_KEYS, SEVERITIES } from '../../../durable-objects/core/rules.ts';
import { guard } from '../../auth/authorize.ts';
import { newId } from '../../auth/crypto.ts';
import { alertChannels, alertRules } from '../../db/alerts-schema.ts';
import { httpDb, withDb, type Db } from '../../db/client.ts';
import { ApiError } from '../../errors.ts';
import type { AppEnv } from '../../types.ts';
import { commitAndPush, Duration, errors, IdParam, notFound } from './common.ts';
import { checkRule } from './rule-checks.ts';

const ALL_MATCHER_KEYS = [...MATCHER_KEYS, ...SERVICE_MATCHER_KEYS];
const Matchers = z.strictObject(Object.fromEntries(ALL_MATCHER_KEYS.map((k) => [k, z.string().min(1).max(256).optional()])) as Record<(typeof ALL_MATCHER_KEYS)[number], z.ZodOptional<z.ZodString>>);

const RuleFields = {
  name: z.string().min(1).max(200),
  kind: z.enum(RULE_KINDS).openapi({ description: 'threshold (a host metric or a service signal), burn_rate (an SLO), anomaly (a service signal\'s |z| against its baseline) or forecast (a linear trend reaching the threshold within `horizon`); default threshold' }),
  metric: z.string().min(1).max(200).openapi({
    description: 'A host metric (GET /api/v1/metrics/catalog), "host.up", or a service signal: service.latency.p50, service.latency.p95, service.latency.p99 (ms), service.error_rate (0-1), service.request_rate (requests/s). burn_rate rules: "slo.burn_rate" or omitted',
  }),
  matchers: Matchers.openapi({ description: 'Glob per label (`*` wildcard). Host rules: host, mount, interface, core, device. Service rules: service, route (`route: "*"` = each route on its own; no route = the service as a whole)' }),
  comparator: z.enum(COMPARATORS as [string, ...string[]]),
  threshold: z.number().refine(Number.isFinite, 'must be a finite number'),
  for: Duration.openapi({ description: 'Pending period in ms before the alert fires' }),
  keep_firing_for: Duration.openapi({ description: 'Keep firing this many ms after the condition clears' }),
  repeat_interval: Duration.min(1000).openapi({ description: 'Notify at most once per this many ms (default 5 min)' }),
  severity: z.enum(SEVERITIES as [string, ...string[]]),
  channel_ids: z.array(z.string().min(1).max(64)).max(20).openapi({ description: 'Empty = every channel of the organization' }),
  enabled: z.boolean(),
  window: Duration.nullable().openapi({ description: 'Service rules: the window the signal is computed over (default 60000, at most 15 min); burn_rate rules: the long window; anomaly rules: the scored window, 60000, 300000 or 900000 (default 300000); forecast rules: the window the trend is fitted over' }),
  horizon: Duration.nullable().openapi({ description: 'forecast rules: how far ahead the trend must reach the threshold (e.g. 14400000 for 4 h)' }),
  short_window: Duration.nullable().openapi({ description: 'burn_rate rules: the short window (the alert resolves when it recovers)' }),
  slo_id: z.string().min(1).max(64).nullable().openapi({ description: 'burn_rate rules: the SLO' }),
};

const CreateRule = z.strictObject({
  ...RuleFields,
  kind: RuleFields.kind.default('threshold'),
  metric: RuleFields.metric.optional(),
  matchers: RuleFields.matchers.default({}),
  for: RuleFields.for.default(0),
  keep_firing_for: RuleFields.keep_firing_for.default(0),
  repeat_interval: RuleFields.repeat_interval.optional().openapi({ description: 'Notify at most once per this many ms (default 5 min for host rules, 1 min for service and burn_rate rules)' }),
  channel_ids: RuleFields.channel_ids.default([]),
  enabled: RuleFields.enabled.default(true),
  window: RuleFields.window.optional(),
  short_window: RuleFields.short_window.optional(),
  slo_id: RuleFields.slo_id.optional(),
  horizon: RuleFields.horizon.optional(),
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
    kind: z.enum(RULE_KINDS),
    window: z.number().nullable(),
    short_window: z.number().nullable(),
    slo_id: z.string().nullable(),
    horizon: z.number().nullable(),
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
  kind: r.kind,
  window: r.params.windowMs ?? null,
  short_window: r.params.shortWindowMs ?? null,
  slo_id: r.params.sloId ?? null,
  horizon: r.params.horizonMs ?? null,
  created_at: r.createdAt.getTime(),
  updated_at: r.updatedAt.getTime(),
});

type Input = Partial<z.infer<typeof CreateRule>>;
const toParams = (b: Input): Row['params'] => ({
  ...(b.window != null && { windowMs: b.window }),
  ...(b.short_window != null && { shortWindowMs: b.short_window }),
  ...(b.slo_id != null && { sloId: b.slo_id }),
  ...(b.horizon != null && { horizonMs: b.horizon }),
});
const toColumns = (b: Input) => ({
  ...(b.kind !== undefined && { kind: b.kind }),
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
      const metric = await withDb(c.env, async (db) => {
        await checkChannels(db, tenantId, body.channel_ids);
        return checkRule(db, tenantId, body);
      });
      const repeat = body.repeat_interval ?? (isServiceRule({ kind: body.kind, metric }) ? DEFAULT_SERVICE_REPEAT_MS : DEFAULT_REPEAT_MS);
      await commitAndPush(c, { action: 'rule.create', target: { type: 'rule', id }, details: { name: body.name, kind: body.kind, metric } }, async (db) => {
        await db.insert(alertRules).values({ ...(toColumns({ ...body, metric, repeat_interval: repeat }) as Required<ReturnType<typeof toColumns>>), params: toParams(body), id, tenantId });
      });
      const [row] = await httpDb(c.env).select().from(alertRules).where(and(eq(alertRules.id, id), eq(alertRules.tenantId, tenantId)));
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
      const rows = await httpDb(c.env).select().from(alertRules).where(eq(alertRules.tenantId, c.get('tenantId'))).orderBy(asc(alertRules.createdAt), asc(alertRules.id));
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
      const [row] = await httpDb(c.env).select().from(alertRules).where(and(eq(alertRules.id, id), eq(alertRules.tenantId, c.get('tenantId'))));
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
      // The patch merged onto the stored rule must still be a valid rule of its kind.
      const merged = await withDb(c.env, async (db) => {
        const [cur] = await db.select().from(alertRules).where(and(eq(alertRules.id, id), eq(alertRules.tenantId, tenantId)));
        if (!cur) throw notFound('rule', id);
        await checkChannels(db, tenantId, body.channel_ids);
        const j = toJson(cur);
        const next = { ...j, ...body, metric: body.metric ?? (body.kind && body.kind !== j.kind ? undefined : j.metric), matchers: body.matchers ?? j.matchers };
        const metric = await checkRule(db, tenantId, next);
        return { ...next, metric };
      });
      let found = false;
      await commitAndPush(c, { action: 'rule.update', target: { type: 'rule', id }, details: { fields: Object.keys(body) } }, async (db) => {
        const res = await db
          .update(alertRules)
          .set({ ...toColumns({ ...body, metric: merged.metric }), params: toParams(merged), updatedAt: new Date() })
          .where(and(eq(alertRules.id, id), eq(alertRules.tenantId, tenantId)))
          .returning({ id: alertRules.id });
        found = res.length > 0;
        if (!found) throw notFound('rule', id); // rolls back the version bump too
      });
      const [row] = await httpDb(c.env).select().from(alertRules).where(and(eq(alertRules.id, id), eq(alertRules.tenantId, tenantId)));
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
