// GET /api/v1/services — every service of the organization with its current signals.
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { asc, eq } from 'drizzle-orm';
import { serviceStatus, ServiceSummary } from '../../../protocol/apm.ts';
import { guard } from '../../auth/authorize.ts';
import { httpDb } from '../../db/client.ts';
import { hosts, services } from '../../db/schema.ts';
import { serviceObjectName, type AppEnv } from '../../types.ts';
import { authErrors } from '../schemas.ts';

const route = createRoute({
  method: 'get',
  path: '/api/v1/services',
  tags: ['services'],
  summary: "The organization's services with current rps, error rate, p95 and status",
  description:
    'rps, errorRate and p95 are over the last minute; spark is requests/s per minute over 15 minutes. status: idle (no request in 5 minutes), critical (1 m error rate >= 5 %), warning (>= 1 %), else ok. hosts: the organization hosts whose id or name matches the host.id / host.name resource attributes the service sends.',
  ...guard('metrics:read'),
  responses: {
    200: { description: 'Services', content: { 'application/json': { schema: z.object({ services: z.array(ServiceSummary) }) } } },
    401: authErrors[401],
    403: authErrors[403],
  },
});

export function registerServiceList(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const tenantId = c.get('tenantId');
    // Two independent reads, each its own fetch over the HTTP query endpoint, in parallel.
    const db = httpDb(c.env);
    const [rows, hostRows] = await Promise.all([
      db.select().from(services).where(eq(services.tenantId, tenantId)).orderBy(asc(services.name)).limit(500),
      db.select({ id: hosts.id, name: hosts.name }).from(hosts).where(eq(hosts.tenantId, tenantId)),
    ]);
    const now = Date.now();
    const summaries = await Promise.all(rows.map((r) => c.env.SERVICES.getByName(serviceObjectName(tenantId, r.name)).summary(now)));
    const list = rows.map((r, i) => {
      const s = summaries[i]!;
      const seen = new Set(s.hosts.length ? s.hosts : r.hosts);
      const matched = hostRows.filter((h) => seen.has(h.id) || seen.has(h.name)).map((h) => h.id);
      const w1 = s.windows['1m'];
      return {
        name: r.name,
        firstSeen: r.firstSeen.getTime(),
        lastSeen: Math.max(r.lastSeen.getTime(), s.lastSeen ?? 0),
        status: serviceStatus(w1, s.windows['5m']),
        rps: w1.rps,
        errorRate: w1.errorRate,
        p95: w1.p95,
        spark: s.spark,
        hosts: matched,
      };
    });
    return c.json({ services: list }, 200);
  });
}
