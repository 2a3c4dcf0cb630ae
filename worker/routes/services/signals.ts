// GET /api/v1/services/{service}/signals — P50/P95/P99, requests and errors per bucket, from the
// finest tier covering the range: the object's per-second window (15 min), else the 1 m or 5 m
// rollups in Postgres merged with the object's unflushed tail. Percentiles come from merged
// sketches, never from averaged percentiles.
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { and, eq, gte, lt } from 'drizzle-orm';
import { APM_LIMITS, planSignals, SignalsResponse, type SignalPoint } from '../../../protocol/apm.ts';
import { DEFAULT_POINTS, MAX_POINTS } from '../../../protocol/query.ts';
import { guard } from '../../auth/authorize.ts';
import { httpDb } from '../../db/client.ts';
import { serviceRollup1m, serviceRollup5m } from '../../db/schema.ts';
import type { AppEnv } from '../../types.ts';
import { TimeParam } from '../metrics/params.ts';
import { authErrors, ErrorSchema } from '../schemas.ts';
import { fromBase64, MergedBucket, resolveRange, ServiceParams, serviceStub } from './common.ts';
import { sql } from 'drizzle-orm';
import type { Exemplar } from '../../../protocol/traces.ts';
import { slowSpans } from '../../db/spans.ts';

/** Exemplars over a rollup range come from the stored slow spans, for ranges up to EXEMPLAR_RANGE_MS. */
const EXEMPLAR_RANGE_MS = 6 * 3600_000;
const MAX_EXEMPLARS = 200;

function rangeExemplars(env: Env, tenantId: string, service: string, from: number, to: number, route: string | undefined): Promise<Exemplar[]> {
  if (to - from > EXEMPLAR_RANGE_MS) return Promise.resolve([]);
  return slowSpans(httpDb(env), tenantId, service, from, to, route, MAX_EXEMPLARS);
}

export const RouteParam = z.string().min(1).max(APM_LIMITS.maxRouteLength).openapi({ description: 'a route as listed by /routes, e.g. "GET /users/{id}"' });

const route = createRoute({
  method: 'get',
  path: '/api/v1/services/{service}/signals',
  tags: ['services'],
  summary: "A service's (or one route's) latency percentiles, requests and errors over time",
  description:
    'Buckets from the per-second tier for ranges within the last 15 minutes, else the 1 m rollups (7 d) or the 5 m rollups (30 d), the coarsest whose resolution fits `points`. Default range: the last hour. `exemplars`: stored slow spans of the range (each route\'s slowest per minute; at most 200, for ranges up to 6 hours), to open their traces.',
  ...guard('metrics:read'),
  request: {
    params: ServiceParams,
    query: z.object({
      from: TimeParam.optional(),
      to: TimeParam.optional(),
      route: RouteParam.optional(),
      points: z.coerce.number().int().min(2).max(MAX_POINTS).default(DEFAULT_POINTS),
    }),
  },
  responses: {
    200: { description: 'Points', content: { 'application/json': { schema: SignalsResponse } } },
    400: { description: 'Invalid query', content: { 'application/json': { schema: ErrorSchema } } },
    401: authErrors[401],
    403: authErrors[403],
    404: { description: 'The organization has no such service', content: { 'application/json': { schema: ErrorSchema } } },
  },
});

export function registerServiceSignals(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const tenantId = c.get('tenantId');
    const { service } = c.req.valid('param');
    const q = c.req.valid('query');
    const now = Date.now();
    const { from, to } = resolveRange(q, now);
    const stub = await serviceStub(c.env, tenantId, service);
    const { tier, stepMs } = planSignals(from, to, now, q.points);
    let points: SignalPoint[];
    let exemplars: Exemplar[];
    if (tier === '1s') {
      [points, exemplars] = await Promise.all([stub.signals(from, to, stepMs, q.route), stub.exemplars(from, to, q.route)]);
    } else {
      exemplars = await rangeExemplars(c.env, tenantId, service, from, to, q.route);
      const t = tier === '1m' ? serviceRollup1m : serviceRollup5m;
      const [rows, tail] = await Promise.all([
        httpDb(c.env)
          .select({ bucket: t.bucket, requests: t.requests, errors: t.errors, sketch: sql<string>`encode(${t.sketch}, 'base64')` })
          .from(t)
          .where(and(eq(t.tenantId, tenantId), eq(t.service, service), eq(t.route, q.route ?? ''), gte(t.bucket, new Date(from)), lt(t.bucket, new Date(to)))),
        stub.unflushed(from, to, stepMs, tier, { route: q.route }),
      ]);
      const buckets = new Map<number, MergedBucket>();
      const at = (ts: number) => {
        const b = Math.floor(ts / stepMs) * stepMs;
        let m = buckets.get(b);
        if (!m) buckets.set(b, (m = new MergedBucket()));
        return m;
      };
      for (const r of rows) at(r.bucket.getTime()).add(r.requests, r.errors, fromBase64(r.sketch));
      for (const r of tail) at(r.ts).add(r.requests, r.errors, r.sketch);
      points = [...buckets.entries()].sort((a, b) => a[0] - b[0]).map(([ts, m]) => ({ ts, requests: m.requests, errors: m.errors, ...m.quantiles() }));
    }
    return c.json({ service, route: q.route ?? null, from, to, tier, stepMs, points, exemplars }, 200);
  });
}
