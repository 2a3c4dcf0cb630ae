// History over the rollup tiers, shared by a host's metrics (GET /api/v1/metrics/history) and a
// service's custom series (GET /api/v1/services/{service}/metrics/history): the Postgres rows
// bucketed by stepMs, merged with the object's unflushed raw tail, as min/avg/max per bucket.
import { and, eq, gte, lt, sql, type SQL } from 'drizzle-orm';
import type { TailSeries } from '../../../durable-objects/raw-history.ts';
import { TIERS, type HistorySeries } from '../../../protocol/query.ts';
import { labelsKey, parseLabelsKey, type Labels } from '../../../protocol/series.ts';
import { httpDb } from '../../db/client.ts';
import { rollup1m, rollup5m, serviceMetric1m, serviceMetric5m } from '../../db/schema.ts';
import { ApiError } from '../../errors.ts';

/** Whose rollups: a host's metrics or a service's custom series. */
export type RollupOwner = { kind: 'host'; host: string } | { kind: 'service'; service: string };

type Acc = { min: number; max: number; sum: number; count: number };

/** Range defaults and checks of history reads: the last hour, at most the 30 days kept. */
export function resolveHistoryRange(q: { from?: number; to?: number }, now: number): { from: number; to: number } {
  const to = q.to ?? now;
  const from = q.from ?? to - 3600_000;
  if (from >= to) throw new ApiError(400, 'invalid_request', 'from must be before to', 'from');
  if (from < now - TIERS['5m'].retentionMs - 86_400_000) throw new ApiError(400, 'invalid_request', 'from is older than the 30 days kept', 'from');
  return { from, to };
}

async function rollupRows(env: Env, tenantId: string, owner: RollupOwner, tier: '1m' | '5m', metric: string, from: number, to: number, stepMs: number) {
  const t = owner.kind === 'host' ? (tier === '1m' ? rollup1m : rollup5m) : tier === '1m' ? serviceMetric1m : serviceMetric5m;
  const ownerIs: SQL = owner.kind === 'host' ? eq((t as typeof rollup1m).hostId, owner.host) : eq((t as typeof serviceMetric1m).service, owner.service);
  // The step is a server-computed integer, inlined so SELECT and GROUP BY are the same expression.
  const step = sql.raw(String(Math.trunc(stepMs)));
  const bucketStart = sql<number>`(floor(extract(epoch from ${t.bucket}) * 1000 / ${step}) * ${step})::float8`;
  return httpDb(env)
      .select({
        labels: t.labels,
        ts: bucketStart,
        min: sql<number>`min(${t.min})`,
        max: sql<number>`max(${t.max})`,
        sum: sql<number>`sum(${t.sum})`,
        count: sql<number>`sum(${t.count})::float8`,
      })
      .from(t)
      .where(and(eq(t.tenantId, tenantId), ownerIs, eq(t.metric, metric), gte(t.bucket, new Date(Math.floor(from / stepMs) * stepMs)), lt(t.bucket, new Date(to))))
      .groupBy(t.labels, bucketStart)
      .orderBy(t.labels, bucketStart);
}

/**
 * Rollup rows, then the object's unflushed raw tail (read after the rows: a flush in between can
 * hide a moment's samples, never count them twice), merged per bucket: the two cover disjoint
 * samples, so sums and counts add.
 */
export async function rollupHistory(
  env: Env,
  tenantId: string,
  owner: RollupOwner,
  tier: '1m' | '5m',
  metric: string,
  range: { from: number; to: number; stepMs: number },
  tail: () => Promise<TailSeries[]>,
): Promise<HistorySeries[]> {
  const rows = await rollupRows(env, tenantId, owner, tier, metric, range.from, range.to, range.stepMs);
  const acc = new Map<string, { labels: Labels; buckets: Map<number, Acc> }>();
  const add = (key: string, labels: Labels, ts: number, b: Acc) => {
    let s = acc.get(key);
    if (!s) acc.set(key, (s = { labels, buckets: new Map() }));
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
  for (const t of await tail()) for (const b of t.buckets) add(labelsKey(t.labels), t.labels, b.ts, b);
  return [...acc.entries()]
    .sort((a, b) => (a[0] < b[0] ? -1 : 1))
    .map(([, s]) => ({
      labels: s.labels,
      points: [...s.buckets.entries()].sort((a, b) => a[0] - b[0]).map(([ts, b]) => ({ ts, min: b.min, avg: b.sum / b.count, max: b.max })),
    }));
}
