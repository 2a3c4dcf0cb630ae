// A service object's OTLP metrics (issue #12, docs/apm.md "Metrics"), kept apart from its span
// signals: the last point of each cumulative duration histogram (to diff the next one), which
// source the golden signals come from, and the custom series (a raw tier in SQLite like a host's,
// flushed to service_metric_1m / _5m). `record` is synchronous: with the batch store write that
// follows it in the same turn, a batch's effects commit together or not at all, so a restart
// never counts a cumulative point twice.
import {
  APM_METRIC_LIMITS,
  SATURATION_METRICS,
  type CustomMetricInfo,
  type CustomMetricRow,
  type DurationPointWire,
  type HistogramCounts,
  type SaturationValue,
  type ServiceMetricsBatch,
} from '../../protocol/apm-metrics.ts';
import { APM_LIMITS, type RouteSecondWire } from '../../protocol/apm.ts';
import type { LabelledValue, Sample } from '../../protocol/ingest.ts';
import type { HistorySeries } from '../../protocol/query.ts';
import { labelsKey } from '../../protocol/series.ts';
import { withDb } from '../../worker/db/client.ts';
import { floorTo } from '../core/aggregate.ts';
import { diffHistogram, histogramSketch } from '../core/histogram-signals.ts';
import { EMPTY_SOURCES, SignalSources, type SourcesState } from '../core/signal-sources.ts';
import { earliestUnflushed, markDirty, pendingAfter } from '../core/flush-marks.ts';
import { LatencySketch } from '../core/sketch.ts';
import { planRawFlush, rawHistory, rawHistoryTail, type TailSeries } from '../raw-history.ts';
import { RawStore } from '../raw-store.ts';
import { BatchIds } from './batch-ids.ts';
import { writeServiceMetricsFlush } from './metrics-writer.ts';

const MINUTE = 60_000;
const GRACE_MS = 10_000;
const MAX_FLUSH_SPAN_MS = 60 * MINUTE;
/** A metrics batch id is remembered at least this long (SDK retries come within seconds to minutes). */
export const KEEP_BATCH_IDS_MS = APM_LIMITS.acceptPastMs + 5 * MINUTE;
/** A custom series' or metric's last-seen time is rewritten at most this often. */
const SEEN_EVERY_MS = 3600_000;
/** Expired batch ids (their hour tables dropped), histogram state and series go at most this often. */
const PRUNE_EVERY_MS = 10 * MINUTE;

interface MetricsState {
  sources: SourcesState;
  flushedUntil: number | null;
  dirtyFrom: number | null;
}

interface HistState {
  start: string;
  time: number;
  hist: HistogramCounts;
}

export interface RecordedMetrics {
  entries: RouteSecondWire[];
  requests: number;
  ignoredRequests: number;
  values: number;
  rejected: number;
  problem: string;
}

type Delta = { hist: HistogramCounts; fromMs: number } | { reject: string } | null;

export class ServiceMetrics {
  private readonly raw: RawStore;
  private readonly batchIds: BatchIds;
  private state: MetricsState = { sources: EMPTY_SOURCES, flushedUntil: null, dirtyFrom: null };
  private readonly sources: SignalSources;
  private readonly hist = new Map<string, HistState>();
  /** Custom series key (metric \0 labels) -> last seen (ms, as stored). */
  private readonly series = new Map<string, number>();
  private readonly catalog = new Map<string, { info: CustomMetricInfo; seen: number }>();
  private pendingFrom: number | null;
  private prunedAt = 0;

