// GET /api/v1/slos/{id}/status — the SLO's live status from its service's object: SLI over the
// window, error budget left (fraction and requests), burn rates over 5m/30m/1h/6h/1d/3d and time
// to exhaustion, all from exact good/total counts (docs/slo.md). The same status is pushed on
// the service's live socket every second while traffic arrives.
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { and, eq } from 'drizzle-orm';
import { sloStatus } from '../../../durable-objects/core/slo.ts';
import { guard } from '../../auth/authorize.ts';
import { loadAlertConfig, toSlo } from '../../db/alerts.ts';
import { httpDb, withDb } from '../../db/client.ts';
import { services } from '../../db/schema.ts';
import { serviceObjectName, type AppEnv } from '../../types.ts';
import { errors } from '../alerts/common.ts';
import { json, loadSlo, SloIdParam, SloStatusJson, tags } from './common.ts';

export function registerSloStatus(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    createRoute({ tags, method: 'get', path: '/api/v1/slos/{id}/status', summary: "An SLO's live status: SLI, budget, burn rates, time to exhaustion", ...guard('alerts:read'), request: { params: SloIdParam }, responses: { 200: { description: 'The status', ...json(SloStatusJson) }, ...errors } }),
    async (c) => {
      const tenantId = c.get('tenantId');
      const row = await loadSlo(c.env, tenantId, c.req.valid('param').id);
      const now = Date.now();
      // A service that never sent a span has no object: nothing counted yet.
      const [svc] = await httpDb(c.env).select({ name: services.name }).from(services).where(and(eq(services.tenantId, tenantId), eq(services.name, row.service)));
      if (!svc) return c.json(sloStatus(toSlo(row), () => ({ good: 0, total: 0 }), now), 200);
      const stub = c.env.SERVICES.getByName(serviceObjectName(tenantId, row.service));
      let status = await stub.sloStatus(row.id, now);
      if (!status) {
        // The object has not seen this SLO yet (a missed config push): hand it the config.
        await stub.setAlertConfig(await withDb(c.env, (db) => loadAlertConfig(db, tenantId)));
        status = await stub.sloStatus(row.id, now);
      }
      return c.json(status ?? sloStatus(toSlo(row), () => ({ good: 0, total: 0 }), now), 200);
    },
  );
}
