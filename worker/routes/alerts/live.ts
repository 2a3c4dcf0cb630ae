// GET /api/v1/alerts/live — a WebSocket of the organization's alerts, host and service together,
// as they fire, change and resolve (contract: protocol/alert-feed.ts). Same origin and
// subscriber rules as the host socket; the feed object is named from the caller's tenant.
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { ALERT_FEED_PATH } from '../../../protocol/alert-feed.ts';
import { authorize, guard } from '../../auth/authorize.ts';
import { ApiError } from '../../errors.ts';
import type { AppEnv } from '../../types.ts';
import { requireSameOrigin, requireUpgrade } from '../hosts/live.ts';
import { ErrorSchema } from '../schemas.ts';

const err = (description: string) => ({ description, content: { 'application/json': { schema: ErrorSchema } } });

const route = createRoute({
  method: 'get',
  path: ALERT_FEED_PATH,
  tags: ['alerts'],
  summary: "A WebSocket of the organization's alerts as they fire and resolve",
  description:
    'Send `Upgrade: websocket`. The server sends `{"type":"hello","alerts"}` (the 10 newest alerts by start, as GET /api/v1/alerts lists them), then `{"type":"alert","alert"}` for each alert that starts, changes or resolves (replace by `id`). Ping with `{"type":"ping"}`. Close 1013: too many subscribers. See protocol/alert-feed.ts.',
  ...guard('alerts:read'),
  middleware: [requireSameOrigin, authorize('alerts:read'), requireUpgrade] as const,
  responses: {
    101: { description: 'Switching protocols' },
    401: err('Not signed in and no valid key'),
    403: err('Forbidden (the key cannot read alerts, or a cross-origin handshake)'),
    426: err('Not a WebSocket upgrade'),
    503: err('The alert history could not be read; retry'),
  },
});

export function registerAlertLive(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const tenantId = c.get('tenantId');
    // Only the tenant travels to the object: no cookie or key.
    const res = await c.env.ALERT_FEED.getByName(tenantId).fetch(`https://alert-feed/live?tenant=${encodeURIComponent(tenantId)}`, { headers: { upgrade: 'websocket' } });
    if (res.status !== 101) throw new ApiError(503, 'unavailable', 'the alert stream is not available; retry', 'upgrade');
    return res;
  });
}
