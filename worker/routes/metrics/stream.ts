// GET /api/v1/metrics/stream?host=<id>&name=<name>[&os=…&agentVersion=…] — an agent's ingest
// stream (contract: protocol/ingest-stream.ts, docs/ingest.md "Streaming"). The worker only
// authorizes the upgrade, with the POST's key check and per-collector limit, lists the host, and
// hands the socket to the host's object (named from the key's tenant, never from the request),
// which takes every frame from then on: no Worker request per sample.
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { HOST_DEFAULTS } from '../../../protocol/ingest.ts';
import { StreamQuery, STREAM_LIMITS, STREAM_PATH } from '../../../protocol/ingest-stream.ts';
import { authorize, guard } from '../../auth/authorize.ts';
import { ApiError } from '../../errors.ts';
import { RATE_LIMITS } from '../../limits.ts';
import { enforceRateLimit } from '../../ratelimit.ts';
import { tenantAlertConfig } from '../../alert-config-cache.ts';
import { noteHost } from '../../registry.ts';
import { hostObjectName, type AppEnv } from '../../types.ts';
import { requireSameOrigin, requireUpgrade } from '../hosts/live.ts';
import { HostIdParam } from './params.ts';
import { ErrorSchema } from '../schemas.ts';

const err = (description: string) => ({ description, content: { 'application/json': { schema: ErrorSchema } } });

// The contract's schema (protocol/ingest-stream.ts) with the OpenAPI notes of this route.
const Query = z.strictObject({
  host: HostIdParam.openapi({ param: { name: 'host', in: 'query' }, description: 'The host id, as `batch.host.id` in every frame' }),
  name: z.string().min(1).max(255).openapi({ param: { name: 'name', in: 'query' }, description: '`host.name`' }),
  os: z.string().min(1).max(64).default(HOST_DEFAULTS.os).openapi({ param: { name: 'os', in: 'query' } }),
  agentVersion: z.string().min(1).max(64).default(HOST_DEFAULTS.agentVersion).openapi({ param: { name: 'agentVersion', in: 'query' } }),
}) satisfies z.ZodType<z.infer<typeof StreamQuery>>;

const route = createRoute({
  method: 'get',
  path: STREAM_PATH,
  tags: ['metrics'],
  summary: "An agent's ingest stream over WebSocket (one per host)",
  description: `Send \`Upgrade: websocket\` and \`Authorization: Bearer <ingest key>\`. The server sends \`{"type":"ready","hostId","durableThrough",…}\`; the client sends \`{"type":"samples","seq":<n>,"batch":<the POST body>}\` frames (at most ${STREAM_LIMITS.maxFrameBytes} bytes, ${STREAM_LIMITS.framesPerMinute} a minute) and gets \`{"type":"ack","seq","accepted","duplicate","received","durableThrough"}\` or \`{"type":"error","code","seq","message"}\` for each. Close 4001: reconnect (the key is checked again, at least every ${STREAM_LIMITS.maxAgeMs / 60_000} minutes); 4003: the key was revoked. See docs/ingest.md and protocol/ingest-stream.ts.`,
  ...guard('metrics:ingest'),
  // A foreign origin is refused before any session is read (a browser sends cookies with a
  // cross-site handshake and a GET passes no CSRF check); the upgrade is checked after
  // authorization, so an unauthorized caller learns nothing but 401/403.
  middleware: [requireSameOrigin, authorize('metrics:ingest'), requireUpgrade] as const,
  request: { query: Query },
  responses: {
    101: { description: 'Switching protocols' },
    400: err('Invalid host identity in the query; the error names the field'),
    401: err('Missing or invalid key'),
    403: err('The key or role lacks metrics:ingest, or a cross-origin handshake'),
    426: err('Not a WebSocket upgrade'),
    429: err(`Over ${RATE_LIMITS.ingest.limit} requests per minute for this host; see Retry-After`),
  },
});

export function registerIngestStream(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const tenantId = c.get('tenantId');
    const info = c.req.valid('query');
    const name = hostObjectName(tenantId, info.host);
    // The upgrade counts as one request of the collector's limit; the object counts each frame.
    await enforceRateLimit(c.env, RATE_LIMITS.ingest, name);
    noteHost(c.env, c.executionCtx, tenantId, { id: info.host, name: info.name, os: info.os, agentVersion: info.agentVersion }, Date.now());
    const stub = c.env.HOSTS.getByName(name);
    // The tenant's alert config as the worker holds it (alert-config-cache.ts), as the POST offers
    // it: a fleet of new objects then does not each read it from Postgres at its first frame.
    const config = await tenantAlertConfig(c.env, c.executionCtx, tenantId);
    if (config) await stub.offerAlertConfig(config);
    // Only what the object needs: no key travels further, only its id (revocation closes by it).
    const res = await stub.fetch('https://host-object/ingest', {
      headers: { upgrade: 'websocket', 'x-stream-identity': JSON.stringify({ tenantId, hostId: info.host, keyId: c.get('keyId') ?? `session:${c.get('actor').id}` }) },
    });
    if (res.status !== 101) throw new ApiError(503, 'unavailable', `the host's object refused the stream (${res.status}); use POST /api/v1/metrics/collect meanwhile`);
    return res;
  });
}
