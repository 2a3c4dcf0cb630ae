// The host page: gauges for current values and the spec's CPU / memory / disk / network charts,
// history from the API, then live samples over the host's WebSocket appended in place.
import { useEffect, useMemo, useState } from 'react';
import type { HistoryResponse } from '../../../protocol/query.ts';
import { api, qs } from '../lib/api.ts';
import { pool, useApi } from '../lib/hooks.ts';
import { LiveSocket, type LiveStatus } from '../lib/live.ts';
import { ALL_METRICS, GROUPS } from '../lib/panels.ts';
import { readRange, resolveRange, writeRange, type Range } from '../lib/range.ts';
import { hostStatus, type AlertRow, type HostRow } from '../lib/status.ts';
import { MetricStore } from '../lib/store.ts';
import { AppShell } from './AppShell.tsx';
import { Gauge } from './Gauge.tsx';
import { RangePicker } from './RangePicker.tsx';
import { StatusBadge } from './StatusBadge.tsx';
import { TimeChart } from './TimeChart.tsx';

const POINTS = 600;
/** Live windows ask history up to now + the 5 min of clock skew ingest accepts (protocol/ingest.ts
 * LIMITS.maxFutureMs), so a host whose clock runs ahead is not cut off. */
const SKEW_MS = 5 * 60_000;

declare global {
  interface Window {
    /** The first chart's history, requested by an inline script in host.astro before this loads. */
    __pulseFirst?: { host: string; range: string; metric: string; promise: Promise<HistoryResponse | null> } | undefined;
  }
}

/** The early request, if it matches this view (used once). */
function takePrefetch(host: string, range: Range, metric: string): Promise<HistoryResponse | null> | null {
  const f = window.__pulseFirst;
  window.__pulseFirst = undefined;
  return f && f.host === host && range.kind === 'preset' && f.range === range.preset && f.metric === metric ? f.promise : null;
}

const historyUrl = (host: string, metric: string, from: number, to: number) => `/api/v1/metrics/history?${qs({ host, metric, from: Math.floor(from), to: Math.ceil(to), points: POINTS })}`;

