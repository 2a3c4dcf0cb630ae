// Service alerts: the shared engine (../alert-engine.ts) fed from a service object's signals.
// Rules are evaluated as each span batch is stored (never by polling); the alarm evaluates only
// what a batch cannot reveal: a service whose traffic stopped (request rate falls to zero, an
// SLO's short window empties, a pending `for` ends without another batch).
import type { AlertConfig } from '../../worker/db/alerts.ts';
import type { AlertNotice } from '../core/notify.ts';
import { breaches, DEFAULT_SERVICE_REPEAT_MS, DEFAULT_SIGNAL_WINDOW_MS, isServiceRule, type Rule } from '../core/rules.ts';
import type { SignalWindow, WindowStats } from '../core/signals.ts';
import { AlertEngine, type ConfigOffer } from '../alert-engine.ts';
import type { AnomalySnapshot } from '../../protocol/anomalies.ts';
import { parseLabelsKey, type Labels } from '../../protocol/series.ts';
import { lastBatchReceived } from './batch-store.ts';
import { DEFAULT_ANOMALY_WINDOW_MS, EVALUATORS, type EvalContext, type Observation } from './evaluators.ts';
import { ServiceSlos } from './slos.ts';

const SEC = 1000;

export class ServiceAlerts extends AlertEngine {
  readonly slos: ServiceSlos;
  private service: string | null = null;
  /** Newest batch evaluated, and the last alarm evaluation (deadlines after it only). */
  private lastBatchAt: number | null = null;
  private tickedAt = 0;
  /** Forecast fits of the current second (EvalContext.perSecond). */
  private fits = { sec: -1, values: new Map<string, unknown>() };

  constructor(
    sql: SqlStorage,
    env: Env,
    private readonly window: SignalWindow,
    private readonly anomalies: () => AnomalySnapshot | null = () => null,
  ) {
    super(sql, env);
    this.slos = new ServiceSlos(sql);
    // After a restart the alarm's quiet-service checks still know when traffic last came.
    this.lastBatchAt = lastBatchReceived(sql);
  }

  protected owns(rule: Rule): boolean {
    return isServiceRule(rule);
  }

  protected override defaultRepeatMs(): number {
    return DEFAULT_SERVICE_REPEAT_MS;
  }

  protected override configured(cfg: AlertConfig, now: number) {
    if (this.service !== null) this.slos.setSlos((cfg.slos ?? []).filter((s) => s.service === this.service), now);
  }

  /** Whose object this is (at start-up and on the first batch): loads the SLOs of the cached config. */
  setIdentity(tenantId: string, service: string, now = Date.now()) {
    this.tenantId ??= tenantId;
    if (this.service === null) {
      this.service = service;
      this.subject = { kind: 'service', id: service, name: service };
      if (this.config) this.configured(this.config, now);
    }
  }

  /** Takes the worker's config offer before the batch is stored (a new SLO counts this batch). */
  async prepare(tenantId: string, service: string, now: number, offer?: ConfigOffer) {
    this.setIdentity(tenantId, service, now);
    await this.accept(offer, now);
  }

  /** Evaluates every service rule after a stored batch; `routes` are the routes it touched. */
  onBatch(now: number, routes: readonly string[]): number | null {
    this.lastBatchAt = now;
    const notices: AlertNotice[] = [];
    this.evaluateAll(now, routes, notices);
    this.send(notices, now);
    return this.nextDue(now);
  }

  /** Returns the state keys it observed. */
  private evaluateAll(now: number, routes: readonly string[], out: AlertNotice[]): Set<string> {
    const seen = new Set<string>();
    if (!this.config || this.service === null) return seen;
    const ctx = this.context(now, routes);
    for (const rule of this.rules())
      for (const o of EVALUATORS[rule.kind ?? 'threshold'](rule, ctx)) {
        this.observe(rule, o.labels, o.value, now, now, out);
        seen.add(this.key(rule, o.labels));
      }
    return seen;
  }

  /** What a draft rule observes now, through the same evaluators (POST /api/v1/alerts/rules/preview). */
  preview(rule: Rule, now: number): Observation[] {
    return this.service === null ? [] : EVALUATORS[rule.kind ?? 'threshold'](rule, this.context(now, this.window.routes()));
  }

