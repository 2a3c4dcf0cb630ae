// GET /api/v1/services/{service}/saturation — what the site shows as a service's saturation:
// the organization's hosts matched from its host.name / host.id resource attributes (chart their
// metrics), and where none matches, the latest process/system metrics it sends through OTLP
// (history: GET /api/v1/services/{service}/metrics/history?metric=process.memory.usage).
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { SATURATION_METRICS, ServiceSaturation } from '../../../protocol/apm-metrics.ts';
import { guard } from '../../auth/authorize.ts';
import { httpDb } from '../../db/client.ts';
import { hosts } from '../../db/schema.ts';
import type { AppEnv } from '../../types.ts';
import { authErrors, ErrorSchema } from '../schemas.ts';
import { ServiceParams, serviceStub } from './common.ts';

const route = createRoute({
  method: 'get',
  path: '/api/v1/services/{service}/saturation',
  tags: ['services'],
  summary: "A service's saturation source: matched hosts, else its own process metrics",
  description: `source: hosts when an organization host's id or name matches the service's host.name / host.id (show that host's metrics); else process when the service sends any of ${SATURATION_METRICS.join(', ')} (their latest values within 15 minutes are in \`process\`); else none.`,
  ...guard('metrics:read'),
  request: { params: ServiceParams },
  responses: {
    200: { description: 'Saturation', content: { 'application/json': { schema: ServiceSaturation } } },
    400: { description: 'Invalid service name', content: { 'application/json': { schema: ErrorSchema } } },
    401: authErrors[401],
    403: authErrors[403],
    404: { description: 'The organization has no such service', content: { 'application/json': { schema: ErrorSchema } } },
  },
});

export function registerServiceSaturation(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const tenantId = c.get('tenantId');
    const { service } = c.req.valid('param');
    const stub = await serviceStub(c.env, tenantId, service);
    const [s, hostRows] = await Promise.all([
      stub.saturation(),
      httpDb(c.env).select({ id: hosts.id, name: hosts.name }).from(hosts).where(eq(hosts.tenantId, tenantId)),
    ]);
    const seen = new Set(s.hosts);
    const matched = hostRows.filter((h) => seen.has(h.id) || seen.has(h.name)).map((h) => h.id);
    const source: ServiceSaturation['source'] = matched.length ? 'hosts' : s.process.length ? 'process' : 'none';
    return c.json({ service, hosts: matched, source, process: s.process }, 200);
  });
}
