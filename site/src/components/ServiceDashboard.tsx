// The service page: the last minute's numbers, latency P50/P95/P99, traffic, errors and error
// rate, CPU and memory of the matched hosts (else the service's own process metrics), and the
// per-route table. History from the signals
// API; live, the service's socket upserts each second (short windows) or triggers a refresh of
// the newest buckets (longer windows), and the hosts' sockets append samples. No polling.
// Anomaly periods (the whole service's) come with the history and each live message, drawn as
// marked areas; the KPIs say which signal is anomalous now.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { ServiceMetricHistory, ServiceSaturation } from '../../../protocol/apm-metrics.ts';
import type { HistoryResponse } from '../../../protocol/query.ts';
import type { AnomaliesResponse, AnomalySnapshot } from '../lib/anomaly-areas.ts';
import { pointOfSecond, serviceStatus, type RoutesResponse, type ServiceSummary, type SignalsResponse, type SignalWindows } from '../lib/apm.ts';
import { api, ApiError, qs } from '../lib/api.ts';
import { formatErrorRate, formatValue } from '../lib/format.ts';
import { pool, useApi } from '../lib/hooks.ts';
import { LiveSocket, ServiceLiveSocket, type LiveStatus } from '../lib/live.ts';
import { resolveRange, SERVICE_PRESETS, type Range } from '../lib/range.ts';
import { processLines, processMetrics, type ProcessMetric } from '../lib/process-saturation.ts';
import { processPanels, saturationPanels, SATURATION_METRICS, SIGNAL_PANELS } from '../lib/service-panels.ts';
import { ServiceStore, type HostPoint } from '../lib/service-store.ts';
import { readServiceView, serviceViewSearch, type ServiceView } from '../lib/service-view.ts';
import { POINTS, settledUntil, signalsQuery, tailQuery } from '../lib/signals.ts';
import { throttle } from '../lib/throttle.ts';
import { AppShell, Async } from './AppShell.tsx';
import { RangePicker } from './RangePicker.tsx';
import { RouteTable } from './RouteTable.tsx';
import { ServiceChart } from './ServiceChart.tsx';
import { useHostNames } from './ServicesList.tsx';
import { StatusBadge } from './StatusBadge.tsx';

const GROUP = 'service-page';
/** Hosts whose sockets the page opens (saturation). */
const MAX_LIVE_HOSTS = 4;
/** Live traffic refreshes the route table, and the newest rollup buckets, at most this often. */
const REFRESH_MS = 5000;
/** Host samples may be stamped ahead of the browser's clock (ingest accepts 5 min of skew). */
const SKEW_MS = 5 * 60_000;

const signalsUrl = (service: string, q: { from: number; to: number; points: number }, route: string | null) =>
  `/api/v1/services/${encodeURIComponent(service)}/signals?${qs({ from: q.from, to: q.to, points: q.points, route: route ?? undefined })}`;
const serviceUrl = (service: string, rest: string) => `/api/v1/services/${encodeURIComponent(service)}/${rest}`;
const historyUrl = (host: string, metric: string, from: number, to: number) => `/api/v1/metrics/history?${qs({ host, metric, from: Math.floor(from), to: Math.ceil(to), points: POINTS })}`;

/** One value per host sample (the metrics are unlabelled; a labelled answer takes the highest). */
function hostPoints(h: HistoryResponse): HostPoint[] {
  const byTs = new Map<number, number>();
  for (const s of h.series) for (const p of s.points) byTs.set(p.ts, Math.max(byTs.get(p.ts) ?? -Infinity, p.avg));
  return [...byTs.entries()].sort((a, b) => a[0] - b[0]);
}

/** The windows in which a signal is flagged now, e.g. "1m, 5m" (empty: none). */
function flaggedWindows(snap: AnomalySnapshot | null, signal: string): string {
  return snap?.scores.filter((s) => s.signal === signal && s.flagged).map((s) => s.window).join(', ') ?? '';
}

