// Anomaly periods (protocol/anomalies.ts) as marked areas on the service charts: history from GET
// /api/v1/services/{service}/anomalies, then the live messages' periods upserted by id. Each chart
// shows the periods of its own signals, overlapping ones merged into one area.
import type { AnomalyPeriod, AnomalySignal } from '../../../protocol/anomalies.ts';

export type { AnomaliesResponse, AnomalyPeriod, AnomalySignal, AnomalySnapshot, LiveAnomalies } from '../../../protocol/anomalies.ts';

const SEC = 1000;

/** Which signals' periods each golden-signal chart (service-panels.ts ids) marks. */
export const CHART_SIGNALS: Record<string, AnomalySignal[]> = {
  latency: ['p50', 'p95', 'p99'],
  traffic: ['rps'],
  errors: ['errorRate'],
  'error-rate': ['errorRate'],
};

const SIGNAL_NAMES: Record<AnomalySignal, string> = { p50: 'P50', p95: 'P95', p99: 'P99', errorRate: 'error rate', rps: 'requests/s' };

/** Periods by id, newer versions replacing older; those that ended before `from` dropped. */
export function upsertPeriods(cur: readonly AnomalyPeriod[], incoming: readonly AnomalyPeriod[], from: number): AnomalyPeriod[] {
  const byId = new Map(cur.map((p) => [p.id, p]));
  for (const p of incoming) {
    const old = byId.get(p.id);
    // A closed period never reopens; a stale open copy must not undo its close.
    if (!old || !p.open || (old.open && p.to >= old.to)) byId.set(p.id, p);
  }
  return [...byId.values()].filter((p) => p.to + SEC > from).sort((a, b) => a.from - b.from || a.id - b.id);
}

export interface AnomalyArea {
  from: number;
  to: number;
  /** e.g. "P95 1m, P99 5m · z 6.2" */
  label: string;
  /** Largest |z| among the merged periods, signed. */
  peakZ: number;
  open: boolean;
}

/**
 * The areas a chart marks over [from, to): its signals' periods, each covering its last flagged
 * second (at least one bucket of `stepMs` wide, so a short period stays visible on a coarse
 * chart), clipped to the range, overlapping ones merged.
 */
export function anomalyAreas(periods: readonly AnomalyPeriod[], signals: readonly AnomalySignal[], from: number, to: number, stepMs = SEC): AnomalyArea[] {
  const width = Math.max(SEC, stepMs);
  const mine = periods
    .filter((p) => signals.includes(p.signal))
    .map((p) => ({ p, from: Math.max(from, Math.floor(p.from / width) * width), to: Math.min(to, Math.floor(p.to / width) * width + width) }))
    .filter((x) => x.to > x.from)
    .sort((a, b) => a.from - b.from);
  const out: (AnomalyArea & { names: string[] })[] = [];
  for (const { p, from: f, to: t } of mine) {
    const name = `${SIGNAL_NAMES[p.signal]} ${p.window}`;
    const last = out[out.length - 1];
    if (last && f <= last.to) {
      last.to = Math.max(last.to, t);
      if (!last.names.includes(name)) last.names.push(name);
      if (Math.abs(p.peakZ) > Math.abs(last.peakZ)) last.peakZ = p.peakZ;
      last.open ||= p.open;
    } else out.push({ from: f, to: t, label: '', peakZ: p.peakZ, open: p.open, names: [name] });
  }
  return out.map(({ names, ...a }) => ({ ...a, label: `${names.join(', ')} · z ${a.peakZ.toFixed(1)}` }));
}

/** ECharts markArea data for the areas (a pair of corners each; only x is given: full height). */
export function markAreaData(areas: readonly AnomalyArea[]): [{ name: string; xAxis: number }, { xAxis: number }][] {
  return areas.map((a) => [{ name: a.label, xAxis: a.from }, { xAxis: a.to }]);
}
