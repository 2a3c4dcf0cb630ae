// Host status for display: the server's `status` when GET /api/v1/hosts carries it, otherwise
// derived from the firing alerts and the age of the newest sample.
import type { HostSummary } from '../../../protocol/query.ts';

export type HostStatus = 'ok' | 'warning' | 'critical' | 'down';
export type HostRow = HostSummary & { status?: HostStatus };
export interface AlertRow {
  id: string;
  rule_id: string;
  rule_name: string;
  severity: 'INFO' | 'WARNING' | 'CRITICAL';
  /** One of host and service is set: a host's or a service's alert. */
  host: string | null;
  service: string | null;
  metric: string;
  labels: Record<string, string>;
  status: 'FIRING' | 'RESOLVED';
  value: number;
  threshold: number;
  started_at: number;
  resolved_at: number | null;
  notified: string;
  last_error: string | null;
}

/** No sample for this long = down (the agent sends every 5 s). */
export const DOWN_AFTER_MS = 60_000;

export function hostStatus(h: HostRow, lastSampleTs: number | null, firing: AlertRow[], now = Date.now()): HostStatus {
  if (h.status) return h.status;
  const last = Math.max(lastSampleTs ?? 0, h.lastSeen);
  if (now - last > DOWN_AFTER_MS) return 'down';
  const mine = firing.filter((a) => a.host === h.id);
  if (mine.some((a) => a.severity === 'CRITICAL')) return 'critical';
  if (mine.some((a) => a.severity === 'WARNING')) return 'warning';
  return 'ok';
}