  private context(now: number, routes: readonly string[]): EvalContext {
    const nowSec = Math.floor(now / SEC);
    const memo = new Map<string, WindowStats>();
    return {
      service: this.service!,
      now,
      stats: (windowSec, route) => {
        const k = `${windowSec}|${route ?? ''}`;
        let s = memo.get(k);
        if (!s) memo.set(k, (s = this.window.stats(nowSec, windowSec, route)));
        return s;
      },
      routes: () => routes,
      slo: (id) => this.slos.slo(id),
      sloCounts: (id, windowMs) => this.slos.sum(id, windowMs, now),
      statsEnding: (endSec, windowSec, route) => this.window.stats(endSec, windowSec, route),
      anomalyZ: (signal, window) => this.anomalies()?.scores.find((x) => x.signal === signal && x.window === window)?.z ?? null,
      perSecond: <T>(key: string, compute: () => T): T => {
        if (this.fits.sec !== nowSec) this.fits = { sec: nowSec, values: new Map() };
        if (!this.fits.values.has(key)) this.fits.values.set(key, compute());
        return this.fits.values.get(key) as T;
      },
    };
  }

  /** Traffic stopped: the same evaluations as a batch's, over every route the window holds. */
  protected onTick(now: number, out: AlertNotice[]) {
    const due = this.deadlines();
    if (!due.length || Math.min(...due) > now) return;
    this.tickedAt = now;
    const seen = this.evaluateAll(now, this.window.routes(), out);
    // Every route of the window was looked at: a latency (or anomaly) series with no value now
    // has no requests in its window, and stops breaching rather than firing until traffic returns.
    for (const rule of this.rules()) {
      if (!vanishes(rule)) continue;
      const prefix = `${rule.id}|${rule.metric}`;
      for (const [key, st] of this.states)
        if (key.startsWith(prefix) && st.status !== 'inactive' && !seen.has(key)) this.vanished(rule, labelsOf(key, prefix), now, now, out);
    }
  }

  /**
   * When a quiet service's values change without a batch: the last traffic leaving a rule's
   * window (request rate, burn rates), a pending `for` running out, and the `keep_firing_for`
   * of an alert whose condition has cleared running out (else it would fire until traffic came).
   */
  protected deadlines(): number[] {
    if (this.lastBatchAt === null) return [];
    const times: number[] = [];
    for (const rule of this.rules()) times.push(this.lastBatchAt + windowOf(rule) + SEC);
    const byId = new Map(this.rules().map((r) => [r.id, r]));
    for (const [key, st] of this.states) {
      const rule = byId.get(key.slice(0, key.indexOf('|')));
      if (!rule) continue;
      if (st.status === 'pending' && st.activeAt !== null) times.push(st.activeAt + rule.forMs);
      // Only once the condition has cleared: one that still holds needs no wake-up to stay firing.
      else if (st.status === 'firing' && rule.keepFiringForMs > 0 && st.lastBreachAt !== null) {
        const end = st.lastBreachAt + rule.keepFiringForMs;
        if (!breaches(rule.comparator, st.value, rule.threshold)) times.push(end);
        // A series that may vanish once traffic stops: held past the quiet check by keep_firing_for.
        else if (vanishes(rule) && end > this.lastBatchAt + windowOf(rule) + SEC) times.push(end);
      }
    }
    return times.filter((t) => t > this.tickedAt);
  }
}

const windowOf = (rule: Rule) =>
  rule.kind === 'burn_rate' ? (rule.shortWindowMs ?? 0) : (rule.windowMs ?? (rule.kind === 'anomaly' ? DEFAULT_ANOMALY_WINDOW_MS : DEFAULT_SIGNAL_WINDOW_MS));

/** Rules whose series have no value without requests (latency percentiles, anomaly scores). */
const vanishes = (rule: Rule) => rule.kind === 'anomaly' || ((rule.kind ?? 'threshold') === 'threshold' && rule.metric.startsWith('service.latency.'));

/** A state key's labels: `<rule id>|<metric>{<labels>}` (AlertEngine.key). */
function labelsOf(key: string, prefix: string): Labels {
  const rest = key.slice(prefix.length);
  return rest.startsWith('{') && rest.endsWith('}') ? parseLabelsKey(rest.slice(1, -1)) : {};
}
