// The service page's charts: the golden signals (latency P50/P95/P99, traffic, errors, error
// rate) from the signal buckets, and saturation (CPU and memory of the hosts matched to the
// service, else of its own process from its OTLP metrics). One chart component draws any of them (components/ServiceChart.tsx).
import { CHART_SIGNALS, type AnomalySignal } from './anomaly-areas.ts';
import { PALETTE } from './echarts.ts';
import type { ProcessMetric } from './process-saturation.ts';
import type { Part, ServiceStore } from './service-store.ts';
import { chartSeries, type ChartSeries } from './signals.ts';
import { traceHref } from './traces.ts';

export interface ChartLine {
  id: string;
  name: string;
  data: [number, number | null][];
  color?: string;
  area?: boolean;
  /** Dots instead of a line; a click on dot i opens links[i]. */
  scatter?: boolean;
  links?: string[];
}

export interface ServiceChartSpec {
  id: string;
  title: string;
  unit: string;
  /** The store parts this chart draws (it redraws when one changes, and as the clock slides). */
  parts: Part[];
  lines: (store: ServiceStore, now: number) => ChartLine[];
  /** The y axis reaches at least this (100 for percentages of a whole). */
  max?: number;
  /** Signals whose anomaly periods the chart marks (lib/anomaly-areas.ts). */
  anomalies?: AnomalySignal[];
}

const RED = '#ef4444';

// The four golden-signal charts read the same buckets: computed once per store change and time.
let memo: { store: ServiceStore; version: number; now: number; s: ChartSeries } | null = null;
function series(store: ServiceStore, now: number): ChartSeries {
  if (memo && memo.store === store && memo.version === store.version && Math.abs(memo.now - now) < 250) return memo.s;
  memo = { store, version: store.version, now, s: chartSeries(store.signals(), store.stepMs, now) };
  return memo.s;
}

const GOLDEN: ServiceChartSpec[] = [
  {
    id: 'latency',
    title: 'Latency',
    unit: 'latency',
    parts: ['signals', 'exemplars'],
    lines: (st, now) => {
      const s = series(st, now);
      return [
        { id: 'p50', name: 'P50', data: s.p50, color: PALETTE[2] },
        { id: 'p95', name: 'P95', data: s.p95, color: PALETTE[1] },
        { id: 'p99', name: 'P99', data: s.p99, color: PALETTE[3] },
        // Each route's slowest stored spans per minute: a click opens the trace.
        { id: 'exemplars', name: 'slowest traces', data: st.exemplars.map((e) => [e.ts, e.ms]), links: st.exemplars.map((e) => traceHref(e.traceId, e.spanId)), scatter: true, color: PALETTE[3] },
      ];
    },
  },
  { id: 'traffic', title: 'Traffic (requests/s)', unit: 'req/s', parts: ['signals'], lines: (st, now) => [{ id: 'rps', name: 'requests/s', data: series(st, now).rps, color: PALETTE[0], area: true }] },
  { id: 'errors', title: 'Errors (errors/s)', unit: 'errors/s', parts: ['signals'], lines: (st, now) => [{ id: 'eps', name: 'errors/s', data: series(st, now).errorsPerSec, color: RED, area: true }] },
  { id: 'error-rate', title: 'Error rate', unit: 'percent', parts: ['signals'], lines: (st, now) => [{ id: 'epct', name: 'errors % of requests', data: series(st, now).errorPct, color: RED }] },
];

export const SIGNAL_PANELS: ServiceChartSpec[] = GOLDEN.map((p) => ({ ...p, parts: [...p.parts, 'anomalies'], anomalies: CHART_SIGNALS[p.id] }));

export const CPU_METRIC = 'cpu.usage.total';
export const MEMORY_METRIC = 'memory.usage.percent';
export const SATURATION_METRICS = [CPU_METRIC, MEMORY_METRIC] as const;

const hostLines = (metric: string, names: Map<string, string>) => (st: ServiceStore) =>
  st.hostSeries(metric).map((h, i) => ({ id: h.host, name: names.get(h.host) ?? h.host, data: h.points, color: PALETTE[(i + 4) % PALETTE.length] }));

/** CPU and memory, one line per matched host (named from GET /api/v1/hosts). */
export function saturationPanels(hostNames: Map<string, string>): ServiceChartSpec[] {
  const lines = (metric: string) => hostLines(metric, hostNames);
  return [
    { id: 'cpu', title: 'CPU of the matched hosts', unit: 'percent', max: 100, parts: ['saturation'], lines: lines(CPU_METRIC) },
    { id: 'memory', title: 'Memory of the matched hosts', unit: 'percent', max: 100, parts: ['saturation'], lines: lines(MEMORY_METRIC) },
  ];
}

/** No host matches: the same two charts from the service's own process metrics (one line per
 * attribute set, stored in the host slots keyed by its labels). */
export function processPanels(cpu: ProcessMetric, memory: ProcessMetric): ServiceChartSpec[] {
  const spec = (id: string, what: string, m: ProcessMetric): ServiceChartSpec => ({
    id,
    title: `${what} of the service's process (${m.metric})`,
    unit: m.unit,
    ...(m.unit === 'percent' && { max: 100 }),
    parts: ['saturation'],
    lines: hostLines(m.metric, new Map()),
  });
  return [spec('cpu', 'CPU', cpu), spec('memory', 'Memory', memory)];
}
