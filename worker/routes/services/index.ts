// The service query API (issue #12): list, signals over a range, the per-route table, live, and
// what POST /v1/metrics stores: custom series and saturation; anomaly periods.
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../../types.ts';
import { registerServiceAnomalies } from './anomalies.ts';
import { registerServiceList } from './list.ts';
import { registerServiceLive } from './live.ts';
import { registerServiceMetricsHistory } from './metrics-history.ts';
import { registerServiceMetricsList } from './metrics-list.ts';
import { registerServiceRoutes } from './routes.ts';
import { registerServiceSaturation } from './saturation.ts';
import { registerServiceSignals } from './signals.ts';

export function registerServiceQueries(app: OpenAPIHono<AppEnv>) {
  registerServiceList(app);
  registerServiceSignals(app);
  registerServiceRoutes(app);
  registerServiceLive(app);
  registerServiceMetricsList(app);
  registerServiceMetricsHistory(app);
  registerServiceSaturation(app);
  registerServiceAnomalies(app);
}
