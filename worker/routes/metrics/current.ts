// GET /api/v1/metrics/current — latest value of every metric for one host, or for all hosts.
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { HostCurrent } from '../../../protocol/query.ts';
import { guard } from '../../auth/authorize.ts';
import { httpDb } from '../../db/client.ts';
import { hosts } from '../../db/schema.ts';
import { ApiError } from '../../errors.ts';
import { hostObjectName, type AppEnv } from '../../types.ts';
import { authErrors, ErrorSchema } from '../schemas.ts';
import { HostIdParam } from './params.ts';

const route = createRoute({
  method: 'get',
  path: '/api/v1/metrics/current',
  tags: ['metrics'],
  summary: 'Latest value of every metric, for one host or all hosts of the organization',
  ...guard('metrics:read'),
  request: { query: z.object({ host: HostIdParam.optional() }) },
  responses: {
    200: { description: 'Current values', content: { 'application/json': { schema: z.object({ hosts: z.array(HostCurrent) }) } } },
    400: { description: 'Invalid query', content: { 'application/json': { schema: ErrorSchema } } },
    404: { description: 'Unknown host', content: { 'application/json': { schema: ErrorSchema } } },
    401: authErrors[401],
    403: authErrors[403],
  },
});

export function registerCurrent(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const tenantId = c.get('tenantId');
    const { host } = c.req.valid('query');
    const ids = host
      ? [host]
      : (await httpDb(c.env).select({ id: hosts.id }).from(hosts).where(eq(hosts.tenantId, tenantId))).map((r) => r.id);
    const results = await Promise.all(ids.map((id) => c.env.HOSTS.getByName(hostObjectName(tenantId, id)).current()));
    const found = results.filter((r) => r.lastSeen !== null);
    if (host && found.length === 0) throw new ApiError(404, 'not_found', `no data for host "${host}"`, 'host');
    return c.json({ hosts: found.map((r, i) => ({ ...r, host: r.host || ids[i]! })) }, 200);
  });
}
