// Every host of the organization: status, current CPU / memory / disk / network with sparklines of
// the last hour; every service (ServicesList.tsx); the firing alerts. One live socket per host
// and per service shown keeps the numbers moving.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { LiveSample } from '../../../protocol/live.ts';
import type { HistoryResponse, HostCurrent } from '../../../protocol/query.ts';
import { api, qs } from '../lib/api.ts';
import { formatValue, ago } from '../lib/format.ts';
import { pool, useApi } from '../lib/hooks.ts';
import type { ServiceSummary } from '../lib/apm.ts';
import { LiveSocket } from '../lib/live.ts';
import { hostStatus, type AlertRow, type HostRow } from '../lib/status.ts';
import { AlertStream } from './AlertStream.tsx';
import { AlertSubject } from './AlertSubject.tsx';
import { AppShell, Async, useCan } from './AppShell.tsx';
import { NoServices, ServicesTable } from './ServicesList.tsx';
import { Sparkline } from './Sparkline.tsx';
import { StatusBadge } from './StatusBadge.tsx';

const COLS = [
  { key: 'cpu', metric: 'cpu.usage.total', title: 'CPU', unit: 'percent', max: 100, agg: 'max' },
  { key: 'mem', metric: 'memory.usage.percent', title: 'Memory', unit: 'percent', max: 100, agg: 'max' },
  { key: 'disk', metric: 'disk.usage.percent', title: 'Disk (fullest)', unit: 'percent', max: 100, agg: 'max' },
  { key: 'net', metric: 'network.io.bytes.recv', title: 'Network in', unit: 'bytes/s', agg: 'sum' },
] as const;
type Key = (typeof COLS)[number]['key'];
type Cells = Record<Key, { value: number | null; spark: [number, number][] }>;

const MAX_LIVE = 50;
const SPARK_MS = 3600_000;

function combine(values: number[], agg: 'max' | 'sum'): number | null {
  if (!values.length) return null;
  return agg === 'max' ? Math.max(...values) : values.reduce((a, b) => a + b, 0);
}

function fromSample(s: LiveSample, metric: string, agg: 'max' | 'sum'): number | null {
  const v = s.metrics[metric];
  if (v === undefined) return null;
  return typeof v === 'number' ? v : combine(v.map((x) => x.value), agg);
}

