// GET /api/v1/metrics/history — bucketed min/avg/max from the finest tier that covers the range.
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { and, eq, gte, lt, sql } from 'drizzle-orm';
import { DEFAULT_POINTS, HistoryResponse, MAX_POINTS, planHistory, TIERS, type HistorySeries } from '../../../protocol/query.ts';
import { labelsKey, parseLabelsKey } from '../../../protocol/series.ts';
import { guard } from '../../auth/authorize.ts';
import { withDb } from '../../db/client.ts';
import { rollup1m, rollup5m } from '../../db/schema.ts';
import { ApiError } from '../../errors.ts';
import { hostObjectName, type AppEnv } from '../../types.ts';
import { authErrors, ErrorSchema } from '../schemas.ts';
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
    const to = q.to ?? now;
    const from = q.from ?? to - 3600_000;
    if (from >= to) throw new ApiError(400, 'invalid_request', 'from must be before to', 'from');
    if (from < now - TIERS['5m'].retentionMs - 86_400_000)
      throw new ApiError(400, 'invalid_request', 'from is older than the 30 days kept', 'from');
    const { tier, stepMs } = planHistory(from, to, now, q.points);
    let series: HistorySeries[];
    if (tier === 'raw') {
      series = await c.env.HOSTS.getByName(hostObjectName(tenantId, q.host)).history(q.metric, from, to, stepMs);
    } else {
      const t = tier === '1m' ? rollup1m : rollup5m;
      // The step is a server-computed integer, inlined so SELECT and GROUP BY are the same expression.
      const step = sql.raw(String(Math.trunc(stepMs)));
      const bucketStart = sql<number>`(floor(extract(epoch from ${t.bucket}) * 1000 / ${step}) * ${step})::float8`;
      const rows = await withDb(c.env, (db) =>
        db
          .select({
            labels: t.labels,
            ts: bucketStart,
            min: sql<number>`min(${t.min})`,
            max: sql<number>`max(${t.max})`,
            sum: sql<number>`sum(${t.sum})`,
            count: sql<number>`sum(${t.count})::float8`,
          })
          .from(t)
          .where(
            and(
              eq(t.tenantId, tenantId),
              eq(t.hostId, q.host),
              eq(t.metric, q.metric),
              gte(t.bucket, new Date(Math.floor(from / stepMs) * stepMs)),
              lt(t.bucket, new Date(to)),
            ),
          )
          .groupBy(t.labels, bucketStart)
          .orderBy(t.labels, bucketStart),
      );
      // Rollup rows, then the object's unflushed raw tail (it flushes every 5 minutes), merged
      // per bucket: the two cover disjoint samples, so sums and counts add.
      const acc = new Map<string, { labels: Record<string, string>; buckets: Map<number, { min: number; max: number; sum: number; count: number }> }>();
      const add = (labelsKey: string, labels: Record<string, string>, ts: number, b: { min: number; max: number; sum: number; count: number }) => {
        let s = acc.get(labelsKey);
        if (!s) acc.set(labelsKey, (s = { labels, buckets: new Map() }));
        const cur = s.buckets.get(ts);
        if (!cur) s.buckets.set(ts, { ...b });
        else {
          cur.min = Math.min(cur.min, b.min);
          cur.max = Math.max(cur.max, b.max);
          cur.sum += b.sum;
          cur.count += b.count;
        }
      };
      for (const r of rows) add(r.labels, parseLabelsKey(r.labels), Number(r.ts), { min: Number(r.min), max: Number(r.max), sum: Number(r.sum), count: Number(r.count) });
      const tail = await c.env.HOSTS.getByName(hostObjectName(tenantId, q.host)).historyTail(q.metric, from, to, stepMs);
      for (const t of tail) for (const b of t.buckets) add(labelsKey(t.labels), t.labels, b.ts, b);
      series = [...acc.entries()]
        .sort((a, b) => (a[0] < b[0] ? -1 : 1))
        .map(([, s]) => ({
          labels: s.labels,
          points: [...s.buckets.entries()].sort((a, b) => a[0] - b[0]).map(([ts, b]) => ({ ts, min: b.min, avg: b.sum / b.count, max: b.max })),
        }));
    }
    return c.json({ host: q.host, metric: q.metric, from, to, tier, stepMs, series }, 200);
  });
}
