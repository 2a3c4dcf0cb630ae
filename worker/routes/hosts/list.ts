// GET /api/v1/hosts — the organization's hosts with first and last seen times and a status
// derived from their firing alerts.
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { and, asc, eq } from 'drizzle-orm';
import { hostStatus } from '../../../durable-objects/core/status.ts';
import { HostSummary } from '../../../protocol/query.ts';
import { guard } from '../../auth/authorize.ts';
import { alertHistory } from '../../db/alerts-schema.ts';
import { httpDb } from '../../db/client.ts';
import { hosts } from '../../db/schema.ts';
import type { AppEnv } from '../../types.ts';
import { authErrors } from '../schemas.ts';

const route = createRoute({
  method: 'get',
  path: '/api/v1/hosts',
  tags: ['hosts'],
  summary: "The organization's hosts",
  description:
    'lastSeen moves at registration and at each rollup flush (every few minutes; GET /api/v1/metrics/current has the live one). status: down if a host-down (host.up) alert fires, else critical or warning by the highest severity firing, else ok.',
  ...guard('metrics:read'),
  responses: {
    200: { description: 'Hosts', content: { 'application/json': { schema: z.object({ hosts: z.array(HostSummary) }) } } },
    401: authErrors[401],
    403: authErrors[403],
  },
});

export function registerHostList(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const tenantId = c.get('tenantId');
    // Two independent reads, each its own fetch over the HTTP query endpoint, in parallel.
    const db = httpDb(c.env);
    const [rows, firing] = await Promise.all([
      db.select().from(hosts).where(eq(hosts.tenantId, tenantId)).orderBy(asc(hosts.name)),
      // Served by the partial index alert_history_firing.
      db
        .select({ hostId: alertHistory.hostId, metric: alertHistory.metric, severity: alertHistory.severity })
        .from(alertHistory)
        .where(and(eq(alertHistory.tenantId, tenantId), eq(alertHistory.status, 'FIRING'))),
    ]);
    const byHost = new Map<string, { metric: string; severity: string }[]>();
    for (const f of firing) {
      if (f.hostId === null) continue; // a service's alert
      const list = byHost.get(f.hostId);
      if (list) list.push(f);
      else byHost.set(f.hostId, [{ metric: f.metric, severity: f.severity }]);
    }
    return c.json(
      {
        hosts: rows.map((h) => ({
          id: h.id,
          name: h.name,
          os: h.os,
          agentVersion: h.agentVersion,
          firstSeen: h.firstSeen.getTime(),
          lastSeen: h.lastSeen.getTime(),
          status: hostStatus(byHost.get(h.id) ?? []),
        })),
      },
      200,
    );
  });
}
