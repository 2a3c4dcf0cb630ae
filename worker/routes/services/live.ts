// GET /api/v1/services/{service}/live — a WebSocket of the service's signals, pushed at most once
// a second while traffic arrives (contract: protocol/apm.ts). Same origin and subscriber rules
// as the host socket: the worker checks everything; the object, named from the caller's tenant,
// holds the socket.
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { authorize, guard } from '../../auth/authorize.ts';
import { ApiError } from '../../errors.ts';
import type { AppEnv } from '../../types.ts';
import { requireSameOrigin, requireUpgrade } from '../hosts/live.ts';
import { ErrorSchema } from '../schemas.ts';
import { ServiceParams, serviceStub } from './common.ts';

const err = (description: string) => ({ description, content: { 'application/json': { schema: ErrorSchema } } });

const route = createRoute({
  method: 'get',
  path: '/api/v1/services/{service}/live',
  tags: ['services'],
  summary: "A WebSocket of the service's per-second signals",
  description:
    'Send `Upgrade: websocket`. The server sends `{"type":"hello","service","seconds","windows"}` (the last 60 s and the 1/5/15 m windows), then at most once a second `{"type":"signals",…}` with every second that changed (replace by `ts`). Ping with `{"type":"ping"}`. See protocol/apm.ts.',
  ...guard('metrics:read'),
  middleware: [requireSameOrigin, authorize('metrics:read'), requireUpgrade] as const,
  request: { params: ServiceParams },
  responses: {
    101: { description: 'Switching protocols' },
    400: err('Invalid service name'),
    401: err('Not signed in and no valid key'),
    403: err('Forbidden (the key cannot read, or a cross-origin handshake)'),
    404: err('The organization has no such service'),
    426: err('Not a WebSocket upgrade'),
  },
});

export function registerServiceLive(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const { service } = c.req.valid('param');
    const stub = await serviceStub(c.env, c.get('tenantId'), service);
    const res = await stub.fetch('https://service-object/live', { headers: { upgrade: 'websocket' } });
    if (res.status !== 101) throw new ApiError(404, 'not_found', `no service "${service}" in this organization`, 'service');
    return res;
  });
}
