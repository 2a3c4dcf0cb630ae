// GET /api/v1/logs/histogram — how many lines match the filters per time bucket (the explorer's
// chart), every bucket of the range included.
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { LOG_LIMITS, LogHistogramResponse } from '../../../protocol/logs.ts';
import { guard } from '../../auth/authorize.ts';
import { httpDb } from '../../db/client.ts';
import { countBuckets } from '../../db/logs.ts';
import type { AppEnv } from '../../types.ts';
import { authErrors } from '../schemas.ts';
import { FilterQuery, toFilter } from './common.ts';

const STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400].map((s) => s * 1000);

/** The smallest round step that splits the range into at most `buckets`. */
export function histogramStep(from: number, to: number, buckets: number): number {
  return STEPS.find((s) => (to - from) / s <= buckets) ?? STEPS[STEPS.length - 1]!;
}

const route = createRoute({
  method: 'get',
  path: '/api/v1/logs/histogram',
  tags: ['logs'],
  summary: 'Counts of matching log lines per time bucket',
  description: 'The same filters as GET /api/v1/logs. Buckets are round steps (1 s … 1 d) aligned to the epoch, at most `buckets` of them.',
  ...guard('metrics:read'),
  request: { query: FilterQuery.extend({ buckets: z.coerce.number().int().min(2).max(LOG_LIMITS.maxBuckets).default(60) }) },
  responses: {
    200: { description: 'Buckets', content: { 'application/json': { schema: LogHistogramResponse } } },
    400: authErrors[400],
    401: authErrors[401],
    403: authErrors[403],
  },
});

export function registerLogHistogram(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const v = c.req.valid('query');
    const filter = toFilter(c, v, Date.now());
    const stepMs = histogramStep(filter.from, filter.to, v.buckets);
    const counts = await countBuckets(httpDb(c.env), c.get('tenantId'), filter, stepMs); // one fetch, no connection
    const buckets: { ts: number; count: number }[] = [];
    for (let ts = Math.floor(filter.from / stepMs) * stepMs; ts < filter.to; ts += stepMs) buckets.push({ ts, count: counts.get(ts) ?? 0 });
    return c.json({ from: filter.from, to: filter.to, stepMs, buckets }, 200);
  });
}
