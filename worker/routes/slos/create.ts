// POST /api/v1/slos — define an SLO; by default it also gets the SRE Workbook's four burn-rate
// alert rules (two pages, two tickets), scaled to its window. Audited; pushed to the objects.
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { and, eq, inArray } from 'drizzle-orm';
import { guard } from '../../auth/authorize.ts';
import { newId } from '../../auth/crypto.ts';
import { alertChannels, slos } from '../../db/alerts-schema.ts';
import { withDb } from '../../db/client.ts';
import { ApiError } from '../../errors.ts';
import type { AppEnv } from '../../types.ts';
import { commitAndPush, errors } from '../alerts/common.ts';
import { checkShape, insertBurnRules, json, loadSlo, SloFields, SloJson, tags, toJson } from './common.ts';

const CreateSlo = z.strictObject({
  ...SloFields,
  route: SloFields.route.optional(),
  threshold_ms: SloFields.threshold_ms.optional(),
  burn_alerts: z.boolean().default(true).openapi({ description: 'Create the four workbook burn-rate rules for this SLO (default true)' }),
  channel_ids: z.array(z.string().min(1).max(64)).max(20).default([]).openapi({ description: "The burn-rate rules' channels; empty = every channel" }),
});

export function registerSloCreate(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    createRoute({ tags, method: 'post', path: '/api/v1/slos', summary: 'Create an SLO (and its burn-rate alerts)', ...guard('alerts:write'), request: { body: { required: true, ...json(CreateSlo) } }, responses: { 201: { description: 'Created', ...json(SloJson) }, ...errors } }),
    async (c) => {
      const tenantId = c.get('tenantId');
      const b = c.req.valid('json');
      checkShape(b);
      if (b.channel_ids.length) {
        const found = await withDb(c.env, (db) => db.select({ id: alertChannels.id }).from(alertChannels).where(and(eq(alertChannels.tenantId, tenantId), inArray(alertChannels.id, b.channel_ids))));
        const missing = b.channel_ids.find((id) => !found.some((f) => f.id === id));
        if (missing) throw new ApiError(400, 'invalid_request', `channel_ids: no channel "${missing}" in this organization`, 'channel_ids');
      }
      const id = newId('slo');
      await commitAndPush(c, { action: 'slo.create', target: { type: 'slo', id }, details: { name: b.name, service: b.service, kind: b.kind, objective: b.objective, window_days: b.window_days } }, async (db) => {
        await db.insert(slos).values({ id, tenantId, name: b.name, service: b.service, route: b.route ?? null, kind: b.kind, thresholdMs: b.threshold_ms ?? null, objective: b.objective, windowDays: b.window_days });
        if (b.burn_alerts) await insertBurnRules(db, tenantId, { id, name: b.name, window_days: b.window_days }, b.channel_ids);
      });
      return c.json(toJson(await loadSlo(c.env, tenantId, id)), 201);
    },
  );
}
