// The data behind one service view: the signal buckets (history, then live seconds or refreshed
// buckets upserted by ts), the matched hosts' CPU and memory, and the last-minute windows.
// As in store.ts, changes are batched into one animation frame; while the tab is hidden nothing
// is drawn (only which parts changed is remembered) and one draw catches up on return.
import { upsertPeriods, type AnomalyPeriod } from './anomaly-areas.ts';
import type { SignalPoint, SignalWindows } from './apm.ts';
import type { Exemplar } from './traces.ts';
import { densify, settledUntil, upsertPoints } from './signals.ts';

export type Part = 'signals' | 'saturation' | 'windows' | 'clock' | 'anomalies' | 'exemplars';
export type StoreChange = { reset: boolean; parts: Set<Part> };
type Listener = (c: StoreChange) => void;
export type HostPoint = [number, number];

export class ServiceStore {
  private points: SignalPoint[] = [];
  /** `${metric}|${host}` -> points */
  private hosts = new Map<string, { metric: string; host: string; points: HostPoint[] }>();
  private listeners = new Set<Listener>();
  private pending: StoreChange | null = null;
  private frame = 0;
  stepMs = 1000;
  windowFrom = 0;
  /** Buckets up to here are known (empty ones included); later ones may still fill. */
  knownUntil = 0;
  latestTs = 0;
  windows: SignalWindows | null = null;
  /** The service's anomaly periods in the window (lib/anomaly-areas.ts). */
  anomalies: AnomalyPeriod[] = [];
  /** The slowest stored spans of the window (latency chart dots that open their trace). */
  exemplars: Exemplar[] = [];
  /** Bumped on every change of the buckets (charts sharing them compute their lines once). */
  version = 0;

  constructor(readonly windowMs: number) {
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

  /** The buckets to draw: the window's, empty ones filled in up to what is known. */
  signals(): SignalPoint[] {
    return densify(this.points, this.windowFrom, Math.max(this.knownUntil, this.latestTs), this.stepMs);
  }

  hostSeries(metric: string) {
    return [...this.hosts.values()].filter((h) => h.metric === metric);
  }

  /** A history answer (its own step), merged with what live delivered meanwhile. */
  setSignals(points: SignalPoint[], stepMs: number, knownUntil: number) {
    const reset = stepMs !== this.stepMs || this.points.length === 0;
    if (stepMs !== this.stepMs) this.points = [];
    this.stepMs = stepMs;
    this.knownUntil = Math.max(this.knownUntil, knownUntil);
    // Empty buckets not yet settled are left out: their spans may still be on the way.
    this.upsert(points.filter((p) => p.requests > 0 || p.ts <= this.knownUntil), reset);
  }

  /** Live seconds or refreshed buckets of the current step. */
  upsert(points: SignalPoint[], reset = false) {
    if (!points.length && !reset) return;
    this.points = upsertPoints(this.points, points, this.windowFrom);
    this.version++;
    for (const p of points) if (p.requests > 0) this.latestTs = Math.max(this.latestTs, p.ts);
    this.emit('signals', reset);
  }

  /** History's periods, or live ones (upserted by id). */
  upsertAnomalies(periods: readonly AnomalyPeriod[]) {
    if (!periods.length) return;
    this.anomalies = upsertPeriods(this.anomalies, periods, this.windowFrom);
    this.emit('anomalies');
  }

  /** A history answer's exemplars (replace), or live ones (merged by span). */
  setExemplars(list: Exemplar[], merge = false) {
    const byId = new Map((merge ? this.exemplars : []).map((e) => [e.spanId, e]));
    for (const e of list) byId.set(e.spanId, e);
    this.exemplars = [...byId.values()].filter((e) => e.ts >= this.windowFrom).sort((a, b) => a.ts - b.ts);
    this.emit('exemplars');
  }

  setWindows(w: SignalWindows) {
    this.windows = w;
    this.emit('windows');
  }

  /** A live window slides with the clock even when no traffic arrives. */
  slide(now: number) {
    this.windowFrom = Math.max(this.windowFrom, now - this.windowMs);
    this.knownUntil = Math.max(this.knownUntil, settledUntil(now, this.stepMs));
    this.points = upsertPoints(this.points, [], this.windowFrom);
    this.version++;
    if (this.exemplars.length && this.exemplars[0]!.ts < this.windowFrom) this.exemplars = this.exemplars.filter((e) => e.ts >= this.windowFrom);
    for (const h of this.hosts.values()) {
      let drop = 0;
      while (drop < h.points.length - 1 && h.points[drop]![0] < this.windowFrom) drop++;
      if (drop) h.points.splice(0, drop);
    }
    this.emit('clock');
  }

  setHost(metric: string, host: string, points: HostPoint[]) {
    const key = `${metric}|${host}`;
    const cur = this.hosts.get(key);
    // Keep live samples that arrived while the history request was in flight.
    const last = points[points.length - 1]?.[0] ?? 0;
    const tail = cur ? cur.points.filter((p) => p[0] > last) : [];
    this.hosts.set(key, { metric, host, points: [...points, ...tail] });
    this.emit('saturation', true);
  }

  /** Live host samples (newer than what the series holds) and gap refills (merged in order). */
  addHostPoints(metric: string, host: string, points: HostPoint[]) {
    const key = `${metric}|${host}`;
    let cur = this.hosts.get(key);
    if (!cur) this.hosts.set(key, (cur = { metric, host, points: [] }));
    const have = new Set(cur.points.map((p) => p[0]));
    const add = points.filter((p) => !have.has(p[0]) && p[0] >= this.windowFrom);
    if (!add.length) return;
    const last = cur.points[cur.points.length - 1]?.[0] ?? -Infinity;
    cur.points = add.every((p) => p[0] > last) ? [...cur.points, ...add] : [...cur.points, ...add].sort((a, b) => a[0] - b[0]);
    this.emit('saturation');
  }

  private emit(part: Part, reset = false) {
    if (!this.pending) this.pending = { reset: false, parts: new Set() };
    this.pending.reset ||= reset;
    this.pending.parts.add(part);
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
