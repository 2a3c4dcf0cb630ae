// GET /api/v1/alerts — alerts firing now and the history of firing episodes of hosts and
// services, filtered by host or service, rule, severity and time. Rows are written by the host
// and service objects as alerts fire and resolve.
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { and, desc, eq, gte, isNotNull, isNull, lt, type SQL } from 'drizzle-orm';
import { ServiceNameParam } from '../../../protocol/apm.ts';
import { SEVERITIES } from '../../../durable-objects/core/rules.ts';
import { guard } from '../../auth/authorize.ts';
import { alertHistory } from '../../db/alerts-schema.ts';
import { httpDb } from '../../db/client.ts';
import type { AppEnv } from '../../types.ts';
import { HostIdParam, TimeParam } from '../metrics/params.ts';
import { errors, iso } from './common.ts';

const Query = z.object({
  host: HostIdParam.optional(),
  service: ServiceNameParam.optional().openapi({ description: 'A service name' }),
  subject: z.enum(['host', 'service']).optional().openapi({ description: "Only hosts' or only services' alerts" }),
  rule: z.string().min(1).max(64).optional().openapi({ description: 'Rule id' }),
  severity: z.enum(SEVERITIES as [string, ...string[]]).optional(),
  from: TimeParam.optional(),
  to: TimeParam.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export const AlertJson = z
  .object({
    id: z.string(),
    rule_id: z.string(),
    rule_name: z.string(),
    severity: z.string(),
    host: z.string().nullable().openapi({ description: "The host's id; null for a service's alert" }),
    service: z.string().nullable().openapi({ description: "The service's name; null for a host's alert" }),
    metric: z.string(),
    labels: z.record(z.string(), z.string()),
    status: z.enum(['FIRING', 'RESOLVED']),
    value: z.number(),
    threshold: z.number(),
    started_at: z.number(),
    resolved_at: z.number().nullable(),
    notified: z.string().openapi({ description: 'pending | sent | failed | silenced | suppressed | none' }),
    last_error: z.string().nullable(),
  })
  .openapi('Alert');

type Row = typeof alertHistory.$inferSelect;
const toJson = (r: Row): z.infer<typeof AlertJson> => ({
  id: r.id,
  rule_id: r.ruleId,
  rule_name: r.ruleName,
  severity: r.severity,
  host: r.hostId,
  service: r.service,
  metric: r.metric,
  labels: r.labels,
  status: r.status,
  value: r.value,
  threshold: r.threshold,
  started_at: r.startedAt.getTime(),
  resolved_at: iso(r.resolvedAt),
  notified: r.notified,
  last_error: r.lastError,
});

const route = createRoute({
  method: 'get',
  path: '/api/v1/alerts',
  tags: ['alerts'],
  summary: 'Alerts firing now, and history (newest first)',
  description: '`firing` ignores from/to; `history` holds episodes that started in [from, to).',
  ...guard('alerts:read'),
  request: { query: Query },
  responses: { 200: { description: 'Alerts', content: { 'application/json': { schema: z.object({ firing: z.array(AlertJson), history: z.array(AlertJson) }) } } }, ...errors },
});

export function registerAlertList(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const q = c.req.valid('query');
    const where: SQL[] = [eq(alertHistory.tenantId, c.get('tenantId'))];
    if (q.host) where.push(eq(alertHistory.hostId, q.host));
    if (q.service) where.push(eq(alertHistory.service, q.service));
    if (q.subject) where.push(q.subject === 'host' ? isNull(alertHistory.service) : isNotNull(alertHistory.service));
    if (q.rule) where.push(eq(alertHistory.ruleId, q.rule));
    if (q.severity) where.push(eq(alertHistory.severity, q.severity));
    const range = [...(q.from !== undefined ? [gte(alertHistory.startedAt, new Date(q.from))] : []), ...(q.to !== undefined ? [lt(alertHistory.startedAt, new Date(q.to))] : [])];
    const db = httpDb(c.env);
    const [firing, history] = await Promise.all([
      db.select().from(alertHistory).where(and(...where, eq(alertHistory.status, 'FIRING'))).orderBy(desc(alertHistory.startedAt)).limit(q.limit),
      db.select().from(alertHistory).where(and(...where, ...range)).orderBy(desc(alertHistory.startedAt)).limit(q.limit),
    ]);
    return c.json({ firing: firing.map(toJson), history: history.map(toJson) }, 200);
  });
}
