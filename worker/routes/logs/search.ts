// GET /api/v1/logs — stored lines matching the filters, newest first, a page at a time.
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { decodeCursor, LOG_LIMITS, LogSearchResponse } from '../../../protocol/logs.ts';
import { guard } from '../../auth/authorize.ts';
import { httpDb } from '../../db/client.ts';
import { searchLines } from '../../db/logs.ts';
import { ApiError } from '../../errors.ts';
import type { AppEnv } from '../../types.ts';
import { authErrors } from '../schemas.ts';
import { FilterQuery, toFilter } from './common.ts';

const route = createRoute({
  method: 'get',
  path: '/api/v1/logs',
  tags: ['logs'],
  summary: 'Search stored log lines: full text and filters, newest first, with a cursor',
  description:
    'Default range: the last 24 hours. `q` is full-text (docs/logs.md, "Search"); `attr.<key>=<value>` filters on an attribute. Pass `nextCursor` back as `cursor` for older lines.',
  ...guard('metrics:read'),
  request: {
    query: FilterQuery.extend({
      cursor: z.string().max(40).optional().openapi({ description: 'nextCursor of the previous page' }),
      limit: z.coerce.number().int().min(1).max(LOG_LIMITS.maxPageSize).default(LOG_LIMITS.defaultPageSize),
    }),
  },
  responses: {
    200: { description: 'Lines', content: { 'application/json': { schema: LogSearchResponse } } },
    400: authErrors[400],
    401: authErrors[401],
    403: authErrors[403],
  },
});

export function registerLogSearch(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const v = c.req.valid('query');
    const filter = toFilter(c, v, Date.now());
    const cursor = v.cursor === undefined ? null : decodeCursor(v.cursor);
    if (v.cursor !== undefined && !cursor) throw new ApiError(400, 'invalid_request', 'cursor: not a cursor this API gave', 'cursor');
    // One fetch per statement, no connection set up in the request (worker/db/client.ts).
    const page = await searchLines(httpDb(c.env), c.get('tenantId'), filter, v.limit, cursor);
    return c.json({ ...page, from: filter.from, to: filter.to }, 200);
  });
}
