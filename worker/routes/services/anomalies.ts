// GET /api/v1/services/{service}/anomalies — the service's anomaly periods over a range (the
// golden signals' windows whose |z| reached 3 against their per-minute baseline, docs/anomalies.md)
// and the latest scores. The periods live in the service object (kept 30 days).
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { AnomaliesResponse } from '../../../protocol/anomalies.ts';
import { guard } from '../../auth/authorize.ts';
import type { AppEnv } from '../../types.ts';
import { TimeParam } from '../metrics/params.ts';
import { authErrors, ErrorSchema } from '../schemas.ts';
import { resolveRange, ServiceParams, serviceStub } from './common.ts';

const route = createRoute({
  method: 'get',
  path: '/api/v1/services/{service}/anomalies',
  tags: ['services'],
  summary: "A service's anomaly periods over a range, and its current z-scores",
  description:
    'Periods in which a golden signal (P50/P95/P99, error rate, requests/s) of the 1 m, 5 m or 15 m window was at least 3 robust standard deviations from its baseline (the per-minute values of the last hour). Default range: the last hour; kept 30 days; at most the first 1,000 periods of the range.',
  ...guard('metrics:read'),
  request: { params: ServiceParams, query: z.object({ from: TimeParam.optional(), to: TimeParam.optional() }) },
  responses: {
    200: { description: 'Periods and scores', content: { 'application/json': { schema: AnomaliesResponse } } },
    400: { description: 'Invalid query', content: { 'application/json': { schema: ErrorSchema } } },
    401: authErrors[401],
    403: authErrors[403],
    404: { description: 'The organization has no such service', content: { 'application/json': { schema: ErrorSchema } } },
  },
});

export function registerServiceAnomalies(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const { service } = c.req.valid('param');
    const { from, to } = resolveRange(c.req.valid('query'), Date.now());
    const stub = await serviceStub(c.env, c.get('tenantId'), service);
    const { periods, current } = await stub.anomalyPeriods(from, to);
    return c.json({ service, from, to, periods, current }, 200);
  });
}
