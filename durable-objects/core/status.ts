// A host's status for the overview, from its firing alerts (docs/alerting.md, "Host status").
import type { HostStatus } from '../../protocol/query.ts';
import { HOST_UP_METRIC } from './rules.ts';

/**
 * down if a host.up (host down) rule fires; else critical if a CRITICAL alert fires; else warning
 * if a WARNING one does; else ok. INFO alerts do not change the status.
 */
export function hostStatus(firing: Iterable<{ metric: string; severity: string }>): HostStatus {
  let status: HostStatus = 'ok';
  for (const a of firing) {
    if (a.metric === HOST_UP_METRIC) return 'down';
    if (a.severity === 'CRITICAL') status = 'critical';
    else if (a.severity === 'WARNING' && status === 'ok') status = 'warning';
  }
  return status;
}
