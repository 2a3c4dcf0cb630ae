// PATCH /api/v1/slos/{id} — change an SLO. A changed route, kind or threshold counts different
// requests, so the SLO's counts start over (docs/slo.md); a changed window rescales the SLO's
// default burn-rate rules (those still on the workbook's windows for the old window).
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { and, eq } from 'drizzle-orm';
import { scaledTiers } from '../../../durable-objects/core/burn-rate.ts';
import { guard } from '../../auth/authorize.ts';
import { alertRules, slos } from '../../db/alerts-schema.ts';
import type { AppEnv } from '../../types.ts';
import { commitAndPush, errors } from '../alerts/common.ts';
import { burnRulesOf, checkShape, json, loadSlo, notFound, SloFields, SloIdParam, SloJson, tags, toJson } from './common.ts';

const PatchSlo = z.strictObject(Object.fromEntries(Object.entries(SloFields).map(([k, v]) => [k, v.optional()])) as { [K in keyof typeof SloFields]: z.ZodOptional<(typeof SloFields)[K]> });

export function registerSloPatch(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    createRoute({ tags, method: 'patch', path: '/api/v1/slos/{id}', summary: 'Change an SLO', ...guard('alerts:write'), request: { params: SloIdParam, body: { required: true, ...json(PatchSlo) } }, responses: { 200: { description: 'The SLO', ...json(SloJson) }, ...errors } }),
    async (c) => {
      const tenantId = c.get('tenantId');
      const { id } = c.req.valid('param');
      const b = c.req.valid('json');
      const cur = await loadSlo(c.env, tenantId, id);
      const kind = b.kind ?? cur.kind;
      // Switching to availability drops the threshold unless the patch names one (then it is refused).
      const threshold = b.threshold_ms !== undefined ? b.threshold_ms : kind === 'availability' ? null : cur.thresholdMs;
      checkShape({ kind, threshold_ms: threshold });
      await commitAndPush(c, { action: 'slo.update', target: { type: 'slo', id }, details: { fields: Object.keys(b) } }, async (db) => {
        const res = await db
          .update(slos)
          .set({
            ...(b.name !== undefined && { name: b.name }),
            ...(b.service !== undefined && { service: b.service }),
            ...(b.route !== undefined && { route: b.route }),
            kind,
            thresholdMs: threshold,
            ...(b.objective !== undefined && { objective: b.objective }),
            ...(b.window_days !== undefined && { windowDays: b.window_days }),
            updatedAt: new Date(),
          })
          .where(and(eq(slos.id, id), eq(slos.tenantId, tenantId)))
          .returning({ id: slos.id });
        if (!res.length) throw notFound(id);
        if (b.window_days !== undefined && b.window_days !== cur.windowDays) {
          const before = scaledTiers(cur.windowDays);
          const after = scaledTiers(b.window_days);
          for (const r of await db.select().from(alertRules).where(burnRulesOf(tenantId, id))) {
            const i = before.findIndex((t) => t.longMs === r.params.windowMs && t.shortMs === r.params.shortWindowMs && t.factor === r.threshold);
            if (i >= 0) await db.update(alertRules).set({ params: { ...r.params, windowMs: after[i]!.longMs, shortWindowMs: after[i]!.shortMs }, updatedAt: new Date() }).where(and(eq(alertRules.id, r.id), eq(alertRules.tenantId, tenantId)));
          }
        }
      });
      return c.json(toJson(await loadSlo(c.env, tenantId, id)), 200);
    },
  );
}
