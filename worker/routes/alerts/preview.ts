// POST /api/v1/alerts/rules/preview — what a draft rule selects now and whether each series would
// fire: host rules against each host's latest values, service rules and burn-rate rules through
// the service objects' own evaluators (the code that runs on every batch), so the preview and
// the engine cannot disagree. Read-only: nothing is stored. The rule editor calls it as you type.
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { and, eq } from 'drizzle-orm';
import { breaches, COMPARATORS, HOST_UP_METRIC, isServiceRule, MATCHER_KEYS, matchesSeries, matchesServiceSeries, RULE_KINDS, SERVICE_MATCHER_KEYS, type Comparator, type Matchers, type Rule } from '../../../durable-objects/core/rules.ts';
import { guard } from '../../auth/authorize.ts';
import { slos } from '../../db/alerts-schema.ts';
import { withDb } from '../../db/client.ts';
import { hosts, services } from '../../db/schema.ts';
import { hostObjectName, serviceObjectName, type AppEnv } from '../../types.ts';
import { Duration, errors } from './common.ts';
import { checkRule } from './rule-checks.ts';

/** Hosts or services asked per preview; the answer says when there were more. */
const MAX_SUBJECTS = 200;
const ALL_KEYS = [...MATCHER_KEYS, ...SERVICE_MATCHER_KEYS];

const Draft = z.strictObject({
  kind: z.enum(RULE_KINDS).default('threshold'),
  metric: z.string().min(1).max(200).optional(),
  matchers: z.strictObject(Object.fromEntries(ALL_KEYS.map((k) => [k, z.string().min(1).max(256).optional()])) as Record<(typeof ALL_KEYS)[number], z.ZodOptional<z.ZodString>>).default({}),
  comparator: z.enum(COMPARATORS as [string, ...string[]]),
  threshold: z.number().refine(Number.isFinite, 'must be a finite number'),
  for: Duration.default(0).openapi({ description: 'host.up: how long without a sample counts as down' }),
  window: Duration.nullable().optional(),
  short_window: Duration.nullable().optional(),
  slo_id: z.string().min(1).max(64).nullable().optional(),
  horizon: Duration.nullable().optional(),
});

const Series = z.object({
  host: z.string().nullable(),
  service: z.string().nullable(),
  labels: z.record(z.string(), z.string()),
  value: z.number(),
  fires: z.boolean().openapi({ description: 'the value breaches the threshold now (a rule with `for` fires once it has held that long)' }),
});
const Preview = z.object({ series: z.array(Series), truncated: z.boolean().openapi({ description: `more than ${MAX_SUBJECTS} hosts or services: only the first were asked` }) }).openapi('RulePreview');

const route = createRoute({
  method: 'post',
  path: '/api/v1/alerts/rules/preview',
  tags: ['alerts'],
  summary: 'What a draft rule selects now, and whether it would fire',
  description: 'The body is a rule as POST /api/v1/alerts/rules takes it (name, severity and channels not needed); invalid drafts get the same 400s naming the field.',
  ...guard('alerts:read'),
  request: { body: { content: { 'application/json': { schema: Draft } }, required: true } },
  responses: { 200: { description: 'The series', content: { 'application/json': { schema: Preview } } }, ...errors },
});

export function registerRulePreview(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const tenantId = c.get('tenantId');
    const d = c.req.valid('json');
    const metric = await withDb(c.env, (db) => checkRule(db, tenantId, d));
    const rule: Rule = {
      id: 'preview',
      name: 'preview',
      metric,
      matchers: Object.fromEntries(Object.entries(d.matchers).filter(([, v]) => v !== undefined)) as Matchers,
      comparator: d.comparator as Comparator,
      threshold: d.threshold,
      forMs: d.for,
      keepFiringForMs: 0,
      severity: 'INFO',
      channelIds: [],
      enabled: true,
      kind: d.kind,
      ...(d.window != null && { windowMs: d.window }),
      ...(d.short_window != null && { shortWindowMs: d.short_window }),
      ...(d.slo_id != null && { sloId: d.slo_id }),
      ...(d.horizon != null && { horizonMs: d.horizon }),
    };
    const now = Date.now();
    const fires = (v: number) => breaches(rule.comparator, v, rule.threshold);
    if (isServiceRule(rule)) {
      // Services that sent spans (others have no object); a burn-rate rule asks only its SLO's.
      const known = await withDb(c.env, async (db) => {
        const all = (await db.select({ name: services.name }).from(services).where(eq(services.tenantId, tenantId))).map((r) => r.name);
        if (rule.kind !== 'burn_rate') return all.filter((s) => rule.matchers.service === undefined || matchesServiceSeries({ service: rule.matchers.service }, { service: s }));
        const [slo] = await db.select({ service: slos.service }).from(slos).where(and(eq(slos.tenantId, tenantId), eq(slos.id, rule.sloId!)));
        return all.filter((s) => s === slo?.service);
      });
      const asked = known.slice(0, MAX_SUBJECTS);
      const obs = await Promise.all(asked.map((s) => c.env.SERVICES.getByName(serviceObjectName(tenantId, s)).previewRule(rule, now)));
      const series = asked.flatMap((service, i) => obs[i]!.map((o) => ({ host: null, service, labels: o.labels, value: o.value, fires: fires(o.value) })));
      return c.json({ series, truncated: known.length > asked.length }, 200);
    }
    const ids = await withDb(c.env, async (db) => (await db.select({ id: hosts.id }).from(hosts).where(eq(hosts.tenantId, tenantId))).map((r) => r.id).filter((id) => rule.matchers.host === undefined || matchesSeries({ host: rule.matchers.host }, id, {})));
    const asked = ids.slice(0, MAX_SUBJECTS);
    if (rule.kind === 'forecast') {
      // The trend each host's raw tier gives now (the same fit the rule runs on each sample).
      const obs = await Promise.all(asked.map((id) => c.env.HOSTS.getByName(hostObjectName(tenantId, id)).previewForecast(rule, now)));
      const series = asked.flatMap((host, i) => obs[i]!.map((o) => ({ host, service: null, labels: o.labels, value: o.value, fires: fires(o.value) })));
      return c.json({ series, truncated: ids.length > asked.length }, 200);
    }
    const current = await Promise.all(asked.map((id) => c.env.HOSTS.getByName(hostObjectName(tenantId, id)).current()));
    const series = asked.flatMap((host, i) => {
      const cur = current[i]!;
      if (cur.lastSeen === null) return [];
      if (metric === HOST_UP_METRIC) {
        const up = now - cur.lastSeen < Math.max(rule.forMs, 60_000) ? 1 : 0;
        return [{ host, service: null, labels: {}, value: up, fires: up === 0 }];
      }
      return cur.values.filter((v) => v.metric === metric && matchesSeries(rule.matchers, host, v.labels)).map((v) => ({ host, service: null, labels: v.labels, value: v.value, fires: fires(v.value) }));
    });
    return c.json({ series, truncated: ids.length > asked.length }, 200);
  });
}
