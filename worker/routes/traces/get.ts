// GET /api/v1/traces/{traceId} — a stored trace's spans across the organization's services,
// earliest first (docs/traces.md). A trace id of another organization is a 404 like an unknown one.
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { TraceIdParam, TraceResponse } from '../../../protocol/traces.ts';
import { guard } from '../../auth/authorize.ts';
import { httpDb } from '../../db/client.ts';
import { traceSpans } from '../../db/spans.ts';
import { ApiError } from '../../errors.ts';
import type { AppEnv } from '../../types.ts';
import { authErrors, errorDoc } from '../schemas.ts';

const route = createRoute({
  method: 'get',
  path: '/api/v1/traces/{traceId}',
  tags: ['traces'],
  summary: "A trace's stored spans, across the organization's services",
  description: 'Spans kept by the sampling of docs/traces.md (every error trace, each route\'s slowest spans per minute, a capped sample), for 7 days.',
  ...guard('metrics:read'),
  request: {
    params: z.object({
      traceId: TraceIdParam.openapi({ param: { name: 'traceId', in: 'path' }, description: '32 hex digits', example: '4bf92f3577b34da6a3ce929d0e0e4736' }),
    }),
  },
  responses: {
    200: { description: 'The trace', content: { 'application/json': { schema: TraceResponse } } },
    400: errorDoc('Not a trace id'),
    401: authErrors[401],
    403: authErrors[403],
    404: errorDoc('No stored span of this trace in the organization'),
  },
});

export function registerTraceGet(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const { traceId } = c.req.valid('param');
    const { spans, truncated } = await traceSpans(httpDb(c.env), c.get('tenantId'), traceId);
    if (spans.length === 0) throw new ApiError(404, 'not_found', `no stored trace ${traceId} in this organization (kept 7 days; see docs/traces.md for which traces are kept)`, 'traceId');
    const services = [...new Set(spans.map((s) => s.service))];
    return c.json({ traceId, services, spans, truncated }, 200);
  });
}