function Kpis({ windows, summary, route, anomalies }: { windows: SignalWindows | null; summary: ServiceSummary | undefined; route: string | null; anomalies: AnomalySnapshot | null }) {
  const w = windows?.['1m'];
  const items: [string, string, string][] = [
    ['rps', 'Requests/s', formatValue(w?.rps ?? summary?.rps, 'req/s')],
    ['errorRate', 'Errors', formatErrorRate(w?.errorRate ?? summary?.errorRate)],
    ['p50', 'P50', formatValue(w?.p50, 'latency')],
    ['p95', 'P95', formatValue(w ? w.p95 : summary?.p95, 'latency')],
    ['p99', 'P99', formatValue(w?.p99, 'latency')],
  ];
  return (
    <section className="group" aria-labelledby="g-now">
      <h2 id="g-now">
        Last minute{route && <span className="muted small"> · the whole service, not only {route}</span>}
      </h2>
      <div className="kpis">
        {items.map(([k, title, v]) => {
          const flagged = flaggedWindows(anomalies, k);
          return (
            <div key={k} className="panel kpi" data-kpi={k} {...(flagged && { 'data-anomaly': flagged })}>
              <h3>
                {title}
                {flagged && (
                  <span className="chip small" title={`anomalous over ${flagged} against the last hour's per-minute baseline (|z| >= 3)`} style={{ marginLeft: 6 }}>
                    anomaly
                  </span>
                )}
              </h3>
              <div className="v">{v}</div>
            </div>
          );
        })}
      </div>
    </section>
  );
}

