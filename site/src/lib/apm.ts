// The service API's shapes (protocol/apm.ts) for the browser. Types only from that module: its
// zod schemas would pull zod into the bundle, so the two small functions the pages need are
// copied here; apm.test.ts checks they agree with the protocol's.
import type { LiveSecond, ServiceStatus, SignalPoint, WindowStats } from '../../../protocol/apm.ts';

export type {
  LiveSecond,
  RouteRow,
  RoutesResponse,
  ServiceLiveMessage,
  ServiceStatus,
  ServiceSummary,
  SignalPoint,
  SignalsResponse,
  SignalWindows,
  WindowStats,
} from '../../../protocol/apm.ts';

/** protocol/apm.ts SERVICE_LIVE_PATH. */
export const SERVICE_LIVE_PATH = (service: string) => `/api/v1/services/${encodeURIComponent(service)}/live`;

/** protocol/apm.ts APM_LIMITS.secondsKept: the per-second tier covers this much (ms). */
export const PER_SECOND_MS = 900_000;

/** protocol/apm.ts serviceStatus: the list's status, re-derived from live windows. */
export function serviceStatus(w1: WindowStats, w5: WindowStats): ServiceStatus {
  if (w5.requests === 0) return 'idle';
  if (w1.errorRate >= 0.05) return 'critical';
  if (w1.errorRate >= 0.01) return 'warning';
  return 'ok';
}

export const emptyPoint = (ts: number): SignalPoint => ({ ts, requests: 0, errors: 0, p50: null, p95: null, p99: null });

/** One live second as a point of the whole service, or of one route (absent = no requests). */
export function pointOfSecond(s: LiveSecond, route: string | null): SignalPoint {
  if (route === null) return { ts: s.ts, requests: s.requests, errors: s.errors, p50: s.p50, p95: s.p95, p99: s.p99 };
  const r = s.routes.find((x) => x.route === route);
  return r ? { ts: s.ts, requests: r.requests, errors: r.errors, p50: r.p50, p95: r.p95, p99: r.p99 } : emptyPoint(s.ts);
}
