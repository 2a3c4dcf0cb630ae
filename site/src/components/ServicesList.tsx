// The organization's services: status, requests/s, error rate, P95 and a sparkline of the last
// 15 minutes. The list page and the overview share the table; one live socket per service shown
// keeps the numbers moving (the windows of each push; nothing is polled).
import { useEffect, useRef, useState } from 'react';
import { serviceStatus, type ServiceSummary, type SignalWindows } from '../lib/apm.ts';
import { formatErrorRate, formatValue, ago } from '../lib/format.ts';
import { useApi } from '../lib/hooks.ts';
import { ServiceLiveSocket } from '../lib/live.ts';
import { serviceHref } from '../lib/service-view.ts';
import { advanceSpark, sparkPoints } from '../lib/signals.ts';
import { AppShell, Async, useCan } from './AppShell.tsx';
import { Sparkline } from './Sparkline.tsx';
import { StatusBadge } from './StatusBadge.tsx';

const MAX_LIVE = 50;

interface Row extends ServiceSummary {
  sparkline: [number, number][];
}

const fromSummary = (s: ServiceSummary, at: number): Row => ({ ...s, sparkline: sparkPoints(s.spark, at) });

function applyWindows(r: Row, w: SignalWindows, now: number): Row {
  const w1 = w['1m'];
  return { ...r, status: serviceStatus(w1, w['5m']), rps: w1.rps, errorRate: w1.errorRate, p95: w1.p95, lastSeen: Math.max(r.lastSeen, now), sparkline: advanceSpark(r.sparkline, now, w1.rps) };
}

export function ServicesTable({ services, hostNames }: { services: ServiceSummary[]; hostNames?: Map<string, string> }) {
  const [rows, setRows] = useState<Row[]>(() => services.map((s) => fromSummary(s, Date.now())));
  const hidden = useRef(false);

  useEffect(() => {
    const loaded = Date.now();
    setRows(services.map((s) => fromSummary(s, loaded)));
    // While hidden, pushes only update what is pending; React renders when the tab is visible.
    const pending = new Map<string, { w: SignalWindows; at: number }>();
    const apply = () => {
      if (!pending.size) return;
      const batch = new Map(pending);
      pending.clear();
      setRows((all) => all.map((r) => (batch.has(r.name) ? applyWindows(r, batch.get(r.name)!.w, batch.get(r.name)!.at) : r)));
    };
    const sockets = services.slice(0, MAX_LIVE).map(
      (s) =>
        new ServiceLiveSocket(s.name, {
          onSeconds: (_seconds, w) => {
            pending.set(s.name, { w, at: Date.now() });
            if (!hidden.current) requestAnimationFrame(apply);
          },
        }),
    );
    const onVis = () => {
      hidden.current = document.visibilityState !== 'visible';
      if (!hidden.current) apply();
    };
    document.addEventListener('visibilitychange', onVis);
    return () => {
      sockets.forEach((s) => s.close());
      document.removeEventListener('visibilitychange', onVis);
    };
  }, [services]);

  return (
    <div className="table-wrap">
      <table data-services-table>
        <thead>
          <tr>
            <th>Service</th>
            <th>Status</th>
            <th style={{ textAlign: 'right' }}>Req/s</th>
            <th style={{ textAlign: 'right' }}>Errors</th>
            <th style={{ textAlign: 'right' }}>P95</th>
            <th className="hide-phone">Last 15 min</th>
            <th className="hide-phone">Hosts</th>
            <th className="hide-phone">Last request</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((s) => (
            <tr key={s.name} data-service={s.name}>
              <td>
                <a href={serviceHref(s.name)}>{s.name}</a>
              </td>
              <td>
                <StatusBadge status={s.status} />
              </td>
              <td data-col="rps" style={{ textAlign: 'right' }}>
                {formatValue(s.rps, 'req/s')}
              </td>
              <td data-col="errorRate" style={{ textAlign: 'right' }}>
                {formatErrorRate(s.errorRate)}
              </td>
              <td data-col="p95" style={{ textAlign: 'right' }}>
                {formatValue(s.p95, 'latency')}
              </td>
              <td className="hide-phone">
                <Sparkline points={s.sparkline} label="Requests per second over the last 15 minutes" />
              </td>
              <td className="hide-phone small">
                {s.hosts.length === 0 ? (
                  <span className="muted">–</span>
                ) : (
                  s.hosts.map((h, i) => (
                    <span key={h}>
                      {i > 0 && ', '}
                      <a href={`/app/host/?id=${encodeURIComponent(h)}`}>{hostNames?.get(h) ?? h}</a>
                    </span>
                  ))
                )}
              </td>
              <td className="hide-phone muted small">{ago(s.lastSeen)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** How to point an OpenTelemetry SDK here (docs/apm.md); no key in the page, only a placeholder. */
export function NoServices() {
  const canKeys = useCan('keys:write');
  return (
    <div className="empty" data-no-services>
      <h2>No services yet</h2>
      <p>Point any OpenTelemetry SDK at Pulse and each service appears here with its requests, errors and latency:</p>
      <pre style={{ textAlign: 'left' }}>
        {`OTEL_EXPORTER_OTLP_ENDPOINT=${location.origin}\nOTEL_EXPORTER_OTLP_HEADERS="Authorization=Bearer%20<ingest key>"\nOTEL_SERVICE_NAME=<your service>`}
      </pre>
      <p className="small">
        OTLP/HTTP (protobuf or JSON) to <code>/v1/traces</code>; server spans become per-route signals. Details: docs/apm.md.
      </p>
      {canKeys ? <a className="button primary" href="/app/settings/?tab=keys">Create an ingest key</a> : <p>Ask an admin of your organization for an ingest key.</p>}
    </div>
  );
}

/** Host ids -> names, for the matched hosts' links. */
export function useHostNames(): Map<string, string> {
  const hosts = useApi<{ hosts: { id: string; name: string }[] }>('/api/v1/hosts');
  const [names, setNames] = useState(() => new Map<string, string>());
  useEffect(() => {
    if (hosts.data) setNames(new Map(hosts.data.hosts.map((h) => [h.id, h.name])));
  }, [hosts.data]);
  return names;
}

function ServicesBody() {
  const services = useApi<{ services: ServiceSummary[] }>('/api/v1/services');
  const names = useHostNames();
  return (
    <>
      <h1>Services</h1>
      <section className="group panel">
        <Async state={services} empty={(d) => (d.services.length ? null : <NoServices />)}>
          {(d) => <ServicesTable services={d.services} hostNames={names} />}
        </Async>
      </section>
    </>
  );
}

export default function ServicesPage() {
  return (
    <AppShell>
      <ServicesBody />
    </AppShell>
  );
}
