// GET /api/v1/slos/{id}/history — an SLO's exact good and total requests per time bucket over its
// window (or [from, to) inside it), from the minute counts its service's object keeps for 31
// days (docs/slo.md). The SLO page draws the SLI and the budget left over the window from these.
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { and, eq } from 'drizzle-orm';
import { guard } from '../../auth/authorize.ts';
import { httpDb } from '../../db/client.ts';
import { services } from '../../db/schema.ts';
import { ApiError } from '../../errors.ts';
import { serviceObjectName, type AppEnv } from '../../types.ts';
import { errors } from '../alerts/common.ts';
import { TimeParam } from '../metrics/params.ts';
import { json, loadSlo, SloIdParam, SloJson, tags, toJson } from './common.ts';

const MIN = 60_000;
/** Bucket sizes, smallest first; the first that gives at most MAX_POINTS buckets is used. */
const STEPS = [MIN, 5 * MIN, 15 * MIN, 60 * MIN, 3 * 60 * MIN, 6 * 60 * MIN];
const MAX_POINTS = 500;

export const stepFor = (spanMs: number) => STEPS.find((s) => spanMs / s <= MAX_POINTS) ?? STEPS[STEPS.length - 1]!;

const Query = z.object({
  from: TimeParam.optional().openapi({ description: 'Default: the start of the SLO window (now - window_days)' }),
  to: TimeParam.optional().openapi({ description: 'Default: now' }),
});

const History = z
  .object({
    slo: SloJson,
    from: z.number(),
    to: z.number(),
    step_ms: z.number().openapi({ description: 'bucket size: 1 m up to 6 h, at most 500 buckets' }),
    points: z.array(z.object({ ts: z.number().openapi({ description: 'bucket start, epoch ms' }), good: z.number(), total: z.number() })).openapi({ description: 'buckets without requests are left out' }),
  })
  .openapi('SloHistory');

export function registerSloHistory(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    createRoute({
      tags,
      method: 'get',
      path: '/api/v1/slos/{id}/history',
      summary: "An SLO's good and total requests per bucket over its window",
      ...guard('alerts:read'),
      request: { params: SloIdParam, query: Query },
      responses: { 200: { description: 'Buckets', ...json(History) }, ...errors },
    }),
    async (c) => {
      const tenantId = c.get('tenantId');
      const row = await loadSlo(c.env, tenantId, c.req.valid('param').id);
      const q = c.req.valid('query');
      const now = Date.now();
      const windowFrom = now - row.windowDays * 86_400_000;
      const to = q.to ?? now;
      const from = Math.max(q.from ?? windowFrom, windowFrom);
      if (to <= from) throw new ApiError(400, 'invalid_request', 'to: must be after from (and after the start of the SLO window)', 'to');
      const step = stepFor(to - from);
      const start = Math.floor(from / step) * step;
      const [svc] = await httpDb(c.env).select({ name: services.name }).from(services).where(and(eq(services.tenantId, tenantId), eq(services.name, row.service)));
      // A service that never sent a span has no object (and nothing counted).
      const points = svc ? await c.env.SERVICES.getByName(serviceObjectName(tenantId, row.service)).sloHistory(row.id, start, to, step) : [];
      return c.json({ slo: toJson(row), from: start, to, step_ms: step, points }, 200);
    },
  );
}
