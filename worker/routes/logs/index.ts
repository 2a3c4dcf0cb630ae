// The log API (issue #14): shippers' ingest, search, histogram, live tail. OTLP logs come in
// through worker/routes/otlp/logs.ts.
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../../types.ts';
import { registerLogHistogram } from './histogram.ts';
import { registerLogIngest } from './ingest.ts';
import { registerLogLive } from './live.ts';
import { registerLogSearch } from './search.ts';

export function registerLogRoutes(app: OpenAPIHono<AppEnv>) {
  registerLogIngest(app);
  registerLogSearch(app);
  registerLogHistogram(app);
  registerLogLive(app);
}