function Dashboard({ name }: { name: string }) {
  const [view, setViewState] = useState<ServiceView>(() => readServiceView(location.search));
  const [status, setStatus] = useState<LiveStatus>('connecting');
  const [error, setError] = useState<string | null>(null);
  const [loaded, setLoaded] = useState({ signals: false, hosts: 0, process: false });
  /** No matched host: what the saturation API said, and the process metrics charted. */
  const [proc, setProc] = useState<{ source: ServiceSaturation['source']; cpu: ProcessMetric; memory: ProcessMetric } | null>(null);
  const [windows, setWindows] = useState<SignalWindows | null>(null);
  const [anomalyNow, setAnomalyNow] = useState<AnomalySnapshot | null>(null);
  const [routes, setRoutes] = useState<{ data?: RoutesResponse; error?: string; loading: boolean }>({ loading: true });
  const services = useApi<{ services: ServiceSummary[] }>('/api/v1/services');
  const hostNames = useHostNames();
  const summary = services.data?.services.find((s) => s.name === name);
  const hosts = useMemo(() => summary?.hosts.slice(0, MAX_LIVE_HOSTS) ?? [], [summary?.hosts.join('\n')]);
  const { range, route } = view;
  const signalsEl = useRef<HTMLElement>(null);

  const { store, win } = useMemo(() => {
    const win = resolveRange(range);
    const s = new ServiceStore(win.to - win.from);
    s.windowFrom = win.from;
    return { store: s, win };
  }, [range, route]);

  useEffect(() => {
    const onPop = () => setViewState(readServiceView(location.search));
    addEventListener('popstate', onPop);
    return () => removeEventListener('popstate', onPop);
  }, []);

  const setView = (v: ServiceView) => {
    history.pushState(null, '', `${location.pathname}${serviceViewSearch(v)}`);
    setViewState(v);
  };

  // The route table over the window; live traffic reloads it (throttled), never a timer.
  const loadRoutes = useCallback(
    (signal?: AbortSignal) => {
      const now = Date.now();
      const q = signalsQuery(win.live ? now - (win.to - win.from) : win.from, win.to, win.live, now);
      api<RoutesResponse>(`/api/v1/services/${encodeURIComponent(name)}/routes?${qs({ from: q.from, to: q.to })}`, signal ? { signal } : {})
        .then((data) => setRoutes({ data, loading: false }))
        .catch((e: Error) => !signal?.aborted && setRoutes((r) => ({ ...r, error: e.message, loading: false })));
    },
    [name, win],
  );

  // Signals: history, then the live socket. Its hello carries the last 60 s, so nothing pushed
  // while history loaded is lost (a bucket seen twice keeps its fuller version), and a service
  // the organization does not have (404) never gets a socket.
  useEffect(() => {
    const ac = new AbortController();
    setLoaded((l) => ({ ...l, signals: false }));
    setError(null);
    const q = signalsQuery(win.from, win.to, win.live, Date.now());
    const fail = (e: Error) => !ac.signal.aborted && setError(e.message);
    // Gaps and newest buckets, at the step of the history answer.
    const refill = (since: number) =>
      api<SignalsResponse>(signalsUrl(name, tailQuery(since, store.stepMs, Date.now(), store.windowFrom), route), { signal: ac.signal })
        .then((r) => r.stepMs === store.stepMs && store.upsert(r.points))
        .catch(fail);
    // Longer windows: the buckets holding the seconds pushed since the last refresh are fetched again.
    let tailFrom = Infinity;
    const refreshTail = throttle(() => {
      const since = tailFrom;
      tailFrom = Infinity;
      if (Number.isFinite(since)) void refill(since);
    }, REFRESH_MS);
    let stale = false;
    const refreshRoutes = throttle(() => (document.visibilityState === 'visible' ? loadRoutes(ac.signal) : (stale = true)), REFRESH_MS);
    const onVisible = () => {
      if (document.visibilityState === 'visible' && stale) (stale = false), loadRoutes(ac.signal);
    };
    document.addEventListener('visibilitychange', onVisible);
    const unsub = store.subscribe((c) => {
      if (c.parts.has('windows')) setWindows(store.windows);
      // The requests drawn, for the browser test (a DOM attribute: no React render).
      if (c.parts.has('signals') && signalsEl.current) signalsEl.current.dataset.requests = String(store.signals().reduce((n, p) => n + p.requests, 0));
    });
    let live: ServiceLiveSocket | null = null;
    let tick: ReturnType<typeof setInterval> | null = null;
    const goLive = () => {
      live = new ServiceLiveSocket(name, {
        onSeconds: (seconds, w, an) => {
          store.setWindows(w);
          if (an) {
            setAnomalyNow(an.current);
            if (route === null) store.upsertAnomalies(an.periods);
          }
          if (!seconds.length) return;
          if (q.perSecond) store.upsert(seconds.map((s) => pointOfSecond(s, route)));
          else {
            tailFrom = Math.min(tailFrom, ...seconds.map((s) => s.ts));
            refreshTail();
          }
          refreshRoutes();
        },
        onGap: (since) => void refill(since),
        onExemplars: (list) => store.setExemplars(list, true),
        onStatus: setStatus,
      });
      // The window slides with the clock (drawn only while visible; no request).
      tick = setInterval(() => store.slide(Date.now()), 1000);
    };
    setStatus(win.live ? 'connecting' : 'closed');
    // The whole service's anomaly periods over the window (not while one route is shown).
    if (route === null)
      api<AnomaliesResponse>(serviceUrl(name, `anomalies?${qs({ from: Math.floor(q.from), to: Math.ceil(q.to) })}`), { signal: ac.signal })
        .then((r) => {
          store.upsertAnomalies(r.periods);
          if (!win.live) setAnomalyNow(null);
          else setAnomalyNow((cur) => cur ?? r.current);
        })
        .catch(fail);
    api<SignalsResponse>(signalsUrl(name, q, route), { signal: ac.signal })
      .then((r) => {
        if (ac.signal.aborted) return;
        store.setSignals(r.points, r.stepMs, Math.min(r.to, settledUntil(Date.now(), r.stepMs)));
        store.setExemplars(r.exemplars ?? []);
        setLoaded((l) => ({ ...l, signals: true }));
        if (win.live) goLive();
      })
      .catch((e: Error) => {
        if (e instanceof ApiError && e.status === 404) setStatus('closed');
        fail(e);
      });
    setRoutes((r) => ({ ...r, loading: true }));
    loadRoutes(ac.signal);
    return () => {
      ac.abort();
      unsub();
      (live as ServiceLiveSocket | null)?.close();
      if (tick) clearInterval(tick);
      refreshTail.cancel();
      refreshRoutes.cancel();
      document.removeEventListener('visibilitychange', onVisible);
      store.dispose();
    };
  }, [store, win, name, route, loadRoutes]);

  // Saturation: the matched hosts' CPU and memory, history then their live samples.
  useEffect(() => {
    if (!hosts.length) return;
    const ac = new AbortController();
    const fail = (e: Error) => !ac.signal.aborted && setError(e.message);
    setLoaded((l) => ({ ...l, hosts: 0 }));
    const load = (host: string, metric: string, from: number, gap: boolean) =>
      api<HistoryResponse>(historyUrl(host, metric, from, win.live ? Date.now() + SKEW_MS : win.to), { signal: ac.signal }).then((h) =>
        gap ? store.addHostPoints(metric, host, hostPoints(h)) : store.setHost(metric, host, hostPoints(h)),
      );
    const sockets = win.live
      ? hosts.map(
          (host) =>
            new LiveSocket(host, {
              onSample: (s) => {
                for (const metric of SATURATION_METRICS) {
                  const v = s.metrics[metric];
                  const value = typeof v === 'number' ? v : v?.length ? Math.max(...v.map((x) => x.value)) : undefined;
                  if (value !== undefined) store.addHostPoints(metric, host, [[s.ts, value]]);
                }
              },
              onGap: (since) => void pool([...SATURATION_METRICS], 2, (m) => load(host, m, since, true)).catch(fail),
            }),
        )
      : [];
    pool(
      hosts.flatMap((h) => SATURATION_METRICS.map((m) => ({ h, m }))),
      4,
      async ({ h, m }) => {
        await load(h, m, win.from, false);
        if (!ac.signal.aborted) setLoaded((l) => ({ ...l, hosts: l.hosts + 1 }));
      },
    ).catch(fail);
    return () => {
      ac.abort();
      sockets.forEach((s) => s.close());
    };
  }, [store, win, hosts]);

  // No matched host: the service's own process metrics over the window, reloaded with the range
  // (a new store); live, the axis slides but the series is not polled.
  const lonely = summary !== undefined && hosts.length === 0;
  useEffect(() => {
    if (!lonely) return;
    const ac = new AbortController();
    const fail = (e: Error) => !ac.signal.aborted && setError(e.message);
    setLoaded((l) => ({ ...l, process: false }));
    const to = Math.ceil(win.live ? Date.now() + SKEW_MS : win.to);
    const load = (m: ProcessMetric) =>
      api<ServiceMetricHistory>(serviceUrl(name, `metrics/history?${qs({ metric: m.metric, from: Math.floor(win.from), to, points: POINTS })}`), { signal: ac.signal }).then((h) => {
        for (const l of processLines(h, m.scale)) store.setHost(m.metric, l.key, l.points);
      });
    api<ServiceSaturation>(serviceUrl(name, 'saturation'), { signal: ac.signal })
      .then(async (sat) => {
        const { cpu, memory } = processMetrics(sat);
        setProc({ source: sat.source, cpu, memory });
        if (sat.source === 'process') await Promise.all([load(cpu), load(memory)]);
        if (!ac.signal.aborted) setLoaded((l) => ({ ...l, process: true }));
      })
      .catch(fail);
    return () => ac.abort();
  }, [store, win, name, lonely]);

  const lastZoom = useRef('');
  const changeRange = (r: Range) => setView({ ...view, range: r });
  // A drag reports once per chart it ends on; act once per range.
  const onZoom = (from: number, to: number) => {
    const key = `${Math.round(from)}-${Math.round(to)}`;
    if (key === lastZoom.current) return;
    lastZoom.current = key;
    changeRange({ kind: 'custom', from, to });
  };
  const selectRoute = (r: string | null) => setView({ ...view, route: r });
  const sat = useMemo(() => saturationPanels(hostNames), [hostNames]);
  const st = windows ? serviceStatus(windows['1m'], windows['5m']) : summary?.status;
  const procSat = useMemo(() => (proc?.source === 'process' ? processPanels(proc.cpu, proc.memory) : null), [proc]);
  const hostsDone = !summary || (hosts.length === 0 ? loaded.process : loaded.hosts === hosts.length * SATURATION_METRICS.length);
  const known = services.data !== undefined;

  return (
    <>
      <div className="row" style={{ justifyContent: 'space-between', marginBottom: 12 }} data-history-loaded={loaded.signals && hostsDone && known ? 'all' : 'loading'}>
        <div>
          <p className="small" style={{ margin: 0 }}>
            <a href="/app/services/">← All services</a>
          </p>
          <h1 className="row" style={{ margin: '4px 0' }}>
            {name} {st && <StatusBadge status={st} />}
            <span className={`live-dot${status === 'open' ? ' on' : ''}`} title={`live: ${status}`} aria-label={`live updates ${status}`} data-live={status} />
          </h1>
          {known && !summary && <p className="error">No service "{name}" in this organization.</p>}
          {route && (
            <p className="chip small" style={{ margin: 0 }} data-route-filter={route}>
              Route: <strong>{route}</strong>
              <button type="button" onClick={() => selectRoute(null)} aria-label="Show the whole service">
                ✕
              </button>
            </p>
          )}
        </div>
        <RangePicker range={range} onChange={changeRange} presets={SERVICE_PRESETS} />
      </div>
      {error && (
        <p className="error" role="alert">
          Could not load the signals: {error}
        </p>
      )}
      <Kpis windows={windows} summary={summary} route={route} anomalies={win.live ? anomalyNow : null} />
      <section className="group" aria-labelledby="g-signals" ref={signalsEl}>
        <h2 id="g-signals">Golden signals{route ? ` · ${route}` : ''}</h2>
        <div className="grid pair">
          {SIGNAL_PANELS.map((p) => (
            <ServiceChart key={p.id} spec={p} store={store} from={win.from} to={win.to} live={win.live} group={GROUP} onZoom={onZoom} anomalies={route === null} />
          ))}
        </div>
      </section>
      <section className="group" aria-labelledby="g-saturation">
        <h2 id="g-saturation">Saturation</h2>
        {lonely && procSat ? (
          <div className="grid pair" data-saturation-source="process">
            {procSat.map((p) => (
              <ServiceChart key={p.id} spec={p} store={store} from={win.from} to={win.to} live={win.live} group={GROUP} onZoom={onZoom} defer />
            ))}
          </div>
        ) : lonely ? (
          proc && (
            <div className="panel empty" data-no-matched-host>
              No matched host and no process metrics: the service sends no <code>host.name</code> or <code>host.id</code> resource attribute that names a host of this organization, and no{' '}
              <code>process.cpu.utilization</code> or <code>process.memory.usage</code> metrics to <code>/v1/metrics</code>.
            </div>
          )
        ) : (
          <div className="grid pair">
            {sat.map((p) => (
              <ServiceChart key={p.id} spec={p} store={store} from={win.from} to={win.to} live={win.live} group={GROUP} onZoom={onZoom} defer />
            ))}
          </div>
        )}
      </section>
      <section className="group panel" aria-labelledby="g-routes">
        <h2 id="g-routes">Routes</h2>
        <p className="muted small" style={{ marginTop: 0 }}>
          Over the selected range. Click a column to sort, a route to show only it in the charts.
        </p>
        <Async state={routes} empty={(d) => (d.routes.length ? null : 'No requests in this range.')}>
          {(d) => <RouteTable rows={d.routes} selected={route} onSelect={selectRoute} service={name} />}
        </Async>
      </section>
    </>
  );
}

export default function ServicePage() {
  const name = new URLSearchParams(location.search).get('name');
  return (
    <AppShell eager>
      {name ? (
        <Dashboard name={name} />
      ) : (
        <div className="empty">
          No service selected. <a href="/app/services/">Pick one from the list.</a>
        </div>
      )}
    </AppShell>
  );
}
