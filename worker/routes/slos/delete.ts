// DELETE /api/v1/slos/{id} — remove an SLO and its burn-rate rules (their history is kept).
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { and, eq } from 'drizzle-orm';
import { guard } from '../../auth/authorize.ts';
import { alertRules, slos } from '../../db/alerts-schema.ts';
import type { AppEnv } from '../../types.ts';
import { commitAndPush, errors } from '../alerts/common.ts';
import { burnRulesOf, notFound, SloIdParam, tags } from './common.ts';

export function registerSloDelete(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    createRoute({ tags, method: 'delete', path: '/api/v1/slos/{id}', summary: 'Delete an SLO and its burn-rate rules', ...guard('alerts:write'), request: { params: SloIdParam }, responses: { 204: { description: 'Deleted' }, ...errors } }),
    async (c) => {
      const tenantId = c.get('tenantId');
      const { id } = c.req.valid('param');
      await commitAndPush(c, { action: 'slo.delete', target: { type: 'slo', id } }, async (db) => {
        const res = await db.delete(slos).where(and(eq(slos.id, id), eq(slos.tenantId, tenantId))).returning({ id: slos.id });
        if (!res.length) throw notFound(id);
        await db.delete(alertRules).where(burnRulesOf(tenantId, id));
      });
      return c.body(null, 204);
    },
  );
}
