// GET /api/v1/traces — stored entry spans (a service's server spans, and root spans), newest
// first, filtered by service, route, duration, error and time, paged by an opaque cursor.
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { ServiceNameParam } from '../../../protocol/apm.ts';
import { TRACE_SAMPLING, TraceSearchResponse } from '../../../protocol/traces.ts';
import { guard } from '../../auth/authorize.ts';
import { httpDb } from '../../db/client.ts';
import { searchSpans } from '../../db/spans.ts';
import { ApiError } from '../../errors.ts';
import type { AppEnv } from '../../types.ts';
import { TimeParam } from '../metrics/params.ts';
import { RouteParam } from '../services/signals.ts';
import { authErrors, errorDoc } from '../schemas.ts';

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 200;

/** The cursor: the last row's start (epoch µs) and span id, base64url. */
export function encodeCursor(startUs: number, spanId: string): string {
  return btoa(`${startUs}:${spanId}`).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const CursorParam = z.string().max(100).transform((v, ctx) => {
  let text = '';
  try {
    text = atob(v.replace(/-/g, '+').replace(/_/g, '/'));
  } catch {
    /* not base64: reported below */
  }
  const m = /^(\d{1,17}):([0-9a-f]{16})$/.exec(text);
  if (!m) {
    ctx.addIssue({ code: 'custom', message: 'is not a cursor from a previous answer' });
    return z.NEVER;
  }
  return { startUs: Number(m[1]), spanId: m[2]! };
});

const BoolParam = z.enum(['true', 'false']).transform((v) => v === 'true');

const route = createRoute({
  method: 'get',
  path: '/api/v1/traces',
  tags: ['traces'],
  summary: 'Search stored traces: entry spans, newest first',
  description:
    "Lists stored server spans and root spans (docs/traces.md). Default range: the last hour; spans are kept 7 days. `min_duration` is in milliseconds. Pass `nextCursor` back as `cursor` for the next page.",
  ...guard('metrics:read'),
  request: {
    query: z.object({
      service: ServiceNameParam.optional().openapi({ example: 'checkout' }),
      route: RouteParam.optional(),
      min_duration: z.coerce.number().min(0).max(86_400_000).optional().openapi({ description: 'milliseconds', example: '250' }),
      error: BoolParam.optional().openapi({ description: 'true: error spans only; false: no error spans' }),
      from: TimeParam.optional(),
      to: TimeParam.optional(),
      cursor: CursorParam.optional().openapi({ type: 'string', description: 'nextCursor of the previous page' }),
      limit: z.coerce.number().int().min(1).max(MAX_LIMIT).default(DEFAULT_LIMIT),
    }),
  },
  responses: {
    200: { description: 'Matching spans', content: { 'application/json': { schema: TraceSearchResponse } } },
    400: errorDoc('Invalid query (the field is named)'),
    401: authErrors[401],
    403: authErrors[403],
  },
});

export function registerTraceSearch(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const q = c.req.valid('query');
    const now = Date.now();
    const to = q.to ?? now;
    const from = q.from ?? to - 3600_000;
    if (from >= to) throw new ApiError(400, 'invalid_request', 'from must be before to', 'from');
    if (to - from > TRACE_SAMPLING.retentionMs + 86_400_000) throw new ApiError(400, 'invalid_request', 'the range is longer than the 7 days spans are kept', 'from');
    const spans = await searchSpans(httpDb(c.env), c.get('tenantId'), {
      service: q.service,
      route: q.route,
      minDurationMs: q.min_duration,
      error: q.error,
      from,
      to,
      before: q.cursor,
      limit: q.limit,
    });
    const last = spans.length === q.limit ? spans[spans.length - 1] : undefined;
    return c.json({ spans, nextCursor: last ? encodeCursor(last.startUs, last.spanId) : null }, 200);
  });
}
