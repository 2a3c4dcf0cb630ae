// Shared pieces of the SLO routes (/api/v1/slos): the JSON shapes, the row lookup, and the
// burn-rate rules an SLO gets by default (the SRE Workbook's four, scaled to its window).
import { z } from '@hono/zod-openapi';
import { and, eq, sql } from 'drizzle-orm';
import { scaledTiers } from '../../../durable-objects/core/burn-rate.ts';
import { BURN_RATE_METRIC } from '../../../durable-objects/core/rules.ts';
import { BURN_WINDOWS, SLO_KINDS, SLO_WINDOW_DAYS } from '../../../durable-objects/core/slo.ts';
import { newId } from '../../auth/crypto.ts';
import { alertRules, slos } from '../../db/alerts-schema.ts';
import type { Db } from '../../db/client.ts';
import { httpDb } from '../../db/client.ts';
import { ApiError } from '../../errors.ts';

export const tags = ['slos'];
export const json = <T extends z.ZodType>(schema: T) => ({ content: { 'application/json': { schema } } });
export const SloIdParam = z.object({ id: z.string().min(1).max(64).openapi({ param: { name: 'id', in: 'path' } }) });

export const SloJson = z
  .object({
    id: z.string(),
    name: z.string(),
    service: z.string(),
    route: z.string().nullable().openapi({ description: 'null: every request of the service' }),
    kind: z.enum(SLO_KINDS),
    threshold_ms: z.number().nullable().openapi({ description: 'latency SLOs: good = at or under this many ms' }),
    objective: z.number().openapi({ description: 'fraction of good requests, e.g. 0.999' }),
    window_days: z.number(),
    created_at: z.number(),
    updated_at: z.number(),
  })
  .openapi('Slo');

const Rates = z.object(Object.fromEntries(Object.keys(BURN_WINDOWS).map((k) => [k, z.number().nullable()])) as Record<keyof typeof BURN_WINDOWS, z.ZodNullable<z.ZodNumber>>);

export const SloStatusJson = z
  .object({
    id: z.string(),
    name: z.string(),
    service: z.string(),
    route: z.string().nullable(),
    kind: z.enum(SLO_KINDS),
    thresholdMs: z.number().nullable(),
    objective: z.number(),
    windowDays: z.number(),
    at: z.number().openapi({ description: 'when the status was computed, epoch ms' }),
    good: z.number().openapi({ description: 'good requests in the window (exact)' }),
    total: z.number().openapi({ description: 'requests in the window (exact)' }),
    sli: z.number().nullable().openapi({ description: 'good / total; null without requests' }),
    budgetRequests: z.number().openapi({ description: 'bad requests the window allows' }),
    budgetRemainingRequests: z.number().openapi({ description: 'allowed bad requests not yet spent (negative when overspent)' }),
    budgetRemaining: z.number().nullable().openapi({ description: 'fraction of the error budget left (1 = untouched)' }),
    burnRates: Rates.openapi({ description: 'error rate / (1 - objective) over each window; null without requests' }),
    exhaustsInMs: z.number().nullable().openapi({ description: "ms until the budget is spent at the last hour's rate; null when nothing burns" }),
    status: z.enum(['ok', 'burning', 'exhausted', 'no_data']),
  })
  .openapi('SloStatus');

export type SloRow = typeof slos.$inferSelect;
export const toJson = (r: SloRow): z.infer<typeof SloJson> => ({
  id: r.id,
  name: r.name,
  service: r.service,
  route: r.route,
  kind: r.kind,
  threshold_ms: r.thresholdMs,
  objective: r.objective,
  window_days: r.windowDays,
  created_at: r.createdAt.getTime(),
  updated_at: r.updatedAt.getTime(),
});

export const SloFields = {
  name: z.string().min(1).max(200),
  service: z.string().min(1).max(128).regex(/^[^\x00-\x1f\x7f]+$/, 'has control characters'),
  route: z.string().min(1).max(200).nullable().openapi({ description: 'One route (as the service page names it, e.g. "GET /api/orders"); null or absent: the whole service' }),
  kind: z.enum(SLO_KINDS),
  threshold_ms: z.number().positive('must be above 0').max(600_000).nullable().openapi({ description: 'latency SLOs only' }),
  objective: z.number().gt(0, 'must be above 0').lt(1, 'must be below 1 (a fraction: 0.999 = 99.9 %)'),
  window_days: z.union(SLO_WINDOW_DAYS.map((d) => z.literal(d)) as [z.ZodLiteral<7>, z.ZodLiteral<28>, z.ZodLiteral<30>]).openapi({ description: 'rolling window: 7, 28 or 30 days' }),
};

/** A latency SLO needs its threshold; an availability SLO has none. */
export function checkShape(s: { kind: string; threshold_ms?: number | null }) {
  if (s.kind === 'latency' && s.threshold_ms == null) throw new ApiError(400, 'invalid_request', 'threshold_ms: a latency SLO needs its threshold in ms', 'threshold_ms');
  if (s.kind === 'availability' && s.threshold_ms != null) throw new ApiError(400, 'invalid_request', 'threshold_ms: only latency SLOs have a threshold', 'threshold_ms');
}

export const notFound = (id: string) => new ApiError(404, 'not_found', `no SLO "${id}" in this organization`, 'id');

export async function loadSlo(env: Env, tenantId: string, id: string): Promise<SloRow> {
  const [row] = await httpDb(env).select().from(slos).where(and(eq(slos.id, id), eq(slos.tenantId, tenantId)));
  if (!row) throw notFound(id);
  return row;
}

/** The burn-rate rules of an SLO (params.sloId), tenant-scoped. */
export const burnRulesOf = (tenantId: string, sloId: string) => and(eq(alertRules.tenantId, tenantId), eq(alertRules.kind, 'burn_rate'), sql`${alertRules.params}->>'sloId' = ${sloId}`);

/** The workbook's four burn-rate rules for a new SLO (windows scaled to its window). */
export async function insertBurnRules(db: Db, tenantId: string, slo: { id: string; name: string; window_days: number }, channelIds: string[]) {
  await db.insert(alertRules).values(
    scaledTiers(slo.window_days).map((t) => ({
      id: newId('rule'),
      tenantId,
      name: `${slo.name}: ${t.name}`,
      kind: 'burn_rate' as const,
      metric: BURN_RATE_METRIC,
      matchers: {},
      comparator: '>' as const,
      threshold: t.factor,
      forMs: 0,
      keepFiringForMs: 0,
      repeatIntervalMs: 60_000,
      severity: t.severity,
      channelIds,
      enabled: true,
      params: { sloId: slo.id, windowMs: t.longMs, shortWindowMs: t.shortMs },
    })),
  );
}