  constructor(private readonly sql: SqlStorage) {
    this.batchIds = new BatchIds(sql, KEEP_BATCH_IDS_MS);
    sql.exec('CREATE TABLE IF NOT EXISTS hist_state (key TEXT PRIMARY KEY, start TEXT NOT NULL, time INTEGER NOT NULL, data TEXT NOT NULL) WITHOUT ROWID');
    sql.exec('CREATE TABLE IF NOT EXISTS custom_series (key TEXT PRIMARY KEY, seen INTEGER NOT NULL) WITHOUT ROWID');
    sql.exec('CREATE TABLE IF NOT EXISTS custom_catalog (name TEXT PRIMARY KEY, info TEXT NOT NULL, seen INTEGER NOT NULL) WITHOUT ROWID');
    this.raw = new RawStore(sql);
    const row = sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'metrics'").toArray()[0];
    if (row) this.state = { ...this.state, ...(JSON.parse(row.value) as MetricsState) };
    this.sources = new SignalSources(this.state.sources, APM_METRIC_LIMITS.spanPrecedenceMs);
    for (const r of sql.exec<{ key: string; start: string; time: number; data: string }>('SELECT key, start, time, data FROM hist_state'))
      this.hist.set(r.key, { start: r.start, time: r.time, hist: JSON.parse(r.data) as HistogramCounts });
    for (const r of sql.exec<{ key: string; seen: number }>('SELECT key, seen FROM custom_series')) this.series.set(r.key, r.seen);
    for (const r of sql.exec<{ name: string; info: string; seen: number }>('SELECT name, info, seen FROM custom_catalog'))
      this.catalog.set(r.name, { info: JSON.parse(r.info) as CustomMetricInfo, seen: r.seen });
    this.pendingFrom = this.raw.nextTs(this.state.flushedUntil ?? 0);
  }

  private save() {
    this.state.sources = this.sources.state();
    this.sql.exec("INSERT INTO meta (key, value) VALUES ('metrics', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", JSON.stringify(this.state));
    this.sources.markSaved();
  }

  /** Span entries to count: spans of seconds a histogram already counted are dropped. */
  admitSpans<E extends { sec: number }>(entries: readonly E[], now: number): E[] {
    const { kept, save } = this.sources.admitSpans(entries, now);
    if (save) this.save();
    return kept;
  }

  /** A cumulative point's delta since the series' previous point (null: nothing to count). */
  private delta(p: DurationPointWire, now: number): Delta {
    if (!p.cumulative) return { hist: p.hist, fromMs: p.start === '0' ? p.time : Number(BigInt(p.start) / 1_000_000n) };
    const prev = this.hist.get(p.key);
    if (prev && prev.start === p.start) {
      if (p.time <= prev.time) return null; // a retry or an older point: already counted
      this.remember(p);
      const d = diffHistogram(prev.hist, p.hist);
      return d ? { hist: d, fromMs: prev.time } : null; // counts went down: start over from here
    }
    if (!prev && this.hist.size >= APM_METRIC_LIMITS.maxHistogramSeriesPerService)
      return { reject: `more than ${APM_METRIC_LIMITS.maxHistogramSeriesPerService} cumulative duration histogram series in this service` };
    this.remember(p);
    // A new series (or a reset: a new start time). Its counts cover (start, time]; counted when
    // that start is recent and after the previous point, else they are only the baseline.
    const startMs = Number(BigInt(p.start) / 1_000_000n);
    const fresh = p.start !== '0' && startMs >= now - APM_LIMITS.acceptPastMs && startMs <= p.time && (!prev || startMs >= prev.time);
    return fresh ? { hist: p.hist, fromMs: startMs } : null;
  }

  private remember(p: DurationPointWire) {
    this.hist.set(p.key, { start: p.start, time: p.time, hist: p.hist });
    this.sql.exec('INSERT OR REPLACE INTO hist_state (key, start, time, data) VALUES (?, ?, ?, ?)', p.key, p.start, p.time, JSON.stringify(p.hist));
  }

  /**
   * Records a batch (null for a duplicate): cumulative state, custom values in the raw tier, and
   * the signal entries the caller must store with the span batches before it awaits anything.
   */
  record(batch: ServiceMetricsBatch, now: number): RecordedMetrics | null {
    if (!this.batchIds.add(batch.batchId, now)) return null;
    const out: RecordedMetrics = { entries: [], requests: 0, ignoredRequests: 0, values: 0, rejected: 0, problem: '' };
    const reject = (why: string) => {
      out.rejected++;
      if (!out.problem) out.problem = why;
    };

