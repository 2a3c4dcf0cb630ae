import type { ServiceStatus } from '../lib/apm.ts';
import type { HostStatus } from '../lib/status.ts';

export function StatusBadge({ status }: { status: HostStatus | ServiceStatus }) {
  return (
    <span className={`badge s-${status}`} data-status={status}>
      {status}
    </span>
  );
}
