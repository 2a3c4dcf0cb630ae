// Host alerts: HostObject calls onSamples() after the raw write and onAlarm() from its alarm; both
// return when this part next needs an alarm. Evaluation state, outbox and history are the shared
// engine's (./alert-engine.ts); this file only turns samples into values, and a host that went
// silent into `host.up` = 0. Rules come from the tenant config cached in SQLite: routes push a
// new config to every object on change, and the alarm re-checks the Postgres version at most
// every 5 minutes in case a push was missed (docs/alerting.md).
import type { Sample } from '../protocol/ingest.ts';
import type { AlertNotice } from './core/notify.ts';
import { HOST_UP_METRIC, isServiceRule, matchesSeries, type Rule } from './core/rules.ts';
import { AlertEngine, type ConfigOffer } from './alert-engine.ts';
import { HostForecasts } from './host-forecasts.ts';

/** Samples older than this are stored but not evaluated: a replayed spool must not page anyone. */
export const STALE_MS = 15 * 60_000;

export class HostAlerts extends AlertEngine {
  private lastReceived: number | null = null;
  private forecasts: HostForecasts;
  /**
   * How much later than `for` the host-down check may run (HostObject sets it): 0 by default;
   * while an agent's stream is open and a rollup flush alarm is already pending, the check rides
   * on that alarm (the stream's close re-arms the exact deadline), which saves re-arming an alarm
   * (a row written) once a `for` per healthy host.
   */
  downSlack: () => number = () => 0;

  /**
   * `lastReceived`: when the latest sample arrived, from the raw tier (RawStore.lastReceived);
   * `history`: the raw tier's samples in [from, to), which seeds forecast rules' trends.
   */
  constructor(sql: SqlStorage, env: Env, lastReceived: number | null = null, history: (from: number, to: number) => Sample[] = () => []) {
    super(sql, env);
    this.lastReceived = lastReceived;
    this.forecasts = new HostForecasts(history);
  }

  protected owns(rule: Rule): boolean {
    return !isServiceRule(rule);
  }

  /** Evaluates every rule on each new sample; returns the time this part next needs an alarm. */
  async onSamples(tenantId: string, host: { id: string; name: string }, samples: readonly Sample[], now: number, offer?: ConfigOffer): Promise<number | null> {
    this.tenantId = tenantId;
    if (this.subject?.id !== host.id || this.subject.name !== host.name) this.subject = { kind: 'host', id: host.id, name: host.name };
    this.lastReceived = now;
    if (!(await this.accept(offer, now))) return this.nextDue(now);
    const notices: AlertNotice[] = [];
    const ordered = samples.length > 1 ? [...samples].sort((a, b) => a.ts - b.ts) : samples;
    const rules = this.rules();
    this.forecasts.retain(new Set(rules.filter((r) => r.kind === 'forecast').map((r) => r.id)));
    for (const rule of rules) {
      if (rule.kind === 'forecast') {
        for (const o of this.forecasts.observe(rule, host.id, ordered, now, STALE_MS)) this.observe(rule, o.labels, o.value, o.ts, now, notices);
        continue;
      }
      if (rule.metric === HOST_UP_METRIC) {
        // Any sample means the host is up again.
        if (this.states.get(this.key(rule, {}))?.status === 'firing') this.observe({ ...rule, forMs: 0, keepFiringForMs: 0 }, {}, 1, now, now, notices);
        continue;
      }
      for (const s of ordered) {
        if (s.ts < now - STALE_MS) continue;
        const v = s.metrics[rule.metric];
        if (v === undefined) continue;
        if (typeof v === 'number') {
          if (matchesSeries(rule.matchers, host.id, {})) this.observe(rule, {}, v, s.ts, now, notices);
        } else for (const lv of v) if (matchesSeries(rule.matchers, host.id, lv.labels)) this.observe(rule, lv.labels, lv.value, s.ts, now, notices);
      }
    }
    this.send(notices, now);
    return this.nextDue(now);
  }

  /** Host down: no sample for a host-down rule's `for`. */
  protected onTick(now: number, notices: AlertNotice[]) {
    for (const rule of this.rules()) {
      if (rule.metric !== HOST_UP_METRIC || this.lastReceived === null || !this.watchesThisHost(rule)) continue;
      const st = this.states.get(this.key(rule, {}));
      const downAt = this.lastReceived + rule.forMs;
      if (st?.status !== 'firing' && now >= downAt)
        this.observe({ ...rule, forMs: 0, keepFiringForMs: 0 }, {}, 0, Math.max(downAt, (st?.lastTs ?? 0) + 1), now, notices);
    }
  }

  /**
   * The tightest `for` of the host-down rules watching this host, or null when none does (the
   * watchdog shard then has nothing to check for it).
   */
  downForMs(): number | null {
    let m: number | null = null;
    for (const rule of this.rules()) if (rule.metric === HOST_UP_METRIC && this.watchesThisHost(rule) && (m === null || rule.forMs < m)) m = rule.forMs;
    return m;
  }

  /**
   * The watchdog's tick (durable-objects/host-watch.ts): the host-down check alone, no Postgres
   * read. True when it raised an alert (whose notice may need the alarm for retries).
   */
  checkDown(now: number): boolean {
    const notices: AlertNotice[] = [];
    this.onTick(now, notices);
    this.send(notices, now);
    return notices.length > 0;
  }

  /** The exact host-down deadline (last arrival + `for`, no slack), or null when none is pending. */
  downDeadline(): number | null {
    const d = this.deadlines(0);
    return d.length ? Math.min(...d) : null;
  }

  protected deadlines(slack = this.downSlack()): number[] {
    const times: number[] = [];
    if (this.lastReceived !== null)
      for (const rule of this.rules())
        if (rule.metric === HOST_UP_METRIC && this.watchesThisHost(rule) && this.states.get(this.key(rule, {}))?.status !== 'firing')
          times.push(this.lastReceived + rule.forMs + slack);
    return times;
  }

  /** A host-down rule applies only to hosts its matchers select (e.g. `{host: 'db-*'}`). */
  private watchesThisHost(rule: Rule): boolean {
    return this.subject !== null && matchesSeries(rule.matchers, this.subject.id, {});
  }

  /** Called at start-up so an alarm before the first sample knows whose object this is. */
  setIdentity(tenantId: string, host: { id: string; name: string }) {
    this.tenantId ??= tenantId;
    this.subject ??= { kind: 'host', id: host.id, name: host.name };
  }
}
