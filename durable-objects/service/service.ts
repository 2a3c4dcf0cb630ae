// One object per tenant+service (name `<tenant>:<service>`, issue #12). Receives the worker's
// per-route, per-second aggregates (never spans), stores each batch durably before answering,
// keeps 15 minutes of per-second signals in memory, pushes them to live subscribers at most once
// a second, and flushes 1 m / 5 m rollups with their sketches to Postgres from an alarm.
import {
  APM_LIMITS,
  type RouteRow,
  type ServiceBatch,
  type ServiceIngestResult,
  type SignalPoint,
  type SignalWindows,
} from '../../protocol/apm.ts';
import type { ServiceMetricsBatch, ServiceMetricsResult } from '../../protocol/apm-metrics.ts';
import { LIVE_CLOSE } from '../../protocol/live.ts';
import { withDb } from '../../worker/db/client.ts';
import { BaseObject } from '../base.ts';
import { costMetering, type CostCounters } from '../cost-meter.ts';
import { markDirty, pendingAfter } from '../core/flush-marks.ts';
import { SignalWindow } from '../core/signals.ts';
import { DEFAULT_LIVE_OPTIONS, LiveSubscribers, type LiveOptions } from '../live-subscribers.ts';
import { ANOMALY_DEFAULTS, type AnomalyOptions } from '../core/anomaly.ts';
import { ServiceAnomalies } from './anomalies.ts';
import { BatchStore } from './batch-store.ts';
import { addHosts, cappedRoute, capRoute } from './caps.ts';
import { flushSpreadMs, keepBatchesFrom, planServiceFlush, signalsFlushDueAt } from './flush-plan.ts';
import { ServiceMetrics } from './metrics.ts';
import { writeServiceFlush } from './rollup-writer.ts';
import type { AlertConfig } from '../../worker/db/alerts.ts';
import type { ConfigOffer } from '../alert-engine.ts';
import { thresholdsFor } from '../core/slo.ts';
import { ServiceAlerts } from './service-alerts.ts';
import { TraceSampler } from './trace-sampler.ts';
import type { SamplingDecision, SpanSampling } from '../../protocol/traces.ts';
import { sloBuckets } from './dashboard-queries.ts';
import { ServiceLive } from './live.ts';
import { routeTable, signalBuckets, signalWindows, spark, unflushedTail, type TailRow } from './window-queries.ts';
import type { Rule } from '../core/rules.ts';

const SEC = 1000;
const RETRY_MS = 30_000;

interface State {
  tenantId: string | null;
  service: string | null;
  /** Routes with their own signals, in first-seen order; capped (APM_LIMITS.maxRoutesPerService). */
  routes: string[];
  hosts: string[];
  lastSeen: number | null;
  /** Rollups are written for every minute before this (epoch ms). */
  flushedUntil: number | null;
  /** Earliest second (ms) of data that arrived after its minute was flushed. */
  dirtyFrom: number | null;
}

export type { TailRow } from './window-queries.ts';
export { SERVICE_FLUSH_GRACE_MS } from './flush-plan.ts';

export class ServiceObject extends BaseObject<Env> {
  static liveOptions: LiveOptions = { ...DEFAULT_LIVE_OPTIONS };
  /** Tests shorten the warm-up. */
  static anomalyOptions: AnomalyOptions = ANOMALY_DEFAULTS;

  private store!: BatchStore;
  /** OTLP metrics: duration histograms' state, the signal source, custom series (./metrics.ts). */
  private metrics!: ServiceMetrics;
  /** Z-scores of the golden signals against their per-minute baseline, and anomaly periods (./anomalies.ts). */
  private anomalies!: ServiceAnomalies;
  // The route cap is applied (and persisted) here; the window only needs room for it.
  private window = new SignalWindow({ seconds: APM_LIMITS.secondsKept, maxRoutes: APM_LIMITS.maxRoutesPerService + 1, maxAheadSec: APM_LIMITS.acceptFutureMs / 1000 });
  private state: State = { tenantId: null, service: null, routes: [], hosts: [], lastSeen: null, flushedUntil: null, dirtyFrom: null };
  private routeSet = new Set<string>();
  private alarmAt: number | null = null;
  /** This object's rollup flush offset (flush-plan.ts): its id's hash, computed once. */
  private readonly flushSpread = flushSpreadMs(this.ctx.id.toString());
  /** Earliest second (ms) not yet flushed; rebuilt from the store at start. */
  private pendingFrom: number | null = null;
  /** Changed seconds pushed to subscribers at most once a second (./live.ts). */
  private live!: ServiceLive;
  private prunedAt = 0;
  /** Service rules and SLOs, evaluated as each batch is stored (./service-alerts.ts). */
  private alerts!: ServiceAlerts;
  private alertDue: number | null = null;
  /** Which spans the worker stores (./trace-sampler.ts, docs/traces.md). */
  private traces = new TraceSampler();

