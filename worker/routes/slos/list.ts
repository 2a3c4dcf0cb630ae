// GET /api/v1/slos — the organization's SLOs (optionally one service's).
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { and, asc, eq, type SQL } from 'drizzle-orm';
import { ServiceNameParam } from '../../../protocol/apm.ts';
import { guard } from '../../auth/authorize.ts';
import { slos } from '../../db/alerts-schema.ts';
import { httpDb } from '../../db/client.ts';
import type { AppEnv } from '../../types.ts';
import { errors } from '../alerts/common.ts';
import { json, SloJson, tags, toJson } from './common.ts';

export function registerSloList(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    createRoute({ tags, method: 'get', path: '/api/v1/slos', summary: "The organization's SLOs", ...guard('alerts:read'), request: { query: z.object({ service: ServiceNameParam.optional() }) }, responses: { 200: { description: 'SLOs', ...json(z.object({ slos: z.array(SloJson) })) }, ...errors } }),
    async (c) => {
      const { service } = c.req.valid('query');
      const where: SQL[] = [eq(slos.tenantId, c.get('tenantId'))];
      if (service) where.push(eq(slos.service, service));
      const rows = await httpDb(c.env).select().from(slos).where(and(...where)).orderBy(asc(slos.createdAt), asc(slos.id));
      return c.json({ slos: rows.map(toJson) }, 200);
    },
  );
}
