import { describe, expect, it } from 'vitest';
import { ANOMALY_SIGNALS } from '../../../protocol/anomalies.ts';
import { anomalyAreas, CHART_SIGNALS, markAreaData, upsertPeriods, type AnomalyPeriod } from './anomaly-areas.ts';
import { SIGNAL_PANELS } from './service-panels.ts';

const T = 1_767_000_000_000;
const S = 1000;
const period = (id: number, signal: AnomalyPeriod['signal'], window: AnomalyPeriod['window'], from: number, to: number, peakZ: number, open = false): AnomalyPeriod => ({
  id,
  signal,
  window,
  from: T + from * S,
  to: T + to * S,
  open,
  peakZ,
});

describe('anomaly periods as marked areas', () => {
  it('every golden-signal chart marks some signal, and every signal is marked on some chart', () => {
    expect(Object.keys(CHART_SIGNALS).sort()).toEqual(SIGNAL_PANELS.map((p) => p.id).sort());
    expect(new Set(Object.values(CHART_SIGNALS).flat())).toEqual(new Set(ANOMALY_SIGNALS));
  });

  it("keeps a chart's own signals, merges overlapping periods, covers each last flagged second, clips to the range", () => {
    const periods = [
      period(1, 'p95', '1m', 10, 40, 4.2),
      period(2, 'p99', '5m', 30, 70, -7.5),
      period(3, 'rps', '1m', 20, 25, -5),
      period(4, 'p50', '1m', 100, 100, 3.1, true),
      period(5, 'p95', '15m', -50, -20, 3.5), // before the range
    ];
    const areas = anomalyAreas(periods, CHART_SIGNALS.latency!, T, T + 600 * S);
    expect(areas).toEqual([
      { from: T + 10 * S, to: T + 71 * S, label: 'P95 1m, P99 5m · z -7.5', peakZ: -7.5, open: false },
      { from: T + 100 * S, to: T + 101 * S, label: 'P50 1m · z 3.1', peakZ: 3.1, open: true },
    ]);
    expect(anomalyAreas(periods, CHART_SIGNALS.traffic!, T, T + 600 * S).map((a) => [a.from - T, a.to - T])).toEqual([[20 * S, 26 * S]]);
    expect(anomalyAreas(periods, CHART_SIGNALS.errors!, T, T + 600 * S)).toEqual([]);
    // Clipped: a period running past the range's end, and one that began before it.
    expect(anomalyAreas(periods, ['p99'], T + 50 * S, T + 60 * S).map((a) => [a.from - T, a.to - T])).toEqual([[50 * S, 60 * S]]);
    expect(markAreaData(areas)).toEqual([
      [{ name: 'P95 1m, P99 5m · z -7.5', xAxis: T + 10 * S }, { xAxis: T + 71 * S }],
      [{ name: 'P50 1m · z 3.1', xAxis: T + 100 * S }, { xAxis: T + 101 * S }],
    ]);
  });

  it('widens short periods to a bucket of a coarse chart, aligned to its buckets', () => {
    const areas = anomalyAreas([period(1, 'rps', '1m', 65, 70, -4)], ['rps'], T - 3600 * S, T + 3600 * S, 60 * S);
    const bucket = (ms: number) => Math.floor(ms / 60_000) * 60_000;
    expect(areas.map((a) => [a.from, a.to])).toEqual([[bucket(T + 65 * S), bucket(T + 70 * S) + 60_000]]);
  });

  it('upserts live periods by id: an open one grows, a close wins over a stale open copy, ended ones leave with the window', () => {
    let cur = upsertPeriods([], [period(1, 'p95', '1m', 10, 12, 4, true), period(2, 'rps', '5m', 0, 3, -4)], T);
    cur = upsertPeriods(cur, [period(1, 'p95', '1m', 10, 20, 6, true)], T);
    expect(cur.find((p) => p.id === 1)).toMatchObject({ to: T + 20 * S, peakZ: 6, open: true });
    cur = upsertPeriods(cur, [period(1, 'p95', '1m', 10, 25, 6, false)], T);
    cur = upsertPeriods(cur, [period(1, 'p95', '1m', 10, 22, 6, true)], T); // a late, stale copy
    expect(cur.find((p) => p.id === 1)).toMatchObject({ to: T + 25 * S, open: false });
    cur = upsertPeriods(cur, [], T + 5 * S); // the window slid past period 2
    expect(cur.map((p) => p.id)).toEqual([1]);
  });
});