  private sql!: SqlStorage;
  /** bench:cost only (COST_COUNTERS=on outside production); null otherwise. */
  private cost: CostCounters | null = null;

  protected async onStart() {
    const metering = costMetering(this.env, this.ctx.storage.sql, this.ctx.id);
    this.cost = metering.counters;
    const sql = (this.sql = metering.sql);
    sql.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    this.store = new BatchStore(sql);
    this.metrics = new ServiceMetrics(sql);
    // A shorter warm-up for the browser tests (spans reach only 15 min back); never in production.
    const warmup = this.env.ENVIRONMENT === 'production' ? NaN : Number(this.env.ANOMALY_WARMUP_MINUTES);
    const opts = (this.constructor as typeof ServiceObject).anomalyOptions;
    const ticks = { work: (now: number) => (this.scoreAnomalies(now), this.live.maybePush(now)), lastSeen: () => this.state.lastSeen, service: () => this.state.service };
    this.anomalies = new ServiceAnomalies(sql, Number.isInteger(warmup) && warmup >= 1 ? { ...opts, warmupMinutes: warmup } : opts, ticks);
    const row = sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'state'").toArray()[0];
    if (row) this.state = { ...this.state, ...(JSON.parse(row.value) as State) };
    this.routeSet = new Set(this.state.routes);
    // Acknowledged data survives a restart: the window is rebuilt from the stored batches.
    const nowSec = Math.floor(Date.now() / SEC);
    for (const e of this.store.range(nowSec - APM_LIMITS.secondsKept, Number.MAX_SAFE_INTEGER)) this.window.add(e.sec, e.route, e.count, e.errors, e.sketch);
    const next = this.store.nextSec(Math.floor((this.state.flushedUntil ?? 0) / SEC));
    this.pendingFrom = next === null ? null : next * SEC;
    this.alarmAt = await this.ctx.storage.getAlarm();
    this.subscribers = new LiveSubscribers(this.ctx, () => (this.constructor as typeof ServiceObject).liveOptions, LIVE_CLOSE.tooManyServiceSubscribers);
    this.alerts = new ServiceAlerts(sql, this.env, this.window, () => this.anomalies.latest());
    this.live = new ServiceLive({ window: this.window, subscribers: this.subscribers, anomalies: this.anomalies, alerts: this.alerts, traces: this.traces, service: () => this.state.service });
    if (this.state.tenantId && this.state.service) {
      this.alerts.setIdentity(this.state.tenantId, this.state.service);
      this.alerts.slos.replaySeconds(this.store.range(nowSec - APM_LIMITS.secondsKept, Number.MAX_SAFE_INTEGER), Date.now());
    }
    this.anomalies.rearm(Date.now(), this.state.lastSeen); // a restart within 15 min of traffic goes on scoring
  }

  private saveState() {
    this.sql.exec("INSERT INTO meta (key, value) VALUES ('state', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", JSON.stringify(this.state));
  }

  /**
   * Stores a batch, counts it for the SLOs and evaluates the service rules. `offer` is the
   * tenant's alert config version the worker knows: an object holding an older one answers
   * `needConfig` without storing anything (as host objects do); one whose SLOs need latency
   * thresholds the batch was not counted for answers `needThresholds`.
   */
  async ingest(tenantId: string, batch: ServiceBatch & { sampling?: SpanSampling }, offer?: ConfigOffer, now = Date.now()): Promise<ServiceIngestResult & { sampling?: SamplingDecision }> {
    if (this.cost) this.cost.requests++;
    const r = await this.ingestSignals(tenantId, batch, offer, now);
    if (r.needConfig || r.needThresholds) return r;
    // Decided for a retried (duplicate) body too: its first attempt's spans may not have been written.
    return batch.sampling ? { ...r, sampling: this.sampleSpans(tenantId, batch.service, batch.sampling, now) } : r;
  }

