// GET /api/v1/slos/{id} — one SLO's definition.
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { guard } from '../../auth/authorize.ts';
import type { AppEnv } from '../../types.ts';
import { errors } from '../alerts/common.ts';
import { json, loadSlo, SloIdParam, SloJson, tags, toJson } from './common.ts';

export function registerSloGet(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    createRoute({ tags, method: 'get', path: '/api/v1/slos/{id}', summary: 'One SLO', ...guard('alerts:read'), request: { params: SloIdParam }, responses: { 200: { description: 'The SLO', ...json(SloJson) }, ...errors } }),
    async (c) => c.json(toJson(await loadSlo(c.env, c.get('tenantId'), c.req.valid('param').id)), 200),
  );
}
