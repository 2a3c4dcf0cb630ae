// GET /api/v1/services/{service}/metrics/history — one custom series' history, like a host's
// (GET /api/v1/metrics/history): the service object's raw tier within 24 h, else the 1 m / 5 m
// rollups (service_metric_1m / _5m) merged with the object's unflushed tail.
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { ServiceMetricHistory, ServiceMetricName } from '../../../protocol/apm-metrics.ts';
import { DEFAULT_POINTS, MAX_POINTS, planHistory, type HistorySeries } from '../../../protocol/query.ts';
import { guard } from '../../auth/authorize.ts';
import type { AppEnv } from '../../types.ts';
import { resolveHistoryRange, rollupHistory } from '../metrics/history-tiers.ts';
import { TimeParam } from '../metrics/params.ts';
import { authErrors, ErrorSchema } from '../schemas.ts';
import { ServiceParams, serviceStub } from './common.ts';

const route = createRoute({
  method: 'get',
  path: '/api/v1/services/{service}/metrics/history',
  tags: ['services'],
  summary: "Time series of one of a service's custom metrics, at most `points` buckets per attribute set",
  description:
    'Bucketed min/avg/max per attribute set (series labels are the data points\' attributes). Uses the raw tier for ranges starting within 24 h, the 1 m rollups within 7 d, else the 5 m rollups (30 d). Default range: the last hour. An unknown metric answers no series.',
  ...guard('metrics:read'),
  request: {
    params: ServiceParams,
    query: z.object({
      metric: ServiceMetricName.openapi({ example: 'process.memory.usage' }),
      from: TimeParam.optional(),
      to: TimeParam.optional(),
      points: z.coerce.number().int().min(2).max(MAX_POINTS).default(DEFAULT_POINTS),
    }),
  },
  responses: {
    200: { description: 'Series', content: { 'application/json': { schema: ServiceMetricHistory } } },
    400: { description: 'Invalid query', content: { 'application/json': { schema: ErrorSchema } } },
    401: authErrors[401],
    403: authErrors[403],
    404: { description: 'The organization has no such service', content: { 'application/json': { schema: ErrorSchema } } },
  },
});

export function registerServiceMetricsHistory(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const tenantId = c.get('tenantId');
    const { service } = c.req.valid('param');
    const q = c.req.valid('query');
    const now = Date.now();
    const { from, to } = resolveHistoryRange(q, now);
    const stub = await serviceStub(c.env, tenantId, service);
    const { tier, stepMs } = planHistory(from, to, now, q.points);
    const series: HistorySeries[] =
      tier === 'raw'
        ? await stub.customHistory(q.metric, from, to, stepMs)
        : await rollupHistory(c.env, tenantId, { kind: 'service', service }, tier, q.metric, { from, to, stepMs }, () => stub.customHistoryTail(q.metric, from, to, stepMs));
    return c.json({ service, metric: q.metric, from, to, tier, stepMs, series }, 200);
  });
}