  /** The storage decision for a service's spans of one request (also for spans that are no requests). */
  sampleSpans(tenantId: string, service: string, sampling: SpanSampling, now = Date.now()): SamplingDecision {
    if (this.state.tenantId && (this.state.tenantId !== tenantId || this.state.service !== service)) throw new Error('object identity mismatch');
    const routeOf = (r: string) => cappedRoute(this.routeSet, r);
    return this.traces.decide(sampling, now, routeOf);
  }

  /** The slowest stored spans per route and minute in [from, to) still in memory. */
  exemplars(from: number, to: number, route?: string) {
    return this.traces.exemplars(from, to, route);
  }

  private async ingestSignals(tenantId: string, batch: ServiceBatch, offer: ConfigOffer | undefined, now: number): Promise<ServiceIngestResult> {
    const st = this.state;
    if (st.tenantId && (st.tenantId !== tenantId || st.service !== batch.service)) throw new Error('object identity mismatch');
    if (offer && !offer.config && this.alerts.needsConfig(offer.version)) return { accepted: 0, duplicate: false, needConfig: true };
    await this.alerts.prepare(tenantId, batch.service, now, offer);
    if (batch.source !== 'metrics') {
      const have = new Set(batch.thresholds ?? []);
      const need = thresholdsFor(this.alerts.currentConfig()?.slos, batch.service);
      if (need.some((t) => !have.has(t))) return { accepted: 0, duplicate: false, needThresholds: need };
    }
    let changed = false;
    if (!st.tenantId) {
      st.tenantId = tenantId;
      st.service = batch.service;
      changed = true;
    }
    // Spans of seconds a duration histogram already counted are dropped (./metrics.ts).
    const incoming = batch.source === 'metrics' ? batch.entries : this.metrics.admitSpans(batch.entries, now);
    if (incoming.length === 0 && batch.entries.length > 0) {
      if (changed) this.saveState();
      return { accepted: 0, duplicate: false };
    }
    const entries = incoming.map((e) => {
      const r = capRoute(this.routeSet, this.state.routes, e.route);
      if (r.added) changed = true;
      return r.route === e.route ? e : { ...e, route: r.route };
    });
    if (!this.store.insert(batch.batchId, entries, now)) {
      if (changed) this.saveState(); // routes were added before the duplicate was known
      return { accepted: 0, duplicate: true };
    }
    this.alerts.slos.record(entries, now); // same turn as the batch write: stored together
    // The window's clock moves with the server's (once a second): a sender's future timestamps
    // cannot push real seconds out of it.
    const nowSec = Math.floor(now / SEC);
    if (nowSec > this.prunedAt) {
      this.window.prune(nowSec);
      this.prunedAt = nowSec;
    }
    let accepted = 0;
    for (const e of entries) {
      accepted += e.count;
      this.window.add(e.sec, e.route, e.count, e.errors, e.sketch);
      this.live.mark(e.sec);
      this.anomalies.seen(e.sec * SEC);
      const ms = e.sec * SEC;
      this.pendingFrom = pendingAfter(this.pendingFrom, st.flushedUntil, ms);
      if (markDirty(st, ms)) changed = true;
    }
    if (addHosts(st.hosts, batch.hosts)) changed = true;
    st.lastSeen = now; // memory and the next state write; flushed to Postgres with the rollups
    if (changed) this.saveState();
    this.scoreAnomalies(now); // before the rules: anomaly rules read the new scores
    this.alertDue = this.alerts.onBatch(now, [...new Set(entries.map((e) => e.route))]);
    this.live.maybePush(now);
    await this.schedule(now);
    return { accepted, duplicate: false };
  }

  /** Pushed by the alert and SLO routes when the tenant's rules, channels, silences or SLOs change. */
  setAlertConfig(config: AlertConfig): boolean {
    return this.alerts.setConfig(config);
  }

  /** An SLO's live status (GET /api/v1/slos/{id}/status); null if this service has no such SLO. */
  sloStatus(id: string, now = Date.now()) {
    return this.alerts.slos.status(id, now);
  }

  /** An SLO's good/total per bucket over [from, to) (GET /api/v1/slos/{id}/history). */
  sloHistory(id: string, from: number, to: number, stepMs: number) {
    return sloBuckets(this.ctx.storage.sql, id, from, to, stepMs);
  }