function HostsTable({ hosts, firing }: { hosts: HostRow[]; firing: AlertRow[] }) {
  const [cells, setCells] = useState<Record<string, Cells>>({});
  const [lastTs, setLastTs] = useState<Record<string, number>>({});
  const hidden = useRef(false);

  useEffect(() => {
    const ac = new AbortController();
    const shown = hosts.slice(0, MAX_LIVE);
    const now = Date.now();
    const update = (host: string, f: (c: Cells) => Cells) =>
      setCells((all) => ({ ...all, [host]: f(all[host] ?? ({ cpu: { value: null, spark: [] }, mem: { value: null, spark: [] }, disk: { value: null, spark: [] }, net: { value: null, spark: [] } } as Cells)) }));
    api<{ hosts: HostCurrent[] }>('/api/v1/metrics/current', { signal: ac.signal })
      .then((r) => {
        for (const h of r.hosts) {
          if (h.lastSeen) setLastTs((m) => ({ ...m, [h.host]: Math.max(m[h.host] ?? 0, h.lastSeen!) }));
          update(h.host, (c) => {
            const n = { ...c };
            for (const col of COLS) n[col.key] = { ...n[col.key], value: combine(h.values.filter((v) => v.metric === col.metric).map((v) => v.value), col.agg) };
            return n;
          });
        }
      })
      .catch(() => undefined);
    void pool(
      shown.flatMap((h) => COLS.map((col) => ({ h, col }))),
      6,
      async ({ h, col }) => {
        const r = await api<HistoryResponse>(`/api/v1/metrics/history?${qs({ host: h.id, metric: col.metric, from: now - SPARK_MS, to: now, points: 60 })}`, { signal: ac.signal });
        const byTs = new Map<number, number[]>();
        for (const s of r.series) for (const p of s.points) byTs.set(p.ts, [...(byTs.get(p.ts) ?? []), p.avg]);
        const spark = [...byTs.entries()].sort((a, b) => a[0] - b[0]).map(([ts, v]) => [ts, combine(v, col.agg)!] as [number, number]);
        update(h.id, (c) => ({ ...c, [col.key]: { ...c[col.key], spark: [...spark, ...c[col.key].spark.filter((p) => p[0] > (spark[spark.length - 1]?.[0] ?? 0))] } }));
      },
    ).catch(() => undefined);
    // Live: while hidden, samples only update the data; React renders when the tab is visible.
    const pendingSamples = new Map<string, LiveSample[]>();
    const apply = () => {
      for (const [host, samples] of pendingSamples) {
        update(host, (c) => {
          const n = { ...c };
          for (const col of COLS) {
            let spark = n[col.key].spark;
            let value = n[col.key].value;
            for (const s of samples) {
              const v = fromSample(s, col.metric, col.agg);
              if (v === null) continue;
              value = v;
              spark = [...spark.filter((p) => p[0] > s.ts - SPARK_MS), [s.ts, v]];
            }
            n[col.key] = { value, spark };
          }
          return n;
        });
        const ts = samples[samples.length - 1]!.ts;
        setLastTs((m) => ({ ...m, [host]: Math.max(m[host] ?? 0, ts) }));
      }
      pendingSamples.clear();
    };
    const sockets = shown.map(
      (h) =>
        new LiveSocket(h.id, {
          onSample: (s) => {
            pendingSamples.set(h.id, [...(pendingSamples.get(h.id) ?? []), s]);
            if (!hidden.current) requestAnimationFrame(apply);
          },
        }),
    );
    const onVis = () => {
      hidden.current = document.visibilityState !== 'visible';
      if (!hidden.current) apply();
    };
    document.addEventListener('visibilitychange', onVis);
    const tick = setInterval(() => !hidden.current && setLastTs((m) => ({ ...m })), 10_000); // re-derive "down"
    return () => {
      ac.abort();
      sockets.forEach((s) => s.close());
      document.removeEventListener('visibilitychange', onVis);
      clearInterval(tick);
    };
  }, [hosts]);

  return (
    <div className="table-wrap">
      <table>
        <thead>
          <tr>
            <th>Host</th>
            <th>Status</th>
            {COLS.map((c) => (
              <th key={c.key} className={c.key === 'net' ? 'hide-phone' : undefined}>
                {c.title}
              </th>
            ))}
            <th className="hide-phone">Last sample</th>
          </tr>
        </thead>
        <tbody>
          {hosts.map((h) => {
            const c = cells[h.id];
            const last = lastTs[h.id] ?? null;
            return (
              <tr key={h.id} data-host={h.id}>
                <td>
                  <a href={`/app/host/?id=${encodeURIComponent(h.id)}`}>{h.name}</a>
                  <div className="muted small">{h.id !== h.name ? h.id : h.os}</div>
                </td>
                <td>
                  <StatusBadge status={hostStatus(h, last, firing)} />
                </td>
                {COLS.map((col) => (
                  <td key={col.key} className={col.key === 'net' ? 'hide-phone' : undefined} data-metric={col.metric}>
                    <div className="row" style={{ gap: 6, flexWrap: 'nowrap' }}>
                      <span style={{ minWidth: 56 }} data-value>
                        {formatValue(c?.[col.key].value, col.unit)}
                      </span>
                      <span className="hide-phone">
                        <Sparkline points={c?.[col.key].spark ?? []} {...('max' in col ? { max: col.max } : {})} label={`${col.title} over the last hour`} />
                      </span>
                    </div>
                  </td>
                ))}
                <td className="hide-phone muted small">{last ? ago(last) : '–'}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function NoHosts() {
  const canKeys = useCan('keys:write');
  return (
    <div className="empty">
      <h2>No hosts yet</h2>
      <p>Install the agent on a server and it appears here within seconds:</p>
      <pre>curl -fsSL {location.origin}/install.sh | sh -s -- --key &lt;ingest key&gt;</pre>
      {canKeys ? <a className="button primary" href="/app/settings/?tab=keys">Create an ingest key</a> : <p>Ask an admin of your organization for an ingest key.</p>}
    </div>
  );
}

function OverviewBody() {
  const hosts = useApi<{ hosts: HostRow[] }>('/api/v1/hosts');
  const services = useApi<{ services: ServiceSummary[] }>('/api/v1/services');
  const alerts = useApi<{ firing: AlertRow[] }>('/api/v1/alerts?limit=100');
  const firing = alerts.data?.firing ?? [];
  // The firing list and host statuses follow the stream: refetched (once per burst) when an alert changes.
  const reloadTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const reloadAlerts = useCallback(() => {
    reloadTimer.current ??= setTimeout(() => ((reloadTimer.current = null), alerts.reload()), 1000);
  }, [alerts.reload]);
  useEffect(() => () => void (reloadTimer.current && clearTimeout(reloadTimer.current)), []);
  const hostNames = useMemo(() => new Map((hosts.data?.hosts ?? []).map((h) => [h.id, h.name])), [hosts.data]);
  return (
    <>
      <h1>Overview</h1>
      <AlertStream onAlert={reloadAlerts} />
      <section className="group panel" aria-labelledby="hosts-h">
        <h2 id="hosts-h">Hosts</h2>
        <Async state={hosts} empty={(d) => (d.hosts.length ? null : <NoHosts />)}>
          {(d) => <HostsTable hosts={d.hosts} firing={firing} />}
        </Async>
      </section>
      <section className="group panel" aria-labelledby="services-h">
        <h2 id="services-h">
          <a href="/app/services/">Services</a>
        </h2>
        <Async state={services} empty={(d) => (d.services.length ? null : <NoServices />)}>
          {(d) => <ServicesTable services={d.services} hostNames={hostNames} />}
        </Async>
      </section>
      <section className="group panel" aria-labelledby="firing-h">
        <h2 id="firing-h">Firing alerts</h2>
        <Async state={alerts} empty={(d) => (d.firing.length ? null : 'Nothing is firing.')}>
          {(d) => (
            <ul>
              {d.firing.map((a) => (
                <li key={a.id} data-alert={a.rule_name}>
                  <span className={`badge s-${a.severity}`}>{a.severity}</span> <strong>{a.rule_name}</strong> on <AlertSubject alert={a} /> — {a.metric} = {a.value.toFixed(2)} (threshold {a.threshold}), since {ago(a.started_at)}
                </li>
              ))}
            </ul>
          )}
        </Async>
      </section>
    </>
  );
}

export default function OverviewPage() {
  return (
    <AppShell>
      <OverviewBody />
    </AppShell>
  );
}
