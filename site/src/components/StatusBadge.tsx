import type { HostStatus } from '../lib/status.ts';

export function StatusBadge({ status }: { status: HostStatus }) {
  return (
    <span className={`badge s-${status}`} data-status={status}>
      {status}
    </span>
  );
}