  /** What a draft rule observes now (POST /api/v1/alerts/rules/preview); [] before the first batch. */
  previewRule(rule: Rule, now = Date.now()) {
    return this.alerts.preview(rule, now);
  }

  /** For tests: outbox rows and series states. */
  alertDebug() {
    return this.alerts.debug();
  }

  // ---- OTLP metrics (./metrics.ts) ----------------------------------------------------------

  /**
   * Duration histograms become signal entries, stored like a span batch's in the same turn (no
   * await in between: one atomic write); other metrics become custom series.
   */
  async ingestMetrics(tenantId: string, batch: ServiceMetricsBatch, now = Date.now()): Promise<ServiceMetricsResult> {
    if (this.cost) this.cost.requests++;
    const st = this.state;
    if (st.tenantId && (st.tenantId !== tenantId || st.service !== batch.service)) throw new Error('object identity mismatch');
    const r = this.metrics.record(batch, now);
    if (!r) return { duplicate: true, requests: 0, ignoredRequests: 0, values: 0, rejected: 0, problem: '' };
    let changed = !st.tenantId;
    st.tenantId = tenantId;
    st.service = batch.service;
    if (addHosts(st.hosts, batch.hosts)) changed = true;
    st.lastSeen = now;
    if (changed) this.saveState();
    if (r.entries.length) await this.ingest(tenantId, { batchId: `m:${batch.batchId}`, service: batch.service, hosts: [], entries: r.entries, source: 'metrics' }, undefined, now);
    else await this.schedule(now);
    return { duplicate: false, requests: r.requests, ignoredRequests: r.ignoredRequests, values: r.values, rejected: r.rejected, problem: r.problem };
  }

  customMetrics() {
    return this.metrics.list();
  }

  customHistory(metric: string, from: number, to: number, stepMs: number) {
    return this.metrics.history(metric, from, to, stepMs);
  }

  customHistoryTail(metric: string, from: number, to: number, stepMs: number) {
    return this.metrics.historyTail(metric, from, to, stepMs);
  }

  saturation(now = Date.now()) {
    return { hosts: this.state.hosts, process: this.metrics.saturation(now) };
  }

  metricsDebug() {
    return this.metrics.debug();
  }

  // ---- live (./live.ts) ----------------------------------------------------------------------

  windows(now = Date.now()): SignalWindows {
    return signalWindows(this.window, now);
  }

  override async fetch(request: Request): Promise<Response> {
    if (new URL(request.url).pathname !== '/live' || request.headers.get('upgrade')?.toLowerCase() !== 'websocket')
      return new Response('not found', { status: 404 });
    if (!this.state.service) return new Response('unknown service', { status: 404 });
    return this.subscribers.accept(this.live.hello(this.state.service, Date.now()));
  }

  // ---- alarm: held-back live pushes, rollup flushes, rules, the anomaly timer's backstop --------

  /** The next rollup flush, at this object's own offset. */
  private flushDueAt(): number | null {
    const signals = signalsFlushDueAt(this.state.dirtyFrom, this.pendingFrom);
    const custom = this.metrics.flushDueAt();
    const due = signals === null ? custom : custom === null ? signals : Math.min(signals, custom);
    return due === null ? null : due + this.flushSpread;
  }

  private async schedule(now: number, at?: number) {
    const dues = [at ?? null, this.flushDueAt(), this.live.alarmDue(), this.alertDue, this.anomalies.backstopAt(now, this.state.lastSeen)].filter((d): d is number => d !== null);
    if (dues.length === 0) return;
    const due = Math.max(now, Math.min(...dues));
    if (this.alarmAt !== null && this.alarmAt <= due) return;
    this.alarmAt = due;
    if (this.cost) this.cost.setAlarms++;
    await this.ctx.storage.setAlarm(due);
  }

