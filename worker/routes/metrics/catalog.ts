// GET /api/v1/metrics/catalog — every metric the service knows, with unit and label key.
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { publicRoute } from '../../auth/authorize.ts';
import { METRIC_DEFS } from '../../../protocol/metrics.ts';
import type { AppEnv } from '../../types.ts';

const MetricDefSchema = z.object({ name: z.string(), group: z.string(), unit: z.string(), label: z.string().optional(), description: z.string() });

const route = createRoute({
  ...publicRoute,
  method: 'get',
  path: '/api/v1/metrics/catalog',
  tags: ['metrics'],
  summary: 'The metric catalog (names follow the product spec)',
  responses: { 200: { description: 'Catalog', content: { 'application/json': { schema: z.object({ metrics: z.array(MetricDefSchema) }) } } } },
});

export function registerCatalog(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, (c) => c.json({ metrics: [...METRIC_DEFS] }, 200));
}
