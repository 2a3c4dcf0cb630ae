// POST /api/v1/metrics/collect — the agent's ingest endpoint (wire contract: protocol/ingest.ts).
import type { OpenAPIHono } from '@hono/zod-openapi';
import { z } from '@hono/zod-openapi';
import { checkTimestamps, CollectRequestDoc, CollectResponse, LIMITS } from '../../../protocol/ingest.ts';
import { parseCollect } from '../../../protocol/ingest-parse.ts';
import { authorize, guard } from '../../auth/authorize.ts';
import { readBody } from '../../body.ts';
import { ApiError, formatPath, validationError } from '../../errors.ts';
import { RATE_LIMITS } from '../../limits.ts';
import { enforceRateLimit } from '../../ratelimit.ts';
import { hostObjectName, type AppEnv } from '../../types.ts';
import { tenantAlertConfig } from '../../alert-config-cache.ts';
import { noteHost } from '../../registry.ts';
import { ErrorSchema } from '../schemas.ts';

/** `deferred`: the sender keeps samples until `durableThrough` passes them (docs/ingest.md). */
export const DURABILITY_HEADER = 'Pulse-Durability';

export function registerCollect(app: OpenAPIHono<AppEnv>) {
  // Documented here, handled below by hand: the body may be gzip, which the generic JSON
  // validator cannot read, and its size must be capped while inflating.
  app.openAPIRegistry.registerPath({
    method: 'post',
    path: '/api/v1/metrics/collect',
    tags: ['metrics'],
    summary: 'Send metric samples from an agent or any third-party sender',
    description: `Body limit ${LIMITS.maxBodyBytes} bytes after decompression; \`Content-Encoding: gzip\` accepted. A repeated batchId is acknowledged and changes nothing. Requires an ingest key.`,
    security: guard('metrics:ingest').security,
    'x-permission': 'metrics:ingest',
    request: {
      headers: z.object({
        [DURABILITY_HEADER.toLowerCase()]: z
          .enum(['immediate', 'deferred'])
          .optional()
          .describe('immediate (default): answered = durably stored. deferred: the object may hold the samples until their 5-minute window ends; keep each until the answer\'s durableThrough passes it.'),
      }),
      body: { required: true, content: { 'application/json': { schema: CollectRequestDoc } } },
    },
    responses: {
      200: { description: 'Accepted (or a duplicate batch, acknowledged)', content: { 'application/json': { schema: CollectResponse } } },
      400: { description: 'Invalid body; the error names the field', content: { 'application/json': { schema: ErrorSchema } } },
      401: { description: 'Missing or invalid key', content: { 'application/json': { schema: ErrorSchema } } },
      403: { description: 'The key or role lacks metrics:ingest', content: { 'application/json': { schema: ErrorSchema } } },
      413: { description: `Body over ${LIMITS.maxBodyBytes} bytes (after decompression)`, content: { 'application/json': { schema: ErrorSchema } } },
      415: { description: 'Not JSON, or a Content-Encoding other than gzip', content: { 'application/json': { schema: ErrorSchema } } },
      429: { description: `Over ${RATE_LIMITS.ingest.limit} requests per minute for this host; see Retry-After`, content: { 'application/json': { schema: ErrorSchema } } },
    },
  });

  app.post('/api/v1/metrics/collect', authorize('metrics:ingest'), async (c) => {
    const ctype = c.req.header('content-type') ?? '';
    if (!/^application\/json\b/i.test(ctype))
      throw new ApiError(415, 'unsupported_media_type', 'Content-Type must be application/json', 'content-type');
    const text = await readBody(c.req.raw, LIMITS.maxBodyBytes);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new ApiError(400, 'invalid_json', `body is not valid JSON: ${(err as Error).message}`, '(body)');
    }
    const parsed = parseCollect(json);
    if (!parsed.ok) return validationError(parsed.issues.map((i) => ({ field: formatPath(i.path), message: i.message })));
    // Per collector, so one noisy host cannot starve its organization's other hosts.
    await enforceRateLimit(c.env, RATE_LIMITS.ingest, hostObjectName(c.get('tenantId'), parsed.data.host.id));
    const bad = checkTimestamps(parsed.data, Date.now());
    if (bad) return validationError([{ field: bad.path, message: bad.message }]);

    // A sender that keeps each sample until durableThrough passes it (the agent's HTTP fallback)
    // may let the object batch its writes; anyone else gets "answered = durable" (docs/ingest.md).
    const durability = c.req.header(DURABILITY_HEADER) ?? 'immediate';
    if (durability !== 'immediate' && durability !== 'deferred')
      throw new ApiError(400, 'invalid_request', `${DURABILITY_HEADER} must be "immediate" or "deferred"`, `header.${DURABILITY_HEADER.toLowerCase()}`);
    const tenantId = c.get('tenantId');
    const stub = c.env.HOSTS.getByName(hostObjectName(tenantId, parsed.data.host.id));
    noteHost(c.env, c.executionCtx, tenantId, parsed.data.host, Math.max(...parsed.data.samples.map((s) => s.ts)));
    // Offer the tenant's alert config version; an object without it asks, once (alert-config-cache.ts).
    const config = await tenantAlertConfig(c.env, c.executionCtx, tenantId);
    const opts = { durable: durability === 'immediate' };
    let result = await stub.ingest(tenantId, parsed.data, config ? { version: config.version } : undefined, Date.now(), opts);
    if (result.needConfig) result = await stub.ingest(tenantId, parsed.data, config ? { version: config.version, config } : undefined, Date.now(), opts);
    const { accepted, duplicate, durableThrough } = result;
    return c.json({ accepted, duplicate, batchId: parsed.data.batchId, durableThrough } satisfies z.infer<typeof CollectResponse>);
  });
}