function Dashboard({ hostId }: { hostId: string }) {
  const [range, setRange] = useState<Range>(() => readRange(location.search));
  const [status, setStatus] = useState<LiveStatus>('connecting');
  const [error, setError] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(0);
  const [gauges, setGauges] = useState<Record<string, number | null>>({});
  const hosts = useApi<{ hosts: HostRow[] }>('/api/v1/hosts');
  const alerts = useApi<{ firing: AlertRow[] }>(`/api/v1/alerts?${qs({ host: hostId, limit: 50 })}`);
  const host = hosts.data?.hosts.find((h) => h.id === hostId);

  // A new window = a new store: every chart draws from scratch once, then appends.
  const { store, win } = useMemo(() => {
    const win = resolveRange(range);
    const s = new MetricStore();
    s.windowFrom = win.from;
    return { store: s, win };
  }, [range]);

  useEffect(() => {
    const onPop = () => setRange(readRange(location.search));
    addEventListener('popstate', onPop);
    return () => removeEventListener('popstate', onPop);
  }, []);

  useEffect(() => {
    const ac = new AbortController();
    setLoaded(0);
    setError(null);
    let live: LiveSocket | null = null;
    const readGauges = () => {
      const max = (m: string) => {
        const v = store.latest(m);
        return v.length ? Math.max(...v.map((x) => x.value)) : null;
      };
      setGauges({ cpu: max('cpu.usage.total'), mem: max('memory.usage.percent'), swap: max('swap.usage.percent'), disk: max('disk.usage.percent'), load: max('cpu.load.average.1m') });
    };
    const unsub = store.subscribe(readGauges);
    // Live first, so nothing sent while history loads is lost; samples older than what history
    // brings are dropped by the store's per-series ordering.
    if (win.live) {
      live = new LiveSocket(hostId, {
        onSample: (s) => {
          store.windowFrom = Math.max(store.windowFrom, s.ts - (win.to - win.from));
          store.append(s);
        },
        onGap: (since) => void pool(ALL_METRICS, 4, async (m) => store.fillGap(await api<HistoryResponse>(historyUrl(hostId, m, since, Date.now() + SKEW_MS), { signal: ac.signal }), since)).catch(() => undefined),
        onStatus: setStatus,
      });
    } else setStatus('closed');
    const early = takePrefetch(hostId, range, ALL_METRICS[0]!);
    pool(ALL_METRICS, 6, async (m) => {
      const h = (m === ALL_METRICS[0] && (await early)) || (await api<HistoryResponse>(historyUrl(hostId, m, win.from, win.live ? Date.now() + SKEW_MS : win.to), { signal: ac.signal }));
      if (ac.signal.aborted) return;
      // Keep live points that arrived while this request was in flight.
      const tail = store.series(m).map((s) => ({ labels: s.labels, points: s.points }));
      store.setHistory(h);
      if (tail.some((t) => t.points.length)) {
        for (const t of tail) for (const p of t.points) store.append({ ts: p[0], metrics: { [m]: Object.keys(t.labels).length ? [{ labels: t.labels, value: p[1] }] : p[1] } });
      }
      setLoaded((n) => n + 1);
    }).catch((e: Error) => {
      if (!ac.signal.aborted) setError(e.message);
    });
    return () => {
      ac.abort();
      unsub();
      live?.close();
      store.dispose();
    };
  }, [store, win, hostId, range]);

  const change = (r: Range) => {
    writeRange(r);
    setRange(r);
  };
  const onZoom = (from: number, to: number) => change({ kind: 'custom', from, to });
  const firing = alerts.data?.firing ?? [];
  const st = host ? hostStatus(host, store.latestTs || null, firing) : null;

  return (
    <>
      <div className="row" style={{ justifyContent: 'space-between', marginBottom: 12 }} data-history-loaded={loaded === ALL_METRICS.length ? 'all' : loaded}>
        <div>
          <p className="small" style={{ margin: 0 }}>
            <a href="/app/">← All hosts</a>
          </p>
          <h1 className="row" style={{ margin: '4px 0' }}>
            {host?.name ?? hostId} {st && <StatusBadge status={st} />}
            <span className={`live-dot${status === 'open' ? ' on' : ''}`} title={`live: ${status}`} aria-label={`live updates ${status}`} data-live={status} />
          </h1>
          {host && (
            <p className="muted small" style={{ margin: 0 }}>
              {host.id} · {host.os} · agent {host.agentVersion}
            </p>
          )}
          {hosts.data && !host && <p className="error">No host "{hostId}" in this organization.</p>}
        </div>
        <RangePicker range={range} onChange={change} />
      </div>
      {error && (
        <p className="error" role="alert">
          Could not load the history: {error}
        </p>
      )}
      {firing.length > 0 && (
        <div className="notice" role="status" style={{ marginBottom: 12 }}>
          {firing.length} alert{firing.length > 1 ? 's' : ''} firing: {firing.map((a) => `${a.rule_name} (${a.severity})`).join(', ')} — <a href="/app/alerts/">see alerts</a>
        </div>
      )}
      {loaded === ALL_METRICS.length && store.latestTs === 0 && !error && <div className="empty">No data for this host in this range yet.</div>}
      <section className="group" aria-label="Current values">
        <div className="grid gauges">
          <Gauge title="CPU" value={gauges.cpu ?? null} />
          <Gauge title="Memory" value={gauges.mem ?? null} />
          <Gauge title="Swap" value={gauges.swap ?? null} />
          <Gauge title="Fullest disk" value={gauges.disk ?? null} />
          <Gauge title="Load 1m" value={gauges.load ?? null} unit="load" max={Math.max(4, Math.ceil((gauges.load ?? 0) * 1.5))} />
        </div>
      </section>
      {GROUPS.map((g, gi) => (
        <section key={g.id} className="group" aria-labelledby={`g-${g.id}`}>
          <h2 id={`g-${g.id}`}>{g.title}</h2>
          <div className="grid">
            {g.panels.map((p) => (
              <TimeChart key={p.id} spec={p} store={store} from={win.from} to={win.to} live={win.live} onZoom={onZoom} defer={gi > 0} />
            ))}
          </div>
        </section>
      ))}
    </>
  );
}

export default function HostPage() {
  const id = new URLSearchParams(location.search).get('id');
  return (
    <AppShell eager>
      {id ? (
        <Dashboard hostId={id} />
      ) : (
        <div className="empty">
          No host selected. <a href="/app/">Pick one from the overview.</a>
        </div>
      )}
    </AppShell>
  );
}