    const cells = new Map<string, { sec: number; route: string; count: number; errors: number; sketch: LatencySketch }>();
    let counted = false;
    for (const p of batch.durations) {
      const d = this.delta(p, now);
      if (d === null) continue;
      if ('reject' in d) {
        reject(d.reject);
        continue;
      }
      if (d.hist.count === 0) continue;
      if (!this.sources.admitsHistogram(d.fromMs, now)) {
        out.ignoredRequests += d.hist.count;
        continue;
      }
      const sec = Math.floor(p.time / 1000);
      const key = `${sec}\u0000${p.route}`;
      let cell = cells.get(key);
      if (!cell) cells.set(key, (cell = { sec, route: p.route, count: 0, errors: 0, sketch: new LatencySketch() }));
      cell.count += d.hist.count;
      if (p.error) cell.errors += d.hist.count;
      cell.sketch.merge(histogramSketch(d.hist, p.unitMs));
      out.requests += d.hist.count;
      this.sources.countedHistogram(p.time);
      counted = true;
    }
    for (const c of cells.values()) out.entries.push({ sec: c.sec, route: c.route, count: c.count, errors: c.errors, sketch: c.sketch.toWire() });

    const samples = this.admitValues(batch.samples, now, reject, out);
    if (samples.length) {
      this.raw.add(samples, now, true); // the batch id is deduplicated above; durable before the answer
      for (const s of samples) {
        this.pendingFrom = pendingAfter(this.pendingFrom, this.state.flushedUntil, s.ts);
        if (markDirty(this.state, s.ts)) counted = true; // state to save
      }
      const names = new Set(samples.flatMap((s) => Object.keys(s.metrics)));
      for (const info of batch.catalog) if (names.has(info.name)) this.noteMetric(info, now);
    }
    if (counted) this.save();
    return out;
  }

  /** The custom values within the series cap; the rest are rejected. */
  private admitValues(samples: readonly Sample[], now: number, reject: (why: string) => void, out: RecordedMetrics): Sample[] {
    const kept: Sample[] = [];
    for (const s of samples) {
      const metrics: Record<string, LabelledValue[]> = {};
      let any = false;
      for (const [metric, v] of Object.entries(s.metrics)) {
        const list: LabelledValue[] = [];
        for (const lv of v as LabelledValue[]) {
          const key = `${metric}\u0000${labelsKey(lv.labels)}`;
          const seen = this.series.get(key);
          if (seen === undefined) {
            if (this.series.size >= APM_METRIC_LIMITS.maxCustomSeriesPerService) {
              reject(`more than ${APM_METRIC_LIMITS.maxCustomSeriesPerService} custom series in this service (attribute sets per metric count separately)`);
              continue;
            }
            this.series.set(key, now);
            this.sql.exec('INSERT OR REPLACE INTO custom_series (key, seen) VALUES (?, ?)', key, now);
          } else if (now - seen >= SEEN_EVERY_MS) {
            this.series.set(key, now);
            this.sql.exec('UPDATE custom_series SET seen = ? WHERE key = ?', now, key);
          }
          list.push(lv);
        }
        if (list.length) {
          metrics[metric] = list;
          out.values += list.length;
          any = true;
        }
      }
      if (any) kept.push({ ts: s.ts, metrics });
    }
    return kept;
  }

  private noteMetric(info: CustomMetricInfo, now: number) {
    const cur = this.catalog.get(info.name);
    if (cur && now - cur.seen < SEEN_EVERY_MS && JSON.stringify(cur.info) === JSON.stringify(info)) return;
    this.catalog.set(info.name, { info, seen: now });
    this.sql.exec('INSERT OR REPLACE INTO custom_catalog (name, info, seen) VALUES (?, ?, ?)', info.name, JSON.stringify(info), now);
  }

  // ---- flush ---------------------------------------------------------------------------------

