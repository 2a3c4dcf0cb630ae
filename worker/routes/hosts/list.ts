// GET /api/v1/hosts — the organization's hosts with first and last seen times.
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { asc, eq } from 'drizzle-orm';
import { HostSummary } from '../../../protocol/query.ts';
import { guard } from '../../auth/authorize.ts';
import { withDb } from '../../db/client.ts';
import { hosts } from '../../db/schema.ts';
import type { AppEnv } from '../../types.ts';
import { authErrors } from '../schemas.ts';

const route = createRoute({
  method: 'get',
  path: '/api/v1/hosts',
  tags: ['hosts'],
  summary: "The organization's hosts",
  description: 'lastSeen is updated when each minute of data is rolled up (about once a minute).',
  ...guard('metrics:read'),
  responses: {
    200: { description: 'Hosts', content: { 'application/json': { schema: z.object({ hosts: z.array(HostSummary) }) } } },
    401: authErrors[401],
    403: authErrors[403],
  },
});

export function registerHostList(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const rows = await withDb(c.env, (db) => db.select().from(hosts).where(eq(hosts.tenantId, c.get('tenantId'))).orderBy(asc(hosts.name)));
    return c.json(
      {
        hosts: rows.map((h) => ({
          id: h.id,
          name: h.name,
          os: h.os,
          agentVersion: h.agentVersion,
          firstSeen: h.firstSeen.getTime(),
          lastSeen: h.lastSeen.getTime(),
        })),
      },
      200,
    );
  });
}
