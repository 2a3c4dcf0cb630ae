// GET /api/v1/services/{service}/metrics — the custom series a service sends through OTLP
// metrics (everything but its HTTP server duration histograms), for charts and discovery.
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { APM_METRIC_LIMITS, ServiceMetricsList } from '../../../protocol/apm-metrics.ts';
import { guard } from '../../auth/authorize.ts';
import type { AppEnv } from '../../types.ts';
import { authErrors, ErrorSchema } from '../schemas.ts';
import { ServiceParams, serviceStub } from './common.ts';

const route = createRoute({
  method: 'get',
  path: '/api/v1/services/{service}/metrics',
  tags: ['services'],
  summary: "A service's custom metrics (from POST /v1/metrics) with their type, unit and series count",
  description:
    'Gauges and sums under their own name; histograms and summaries as `<name>.count` and `<name>.sum`. Values are stored as sent: a cumulative sum stays cumulative. Chart one with GET /api/v1/services/{service}/metrics/history. See docs/apm.md.',
  ...guard('metrics:read'),
  request: { params: ServiceParams },
  responses: {
    200: { description: 'Metrics', content: { 'application/json': { schema: ServiceMetricsList } } },
    400: { description: 'Invalid service name', content: { 'application/json': { schema: ErrorSchema } } },
    401: authErrors[401],
    403: authErrors[403],
    404: { description: 'The organization has no such service', content: { 'application/json': { schema: ErrorSchema } } },
  },
});

export function registerServiceMetricsList(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const { service } = c.req.valid('param');
    const stub = await serviceStub(c.env, c.get('tenantId'), service);
    const metrics = await stub.customMetrics();
    return c.json({ service, metrics, seriesLimit: APM_METRIC_LIMITS.maxCustomSeriesPerService }, 200);
  });
}