  /** When the custom series' next rollup flush is due (a minute after the data's minute ends). */
  flushDueAt(): number | null {
    const base = earliestUnflushed(this.state.dirtyFrom, this.pendingFrom);
    return base === null ? null : floorTo(base, MINUTE) + MINUTE + GRACE_MS;
  }

  /**
   * Writes the custom series' complete minutes to Postgres when due, and forgets what is past its
   * time (also for a service that sends only duration histograms: called with every flush).
   */
  async flush(env: Env, owner: { tenantId: string; service: string; lastSeen: number | null; hosts: string[] }, now: number): Promise<void> {
    const st = this.state;
    this.raw.seal(now); // windows past their end leave memory (their rows are written already)
    const due = this.flushDueAt();
    const plan = due !== null && due <= now ? planRawFlush(this.raw, st, floorTo(now - GRACE_MS, MINUTE), MAX_FLUSH_SPAN_MS) : null;
    if (plan) {
      const dirtyBefore = st.dirtyFrom;
      await withDb(env, (db) => writeServiceMetricsFlush(db, { ...owner, rows1m: plan.rows1m, rows5m: plan.rows5m }, now));
      st.flushedUntil = Math.max(st.flushedUntil ?? 0, plan.stop);
      if (st.dirtyFrom === dirtyBefore) st.dirtyFrom = null;
      this.pendingFrom = this.raw.nextTs(st.flushedUntil);
      this.save();
    }
    if (now - this.prunedAt >= PRUNE_EVERY_MS) {
      this.prune(now);
      this.prunedAt = now;
    }
  }

  private prune(now: number) {
    this.raw.prune(now);
    this.batchIds.prune(now);
    const histEdge = now - APM_METRIC_LIMITS.histogramStateTtlMs;
    for (const [k, h] of this.hist) if (h.time < histEdge) this.hist.delete(k);
    this.sql.exec('DELETE FROM hist_state WHERE time < ?', histEdge);
    const seriesEdge = now - APM_METRIC_LIMITS.customSeriesTtlMs;
    for (const [k, seen] of this.series) if (seen < seriesEdge) this.series.delete(k);
    this.sql.exec('DELETE FROM custom_series WHERE seen < ?', seriesEdge);
    for (const [k, c] of this.catalog) if (c.seen < seriesEdge) this.catalog.delete(k);
    this.sql.exec('DELETE FROM custom_catalog WHERE seen < ?', seriesEdge);
  }

  // ---- queries -------------------------------------------------------------------------------

  list(): CustomMetricRow[] {
    const counts = new Map<string, number>();
    for (const k of this.series.keys()) {
      const name = k.slice(0, k.indexOf('\u0000'));
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    return [...this.catalog.values()]
      .map(({ info, seen }) => ({ ...info, series: counts.get(info.name) ?? 0, lastSeen: seen }))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  history(metric: string, from: number, to: number, stepMs: number): HistorySeries[] {
    return rawHistory(this.raw, metric, from, to, stepMs);
  }

  historyTail(metric: string, from: number, to: number, stepMs: number): TailSeries[] {
    return rawHistoryTail(this.raw, this.state.flushedUntil, metric, from, to, stepMs);
  }

  /** The latest value of each process/system series within the last 15 minutes. */
  saturation(now: number): SaturationValue[] {
    const out: SaturationValue[] = [];
    for (const metric of SATURATION_METRICS) {
      const c = this.catalog.get(metric);
      if (!c) continue;
      const latest = new Map<string, SaturationValue>();
      for (const { ts, value } of this.raw.metricValues(metric, now - APM_LIMITS.acceptPastMs, now + APM_LIMITS.acceptFutureMs))
        for (const lv of value as LabelledValue[]) latest.set(labelsKey(lv.labels), { metric, unit: c.info.unit, labels: lv.labels, value: lv.value, ts });
      out.push(...[...latest.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([, v]) => v));
    }
    return out;
  }

  /** For tests. */
  debug() {
    return { histSeries: this.hist.size, customSeries: this.series.size, rawSamples: this.raw.count(), flushedUntil: this.state.flushedUntil, sources: this.sources.state() };
  }
}
