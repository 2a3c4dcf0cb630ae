// GET /api/v1/metrics/history — bucketed min/avg/max from the finest tier that covers the range.
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { DEFAULT_POINTS, HistoryResponse, MAX_POINTS, planHistory, type HistorySeries } from '../../../protocol/query.ts';
import { guard } from '../../auth/authorize.ts';
import { hostObjectName, type AppEnv } from '../../types.ts';
import { authErrors, ErrorSchema } from '../schemas.ts';
import { resolveHistoryRange, rollupHistory } from './history-tiers.ts';
import { HostIdParam, MetricParam, TimeParam } from './params.ts';

const route = createRoute({
  method: 'get',
  path: '/api/v1/metrics/history',
  tags: ['metrics'],
  summary: 'Time series of one metric for one host, at most `points` buckets per series',
  description:
    'Uses the raw 5 s tier for ranges starting within 24 h, the 1 m rollups within 7 d, else the 5 m rollups (30 d). Default range: the last hour.',
  ...guard('metrics:read'),
  request: {
    query: z.object({
      host: HostIdParam,
      metric: MetricParam,
      from: TimeParam.optional(),
      to: TimeParam.optional(),
      points: z.coerce.number().int().min(2).max(MAX_POINTS).default(DEFAULT_POINTS),
    }),
  },
  responses: {
    200: { description: 'Series', content: { 'application/json': { schema: HistoryResponse } } },
    400: { description: 'Invalid query', content: { 'application/json': { schema: ErrorSchema } } },
    401: authErrors[401],
    403: authErrors[403],
  },
});

export function registerHistory(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const tenantId = c.get('tenantId');
    const q = c.req.valid('query');
    const now = Date.now();
    const { from, to } = resolveHistoryRange(q, now);
    const { tier, stepMs } = planHistory(from, to, now, q.points);
    const stub = c.env.HOSTS.getByName(hostObjectName(tenantId, q.host));
    const series: HistorySeries[] =
      tier === 'raw'
        ? await stub.history(q.metric, from, to, stepMs)
        : await rollupHistory(c.env, tenantId, { kind: 'host', host: q.host }, tier, q.metric, { from, to, stepMs }, () => stub.historyTail(q.metric, from, to, stepMs));
    return c.json({ host: q.host, metric: q.metric, from, to, tier, stepMs, series }, 200);
  });
}
