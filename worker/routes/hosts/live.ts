// GET /api/v1/hosts/{host}/live — a WebSocket of the host's samples as they are ingested
// (contract: protocol/live.ts). The worker checks everything; the host object (named from the
// caller's tenant, never from the request) holds the socket.
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { and, eq } from 'drizzle-orm';
import { createMiddleware } from 'hono/factory';
import { authorize, guard } from '../../auth/authorize.ts';
import { httpDb } from '../../db/client.ts';
import { hosts } from '../../db/schema.ts';
import { ApiError } from '../../errors.ts';
import { hostObjectName, type AppEnv } from '../../types.ts';
import { HostIdParam } from '../metrics/params.ts';
import { ErrorSchema } from '../schemas.ts';

export const requireUpgrade = createMiddleware<AppEnv>(async (c, next) => {
  if (c.req.header('upgrade')?.toLowerCase() !== 'websocket')
    throw new ApiError(426, 'upgrade_required', 'this endpoint is a WebSocket: send "Upgrade: websocket"', 'upgrade', { Upgrade: 'websocket' });
  await next();
});

/**
 * Browsers send cookies with a cross-site WebSocket handshake and WebSockets have no CORS, so a
 * foreign page could open a socket as the signed-in user (cross-site WebSocket hijacking). A
 * browser always sends Origin: it must be this site's. Non-browser clients send none.
 */
export const requireSameOrigin = createMiddleware<AppEnv>(async (c, next) => {
  const origin = c.req.header('origin');
  if (origin !== undefined && origin !== new URL(c.req.url).origin)
    throw new ApiError(403, 'forbidden', 'cross-origin WebSocket refused', 'origin');
  await next();
});

const Params = z.object({ host: HostIdParam.openapi({ param: { name: 'host', in: 'path' } }) });
const err = (description: string) => ({ description, content: { 'application/json': { schema: ErrorSchema } } });

const route = createRoute({
  method: 'get',
  path: '/api/v1/hosts/{host}/live',
  tags: ['hosts'],
  summary: "A WebSocket of the host's samples as they arrive",
  description:
    'Send `Upgrade: websocket`. The server sends `{"type":"hello","hostId","latest"}` first, then `{"type":"sample","hostId","ts","metrics"}` for each new sample, oldest first. The client may send `{"type":"ping"}` (answered `{"type":"pong"}`). Close 1013: the host has too many subscribers. See protocol/live.ts.',
  ...guard('metrics:read'),
  // A foreign origin is refused before any session is read; the upgrade is checked after
  // authorization, so an unauthorized caller learns nothing but 401/403.
  middleware: [requireSameOrigin, authorize('metrics:read'), requireUpgrade] as const,
  request: { params: Params },
  responses: {
    101: { description: 'Switching protocols' },
    400: err('Invalid host id'),
    401: err('Not signed in and no valid key'),
    403: err('Forbidden (the key cannot read, or a cross-origin handshake)'),
    404: err('The organization has no such host'),
    426: err('Not a WebSocket upgrade'),
  },
});

export function registerHostLive(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const tenantId = c.get('tenantId');
    const { host } = c.req.valid('param');
    // Checked in Postgres, so probing names never creates an object.
    const known = await httpDb(c.env).select({ id: hosts.id }).from(hosts).where(and(eq(hosts.tenantId, tenantId), eq(hosts.id, host))).limit(1);
    if (known.length === 0) throw new ApiError(404, 'not_found', `no host "${host}" in this organization`, 'host');
    // Only what the object needs: no cookie or key travels further.
    const res = await c.env.HOSTS.getByName(hostObjectName(tenantId, host)).fetch('https://host-object/live', { headers: { upgrade: 'websocket' } });
    if (res.status !== 101) throw new ApiError(404, 'not_found', `no host "${host}" in this organization`, 'host');
    return res;
  });
}
