// The service query API (issue #12): list, signals over a range, the per-route table, live.
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../../types.ts';
import { registerServiceList } from './list.ts';
import { registerServiceLive } from './live.ts';
import { registerServiceRoutes } from './routes.ts';
import { registerServiceSignals } from './signals.ts';

export function registerServiceQueries(app: OpenAPIHono<AppEnv>) {
  registerServiceList(app);
  registerServiceSignals(app);
  registerServiceRoutes(app);
  registerServiceLive(app);
}