  override async alarm() {
    if (this.cost) this.cost.alarms++;
    this.alarmAt = null;
    const now = Date.now();
    this.scoreAnomalies(now);
    this.alertDue = await this.alerts.onAlarm(now).catch((err) => {
      console.error(JSON.stringify({ msg: 'service alert alarm failed; retrying', service: this.state.service, error: String(err) }));
      return now + RETRY_MS;
    });
    // Through the pacer: an alarm set for a flush or a rule is no reason to push twice in a second.
    this.live.maybePush(now);
    let retryAt: number | undefined;
    try {
      const due = this.flushDueAt();
      if (due !== null && due <= now) await this.flush(now);
    } catch (err) {
      console.error(JSON.stringify({ msg: 'service rollup flush failed; retrying', service: this.state.service, error: String(err) }));
      retryAt = now + RETRY_MS;
    }
    await this.schedule(now, retryAt);
  }

  /** Writes the rollups of complete minutes not yet flushed (and of dirty ones), from the store. */
  async flush(now = Date.now()): Promise<void> {
    const st = this.state;
    if (!st.tenantId || !st.service) return;
    await this.metrics.flush(this.env, { tenantId: st.tenantId, service: st.service, lastSeen: st.lastSeen, hosts: st.hosts }, now);
    const plan = planServiceFlush(this.store, this.pendingFrom, st.dirtyFrom, now);
    if (!plan) return;
    const { end, rows1m, rows5m } = plan;
    const dirtyBefore = st.dirtyFrom;
    await withDb(this.env, (db) =>
      writeServiceFlush(db, { tenantId: st.tenantId!, service: st.service!, lastSeen: st.lastSeen, hosts: st.hosts, rows1m, rows5m }, now),
    );
    st.flushedUntil = Math.max(st.flushedUntil ?? 0, end);
    if (st.dirtyFrom === dirtyBefore) st.dirtyFrom = null;
    const next = this.store.nextSec(st.flushedUntil / SEC);
    this.pendingFrom = next === null ? null : next * SEC;
    this.store.prune(keepBatchesFrom(st.flushedUntil, now));
    this.window.prune(Math.floor(now / SEC));
    this.alerts.slos.prune(now);
    this.saveState();
  }

  // ---- anomalies (./anomalies.ts) -------------------------------------------------------------

  /** At most once a second; a changed period is pushed (a changed second or not); the timer scores again 5 s later. */
  private scoreAnomalies(now: number) {
    const nowSec = Math.floor(now / SEC);
    this.anomalies.evaluate(now, { windows: () => this.windows(now), minute: (m) => this.window.stats(m / SEC + 59, 60) }, this.state.lastSeen);
    if (this.anomalies.takeChanged()) this.live.mark(nowSec);
    this.anomalies.rearm(now, this.state.lastSeen);
  }

  anomalyPeriods(from: number, to: number) {
    return { periods: this.anomalies.periods(from, to), current: this.anomalies.latest() };
  }

  // ---- queries (./window-queries.ts) -----------------------------------------------------------

  summary(now = Date.now()) {
    return { windows: this.windows(now), spark: spark(this.window, now), hosts: this.state.hosts, lastSeen: this.state.lastSeen, routes: this.state.routes.length };
  }

  /** Per-second tier: buckets of stepMs over [from, to) from the in-memory window. */
  signals(from: number, to: number, stepMs: number, route?: string): SignalPoint[] {
    return signalBuckets(this.window, from, to, stepMs, route);
  }

  /** The not-yet-flushed tail for reads on a rollup tier (merged by the worker with the tier's rows). */
  unflushed(from: number, to: number, stepMs: number, tier: '1m' | '5m', opts: { route?: string; byRoute?: boolean } = {}): TailRow[] {
    return unflushedTail(this.store, this.state.flushedUntil, from, to, stepMs, tier, opts);
  }

  /** The per-route table over [from, to) (within the per-second window). */
  routeTable(from: number, to: number): RouteRow[] {
    return routeTable(this.window, from, to);
  }

  /** bench:cost: what this object counted and its database size (null when off). */
  costCounters() {
    if (!this.cost) return null;
    return { ...this.cost, databaseSize: this.ctx.storage.sql.databaseSize };
  }

  /** For tests. */
  stats() {
    return { batches: this.store.count(), flushedUntil: this.state.flushedUntil, dirtyFrom: this.state.dirtyFrom, alarmAt: this.alarmAt, flushDueAt: this.flushDueAt(), anomalyTicks: this.anomalies.tickStats(), routes: this.state.routes, hosts: this.state.hosts };
  }

  liveStats() {
    return { hibernated: this.ctx.getWebSockets('live').length, total: this.subscribers.count() };
  }
}
