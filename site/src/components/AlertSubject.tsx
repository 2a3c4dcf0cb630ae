// Where an alert comes from: a link to its host's or its service's page.
import { serviceHref } from '../lib/service-view.ts';
import type { AlertRow } from '../lib/status.ts';

export function AlertSubject({ alert: a }: { alert: Pick<AlertRow, 'host' | 'service'> }) {
  if (a.service !== null) return <a href={serviceHref(a.service)}>{a.service}</a>;
  return <a href={`/app/host/?id=${encodeURIComponent(a.host ?? '')}`}>{a.host}</a>;
}
