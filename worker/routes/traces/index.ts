// The trace API (issue #14): a stored trace by id, and the search over stored entry spans.
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../../types.ts';
import { registerTraceGet } from './get.ts';
import { registerTraceSearch } from './search.ts';

export function registerTraceQueries(app: OpenAPIHono<AppEnv>) {
  registerTraceSearch(app);
  registerTraceGet(app);
}
