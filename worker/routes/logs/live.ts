// GET /api/v1/logs/live — a WebSocket of the organization's log lines as they are stored, with
// the search's filters (contract: LogTailMessage in protocol/logs.ts). Same origin and
// subscriber rules as the host socket; the tail object is named from the caller's tenant only.
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { LEVELS, LOG_LIMITS } from '../../../protocol/logs.ts';
import { tailUrl } from '../../../durable-objects/log-tail.ts';
import { authorize, guard } from '../../auth/authorize.ts';
import type { AppEnv } from '../../types.ts';
import { requireSameOrigin, requireUpgrade } from '../hosts/live.ts';
import { errorDoc } from '../schemas.ts';
import { parseQuery, TailFilterQuery } from './common.ts';

const route = createRoute({
  method: 'get',
  path: '/api/v1/logs/live',
  tags: ['logs'],
  summary: "A WebSocket of the organization's log lines as they arrive (live tail)",
  description: `Send \`Upgrade: websocket\`. The server sends \`{"type":"hello","filter"}\`, then \`{"type":"lines","lines":[…]}\` for each stored batch with the lines matching \`service\`, \`level\` (and above) and \`q\`, within a second of their acknowledgement. At most ${LOG_LIMITS.maxTailLinesPerSecond} lines a second per socket: past that the server sends \`{"type":"skipped","count","from","to"}\` (search for them). Ping with \`{"type":"ping"}\`. See protocol/logs.ts.`,
  ...guard('metrics:read'),
  middleware: [requireSameOrigin, authorize('metrics:read'), requireUpgrade] as const,
  request: { query: TailFilterQuery },
  responses: {
    101: { description: 'Switching protocols' },
    400: errorDoc('Invalid filter (the error names it)'),
    401: errorDoc('Not signed in and no valid key'),
    403: errorDoc('Forbidden (the key cannot read, or a cross-origin handshake)'),
    426: errorDoc('Not a WebSocket upgrade'),
  },
});

export function registerLogLive(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const v = c.req.valid('query');
    parseQuery(v.q); // a 400 before the upgrade, not a socket that closes
    const stub = c.env.LOG_TAIL.getByName(c.get('tenantId'));
    return stub.fetch(tailUrl({ service: v.service ?? null, level: v.level ?? null, minSeverity: v.level ? LEVELS[v.level] : 0, q: v.q ?? '' }), { headers: { upgrade: 'websocket' } });
  });
}
