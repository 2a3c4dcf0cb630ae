// GET /api/v1/services/{service}/routes — the per-route table over a range: requests, errors,
// error rate, rps and P50/P95/P99 from merged sketches.
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { and, eq, gte, lt, ne, sql } from 'drizzle-orm';
import { planSignals, RoutesResponse, type RouteRow } from '../../../protocol/apm.ts';
import { guard } from '../../auth/authorize.ts';
import { httpDb } from '../../db/client.ts';
import { serviceRollup1m, serviceRollup5m } from '../../db/schema.ts';
import type { AppEnv } from '../../types.ts';
import { TimeParam } from '../metrics/params.ts';
import { authErrors, ErrorSchema } from '../schemas.ts';
import { fromBase64, MergedBucket, resolveRange, ServiceParams, serviceStub } from './common.ts';

/** Rollup rows merged per route: at most this many buckets a route (the tier is picked for it). */
const BUCKETS_PER_ROUTE = 300;

const route = createRoute({
  method: 'get',
  path: '/api/v1/services/{service}/routes',
  tags: ['services'],
  summary: "A service's routes over a range, busiest first",
  description: 'Default range: the last hour. Routes past the per-service cap are counted under "other" (docs/apm.md).',
  ...guard('metrics:read'),
  request: { params: ServiceParams, query: z.object({ from: TimeParam.optional(), to: TimeParam.optional() }) },
  responses: {
    200: { description: 'Routes', content: { 'application/json': { schema: RoutesResponse } } },
    400: { description: 'Invalid query', content: { 'application/json': { schema: ErrorSchema } } },
    401: authErrors[401],
    403: authErrors[403],
    404: { description: 'The organization has no such service', content: { 'application/json': { schema: ErrorSchema } } },
  },
});

export function registerServiceRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const tenantId = c.get('tenantId');
    const { service } = c.req.valid('param');
    const now = Date.now();
    const { from, to } = resolveRange(c.req.valid('query'), now);
    const stub = await serviceStub(c.env, tenantId, service);
    const { tier } = planSignals(from, to, now, BUCKETS_PER_ROUTE);
    let routes: RouteRow[];
    if (tier === '1s') {
      routes = await stub.routeTable(from, to);
    } else {
      const t = tier === '1m' ? serviceRollup1m : serviceRollup5m;
      const [rows, tail] = await Promise.all([
        httpDb(c.env)
          .select({ route: t.route, requests: t.requests, errors: t.errors, sketch: sql<string>`encode(${t.sketch}, 'base64')` })
          .from(t)
          .where(and(eq(t.tenantId, tenantId), eq(t.service, service), ne(t.route, ''), gte(t.bucket, new Date(from)), lt(t.bucket, new Date(to)))),
        stub.unflushed(from, to, to - from, tier, { byRoute: true }),
      ]);
      const byRoute = new Map<string, MergedBucket>();
      const at = (r: string) => {
        let m = byRoute.get(r);
        if (!m) byRoute.set(r, (m = new MergedBucket()));
        return m;
      };
      for (const r of rows) at(r.route).add(r.requests, r.errors, fromBase64(r.sketch));
      for (const r of tail) at(r.route).add(r.requests, r.errors, r.sketch);
      const seconds = (to - from) / 1000;
      routes = [...byRoute.entries()]
        .filter(([, m]) => m.requests > 0)
        .map(([r, m]) => ({ route: r, requests: m.requests, errors: m.errors, errorRate: m.errors / m.requests, rps: m.requests / seconds, ...m.quantiles() }))
        .sort((a, b) => b.requests - a.requests);
    }
    return c.json({ service, from, to, tier, routes }, 200);
  });
}
