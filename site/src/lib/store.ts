// The data behind one view: series per metric (from the history API, then appended live), and
// change notifications batched into one animation frame. While the tab is hidden nothing renders;
// the changes pile up as a set of dirty metrics (not as work) and are drawn once on return.
import type { LiveSample } from '../../../protocol/live.ts';
import type { HistoryResponse } from '../../../protocol/query.ts';
import { labelsKey, type Labels } from '../../../protocol/series.ts';

export type Point = [number, number];
export interface Series {
  metric: string;
  labels: Labels;
  points: Point[];
}
export type Change = { kind: 'reset' | 'append'; metrics: Set<string> };
type Listener = (c: Change) => void;

export class MetricStore {
  /** metric -> labelsKey -> series */
  private data = new Map<string, Map<string, Series>>();
  private listeners = new Set<Listener>();
  private pending: Change | null = null;
  private frame = 0;
  windowFrom = 0;
  latestTs = 0;

  constructor() {
    document.addEventListener('visibilitychange', this.onVisible);
  }

  dispose() {
    document.removeEventListener('visibilitychange', this.onVisible);
    cancelAnimationFrame(this.frame);
    this.listeners.clear();
  }

  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  series(metric: string): Series[] {
    return [...(this.data.get(metric)?.values() ?? [])];
  }

  /** Latest value of each series of a metric. */
  latest(metric: string): { labels: Labels; value: number; ts: number }[] {
    return this.series(metric).flatMap((s) => {
      const p = s.points[s.points.length - 1];
      return p ? [{ labels: s.labels, value: p[1], ts: p[0] }] : [];
    });
  }

  /** Replaces a metric's series with a history answer. */
  setHistory(h: HistoryResponse) {
    const m = new Map<string, Series>();
    for (const s of h.series) m.set(labelsKey(s.labels), { metric: h.metric, labels: s.labels, points: s.points.map((p) => [p.ts, p.avg]) });
    this.data.set(h.metric, m);
    for (const s of m.values()) this.latestTs = Math.max(this.latestTs, s.points[s.points.length - 1]?.[0] ?? 0);
    this.emit('reset', h.metric);
  }

  /**
   * Merges history points into what each series holds (the gap after a reconnect): buckets after
   * `since` (the last sample seen before the drop) at timestamps not yet present are inserted in
   * order; what is already drawn stays.
   */
  fillGap(h: HistoryResponse, since: number) {
    let m = this.data.get(h.metric);
    if (!m) this.data.set(h.metric, (m = new Map()));
    for (const s of h.series) {
      const key = labelsKey(s.labels);
      let cur = m.get(key);
      if (!cur) m.set(key, (cur = { metric: h.metric, labels: s.labels, points: [] }));
      const have = new Set(cur.points.map((p) => p[0]));
      const add = s.points.filter((p) => p.ts > since && !have.has(p.ts) && p.ts >= this.windowFrom).map((p): Point => [p.ts, p.avg]);
      if (add.length) cur.points = [...cur.points, ...add].sort((a, b) => a[0] - b[0]);
    }
    this.emit('reset', h.metric);
  }

  /** Appends one live sample to every series it carries, dropping points that left the window. */
  append(sample: LiveSample) {
    this.latestTs = Math.max(this.latestTs, sample.ts);
    for (const [metric, value] of Object.entries(sample.metrics)) {
      let m = this.data.get(metric);
      if (!m) this.data.set(metric, (m = new Map()));
      const values = typeof value === 'number' ? [{ labels: {} as Labels, value }] : value;
      for (const v of values) {
        const key = labelsKey(v.labels);
        let s = m.get(key);
        if (!s) m.set(key, (s = { metric, labels: v.labels, points: [] }));
        const last = s.points[s.points.length - 1];
        if (last && last[0] >= sample.ts) continue;
        s.points.push([sample.ts, v.value]);
        let drop = 0;
        while (drop < s.points.length - 1 && s.points[drop]![0] < this.windowFrom) drop++;
        if (drop) s.points.splice(0, drop);
      }
      this.emit('append', metric);
    }
  }

  private emit(kind: Change['kind'], metric: string) {
    if (!this.pending) this.pending = { kind, metrics: new Set() };
    if (kind === 'reset') this.pending.kind = 'reset';
    this.pending.metrics.add(metric);
    if (document.visibilityState === 'visible' && !this.frame) this.frame = requestAnimationFrame(this.flush);
  }

  private flush = () => {
    this.frame = 0;
    const c = this.pending;
    this.pending = null;
    if (c) for (const l of this.listeners) l(c);
  };

  private onVisible = () => {
    if (document.visibilityState === 'visible' && this.pending && !this.frame) this.frame = requestAnimationFrame(this.flush);
  };
}
