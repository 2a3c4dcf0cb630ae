// GET /api/v1/metrics/history — bucketed min/avg/max from the finest tier that covers the range.
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { and, eq, gte, lt, sql } from 'drizzle-orm';
import { DEFAULT_POINTS, HistoryResponse, MAX_POINTS, planHistory, TIERS, type HistorySeries } from '../../../protocol/query.ts';
import { parseLabelsKey } from '../../../protocol/series.ts';
import { requireKey } from '../../auth/keys.ts';
import { withDb } from '../../db/client.ts';
import { rollup1m, rollup5m } from '../../db/schema.ts';
import { ApiError } from '../../errors.ts';
import { hostObjectName, type AppEnv } from '../../types.ts';
import { ErrorSchema } from '../schemas.ts';
import { HostIdParam, MetricParam, TimeParam } from './params.ts';

const route = createRoute({
  method: 'get',
  path: '/api/v1/metrics/history',
  tags: ['metrics'],
  summary: 'Time series of one metric for one host, at most `points` buckets per series',
  description:
    'Uses the raw 5 s tier for ranges starting within 24 h, the 1 m rollups within 7 d, else the 5 m rollups (30 d). Default range: the last hour.',
  security: [{ bearer: [] }],
  middleware: [requireKey('read')] as const,
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
      const byLabels = new Map<string, HistorySeries>();
      for (const r of rows) {
        let s = byLabels.get(r.labels);
        if (!s) byLabels.set(r.labels, (s = { labels: parseLabelsKey(r.labels), points: [] }));
        s.points.push({ ts: Number(r.ts), min: Number(r.min), max: Number(r.max), avg: Number(r.sum) / Number(r.count) });
      }
      series = [...byLabels.values()];
    }
    return c.json({ host: q.host, metric: q.metric, from, to, tier, stepMs, series }, 200);
  });
}
