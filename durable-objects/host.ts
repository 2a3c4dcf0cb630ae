// One object per tenant+host (name `<tenant>:<host>`). Holds the live window, writes the raw tier
// to its SQLite storage, pushes each new sample to WebSocket subscribers, and flushes 1m/5m
// rollups to Postgres from an alarm every few minutes.
import type { CollectRequest, HostInfo, Sample } from '../protocol/ingest.ts';
import type { LiveServerMessage } from '../protocol/live.ts';
import type { HistorySeries, HostCurrent } from '../protocol/query.ts';
import type { AlertConfig } from '../worker/db/alerts.ts';
import { HostAlerts, STALE_MS } from './alerts.ts';
import type { Rule } from './core/rules.ts';
import { HostForecasts, type ForecastObservation } from './host-forecasts.ts';
import { BaseObject } from './base.ts';
import { floorTo } from './core/aggregate.ts';
import { LiveWindow } from './core/live.ts';
import { needsOwnAlarm, watchShardName } from './core/watch-period.ts';
import { HostWatchObject } from './host-watch.ts';
import { DEFAULT_LIVE_OPTIONS, LiveSubscribers, type LiveOptions } from './live-subscribers.ts';
import { DEFAULT_STREAM_OPTIONS, IngestStreams, type StreamIdentity, type StreamOptions } from './ingest-stream.ts';
import type { StreamAck, StreamClientFrame } from '../protocol/ingest-stream.ts';
import { planRawFlush, rawHistory, rawHistoryTail, type TailSeries } from './raw-history.ts';
import { RawStore } from './raw-store.ts';
import { writeFlush } from './rollup-writer.ts';
import { costMetering, type CostCounters } from './cost-meter.ts';
import { withDb } from '../worker/db/client.ts';
import { rateLimitsOff } from '../worker/ratelimit.ts';
import { hostObjectName } from '../worker/types.ts';

const MINUTE = 60_000;
const FIVE = 5 * MINUTE;
/** Wait this long after a minute ends before flushing it, for samples still in flight. */
export const FLUSH_GRACE_MS = 10_000;
/**
 * Rollups go to Postgres every 5 minutes per host (five 1 m buckets and one 5 m bucket per
 * statement), not every minute: measured, a fleet's per-minute flushes were the largest load on
 * the stack (docs/performance.md). History reads merge the object's unflushed tail, so charts
 * never lag (worker/routes/metrics/history.ts).
 */
export const FLUSH_PERIOD_MS = 5 * MINUTE;
/** Plus a per-host offset, so a fleet's objects do not all hit Postgres in the same second. */
const FLUSH_SPREAD_MS = 120_000;

function spread(name: string): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  return (h >>> 0) % FLUSH_SPREAD_MS;
}
/**
 * While an agent's stream is open and a flush alarm is pending, the host-down check waits for
 * that alarm instead of its own (HostAlerts.downSlack): at most one flush period plus its grace
 * and spread after the latest sample, so no extra alarm is armed while samples flow. A closed
 * stream re-arms the exact deadline at once; a stream open but silent (a half-open connection)
 * is caught at the pending flush alarm, then at the exact deadline (docs/alerting.md "Host down").
 */
export const STREAM_DOWN_SLACK_MS = FLUSH_PERIOD_MS + FLUSH_GRACE_MS + FLUSH_SPREAD_MS;
/** At most this much raw time per flush, so catching up after an outage stays bounded. */
const MAX_FLUSH_SPAN = 60 * MINUTE;
const RETRY_MS = 30_000;
const LIVE_SPAN = 10 * MINUTE;
/**
 * Whole samples kept in memory: only the latest, which greets a new live subscriber (nothing
 * reads older ones; history comes from the raw tier). A fleet's objects share one isolate, and
 * measured, 10 minutes of whole samples for 1,000 hosts took the local workerd past 1 GB.
 */
const LIVE_SAMPLES_SPAN = 0;

/** The alert config version the worker knows, and the config itself when the object asked. */
export interface ConfigOffer {
  version: number;
  config?: AlertConfig;
}

export interface IngestResult {
  accepted: number;
  duplicate: boolean;
  /** Nothing was stored: call again with the config in the offer. */
  needConfig?: boolean;
  /** Every sample of this host at or before this time (ms) is durably stored (RawStore.durableThrough). */
  durableThrough: number | null;
}

export interface IngestOptions {
  /**
   * true (the HTTP path, default): the samples are durably stored before the answer. false (the
   * agent's stream): they may wait in memory until their 5-minute window ends; the sender keeps
   * each sample until `durableThrough` passes it and replays the rest after a reconnect.
   */
  durable?: boolean;
  /** The call is an agent stream's frame (for bench:cost's counts only). */
  fromStream?: boolean;
}

interface State {
  tenantId: string | null;
  hostId: string | null;
  info: HostInfo | null;
  /** Rollups are written for every minute before this. */
  flushedUntil: number | null;
  /** Earliest late sample that arrived after its minute was flushed. */
  dirtyFrom: number | null;
  /** The host row in Postgres matches `info`. */
  registered: boolean;
}

export class HostObject extends BaseObject<Env> {
  /** WebSocket mode and subscriber cap (partyserver-style class option; tests switch it). */
  static liveOptions: LiveOptions = { ...DEFAULT_LIVE_OPTIONS };
  /** The agents' ingest sockets: rate and maximum age (tests shorten them). */
  static streamOptions: StreamOptions = { ...DEFAULT_STREAM_OPTIONS };

  private raw!: RawStore;
  private live = new LiveWindow(LIVE_SAMPLES_SPAN, LIVE_SPAN);
  private state: State = { tenantId: null, hostId: null, info: null, flushedUntil: null, dirtyFrom: null, registered: false };
  private alarmAt: number | null = null;
  /** The host-down watchdog shard registered with since a stream last opened (memory only). */
  private watchedBy: string | null = null;
  /** Earliest sample not yet flushed (memory only; rebuilt from the raw tier at start). */
  private pendingFrom: number | null = null;
  private alerts!: HostAlerts;
  private streams!: IngestStreams;
  private sql!: SqlStorage;
  /** bench:cost only (COST_COUNTERS=on outside production); null otherwise. */
  protected cost: CostCounters | null = null;

  protected async onStart() {
    const metering = costMetering(this.env, this.ctx.storage.sql, this.ctx.id);
    this.cost = metering.counters;
    const sql = (this.sql = metering.sql);
    sql.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    this.raw = new RawStore(sql);
    const row = sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'state'").toArray()[0];
    if (row) this.state = { ...this.state, ...(JSON.parse(row.value) as State) };
    this.spreadSeals();
    // Rebuild the live window from the raw tier: a restart forgets nothing acknowledged.
    const max = this.raw.maxTs();
    if (max !== null) for (const s of this.raw.range(max - LIVE_SPAN, max + 1)) this.live.add(s);
    this.pendingFrom = this.raw.nextTs(this.state.flushedUntil ?? 0);
    this.alarmAt = await this.ctx.storage.getAlarm();
    this.subscribers = new LiveSubscribers(this.ctx, () => (this.constructor as typeof HostObject).liveOptions);
    const unlimited = rateLimitsOff(this.env);
    this.streams = new IngestStreams(this.ctx, () => ({ ...(this.constructor as typeof HostObject).streamOptions, unlimited }), (id, frame, now) => this.onFrame(id, frame, now));
    // After hibernation the samples of the open window are gone from memory: the latest frame's
    // arrival, kept on its socket, says when the host was last heard from.
    const stored = this.raw.lastReceived();
    const framed = this.streams.lastFrame();
    const lastReceived = stored === null ? framed : framed === null ? stored : Math.max(stored, framed);
    this.alerts = new HostAlerts(sql, this.env, lastReceived, (from, to) => this.raw.range(from, to));
    this.alerts.downSlack = () => (this.streams.count() > 0 && this.flushDueAt() !== null ? STREAM_DOWN_SLACK_MS : 0);
    if (this.state.tenantId && this.state.info) this.alerts.setIdentity(this.state.tenantId, this.state.info);
    // A new instance with streams still open (woken from hibernation, or restarted): say `ready`
    // again, so each agent re-sends what it holds unconfirmed (anything only in memory is gone).
    this.streams.greetAll(this.durableThrough());
  }

  private saveState() {
    this.sql.exec("INSERT INTO meta (key, value) VALUES ('state', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", JSON.stringify(this.state));
  }

  /**
   * Stores and evaluates a batch. `offer` is the tenant's alert config version the worker knows
   * (worker/alert-config-cache.ts): if this object holds none or an older one it answers
   * `needConfig` without storing anything, and the worker calls again with the config itself.
   */
  async ingest(tenantId: string, batch: CollectRequest, offer?: ConfigOffer, now = Date.now(), opts: IngestOptions = {}): Promise<IngestResult> {
    // A stream frame is an incoming WebSocket message (billed 20 to a request), not an RPC.
    if (this.cost) opts.fromStream ? this.cost.wsMessages++ : this.cost.requests++;
    if (this.state.tenantId && (this.state.tenantId !== tenantId || this.state.hostId !== batch.host.id))
      throw new Error('object identity mismatch'); // cannot happen with name-based addressing; refuse loudly
    if (offer && !offer.config && this.alerts.needsConfig(offer.version)) return { accepted: 0, duplicate: false, needConfig: true, durableThrough: this.raw.durableThrough() };
    // Each timestamp+series is stored once: a replayed batch (or sample) adds nothing.
    const fresh = this.raw.add(batch.samples, now, opts.durable ?? true);
    this.raw.seal(now);
    if (fresh.length === 0) return { accepted: 0, duplicate: true, durableThrough: this.raw.durableThrough() };
    const st = this.state;
    let changed = false;
    if (!st.tenantId) {
      st.tenantId = tenantId;
      st.hostId = batch.host.id;
      changed = true;
      this.spreadSeals();
    }
    if (JSON.stringify(st.info) !== JSON.stringify(batch.host)) {
      st.info = batch.host;
      st.registered = false;
      changed = true;
    }
    const seenBefore = this.live.lastSeen;
    for (const s of fresh) {
      this.live.add(s);
      if ((st.flushedUntil === null || s.ts >= st.flushedUntil) && (this.pendingFrom === null || s.ts < this.pendingFrom)) this.pendingFrom = s.ts;
      if (st.flushedUntil !== null && s.ts < st.flushedUntil && (st.dirtyFrom === null || s.ts < st.dirtyFrom)) {
        st.dirtyFrom = s.ts;
        changed = true;
      }
    }
    if (changed) this.saveState();
    this.publish(batch.host.id, fresh, seenBefore);
    // The worker lists new hosts (worker/registry.ts); each flush refreshes the row too.
    const alertDue = await this.alerts.onSamples(tenantId, batch.host, fresh, now, offer);
    await this.scheduleAlarm([alertDue]);
    return { accepted: fresh.length, duplicate: false, durableThrough: this.raw.durableThrough() };
  }

  /** Every sample at or before this time (ms) is durably stored; null when none is stored. */
  durableThrough(): number | null {
    return this.raw.durableThrough();
  }

  /** One frame of an agent's stream: the same ingest as a POST, answered with what is durable. */
  private async onFrame(id: StreamIdentity, frame: StreamClientFrame, now: number): Promise<Omit<StreamAck, 'type' | 'seq'>> {
    // The stream may leave samples in memory until their window ends: the agent keeps them until durableThrough passes.
    const r = await this.ingest(id.tenantId, frame.batch, undefined, now, { durable: false, fromStream: true });
    if (this.watchedBy !== this.watchShard()) this.watchStream(); // not yet registered, or the shard count changed
    let received = -Infinity;
    for (const s of frame.batch.samples) if (s.ts > received) received = s.ts;
    return { accepted: r.accepted, duplicate: r.duplicate, received, durableThrough: r.durableThrough };
  }

  /**
   * Pushes the batch's samples newer than everything pushed before, oldest first, so a
   * subscriber can append; older ones (a spool replay behind newer data) are left to history.
   */
  private publish(hostId: string, samples: readonly Sample[], after: number | null) {
    const fresh = samples.filter((s) => after === null || s.ts > after).sort((a, b) => a.ts - b.ts);
    this.subscribers.broadcast(fresh.map((s): LiveServerMessage => ({ type: 'sample', hostId, ts: s.ts, metrics: s.metrics })));
  }

  /** The live WebSocket (the worker route has checked the key, the origin and the host). */
  override async fetch(request: Request): Promise<Response> {
    if (this.cost) this.cost.requests++;
    const path = new URL(request.url).pathname;
    if ((path !== '/live' && path !== '/ingest') || request.headers.get('upgrade')?.toLowerCase() !== 'websocket')
      return new Response('not found', { status: 404 });
    if (path === '/ingest') {
      // The agent's stream (worker/routes/metrics/stream.ts checked the key and named this object).
      const id = JSON.parse(request.headers.get('x-stream-identity') ?? 'null') as StreamIdentity | null;
      if (!id?.tenantId || !id.hostId || !id.keyId) return new Response('no stream identity', { status: 400 });
      if (this.state.tenantId && (this.state.tenantId !== id.tenantId || this.state.hostId !== id.hostId)) return new Response('object identity mismatch', { status: 409 });
      return this.streams.accept(id, { hostId: id.hostId, durableThrough: this.durableThrough() });
    }
    // Never reported: nothing to watch (and no socket held by an empty object).
    if (!this.state.hostId) return new Response('unknown host', { status: 404 });
    return this.subscribers.accept({ type: 'hello', hostId: this.state.hostId, latest: this.live.recent().at(-1) ?? null } satisfies LiveServerMessage);
  }


  /** This host's watchdog shard (core/watch-period.ts): changes only when the shard count does. */
  private watchShard(): string | null {
    const { tenantId, hostId } = this.state;
    return tenantId && hostId ? watchShardName(hostObjectName(tenantId, hostId), HostWatchObject.options.shards) : null;
  }

  /**
   * Registers this host with its watchdog shard (durable-objects/host-watch.ts), which runs the
   * host-down check once this host's period while a stream is open: a stream open but silent (a
   * host that lost power sends no FIN) is caught at `for`. Once per stream spell of this
   * instance and shard; nothing to do without a host-down rule watching this host.
   */
  private watchStream() {
    const forMs = this.alerts.downForMs();
    const { tenantId, hostId } = this.state;
    const shard = this.watchShard();
    if (forMs === null || !tenantId || !hostId || !shard || this.streams.count() === 0) return;
    this.watchedBy = shard;
    this.env.HOST_WATCH.getByName(shard)
      .watch(hostObjectName(tenantId, hostId), forMs, shard)
      .catch((err: unknown) => {
        if (this.watchedBy === shard) this.watchedBy = null; // the next frame tries again
        console.error(JSON.stringify({ msg: 'host-down watch registration failed', host: hostId, error: String(err) }));
      });
  }

  /**
   * A watchdog shard's tick: the host-down check alone. Answers whether that shard should go on
   * watching (a stream is open, a host-down rule watches this host, and `shard` is this host's
   * shard; a shard of an older shard count, or a pre-shard watchdog passing none, gets `false`
   * and this host registers with its own). When no stream is open the exact deadline is armed
   * here already. `withinMs`: the next check comes within this long; a deadline before then gets
   * this host's own alarm, so a silent stream fires at exactly `for` (one setAlarm per silence).
   */
  async watchdogCheck(withinMs = 0, shard?: string): Promise<boolean> {
    if (this.cost) this.cost.requests++;
    const now = Date.now();
    // No stream: its close armed the exact deadline already (streamsChanged).
    if (this.streams.count() === 0 || this.alerts.downForMs() === null) {
      this.watchedBy = null;
      return false;
    }
    const own = this.watchShard();
    if (shard !== own) {
      if (this.watchedBy !== own) this.watchStream();
      return false;
    }
    this.watchedBy = own;
    if (this.alerts.checkDown(now)) await this.scheduleAlarm([this.alerts.nextDue(now)]); // the notice's retries
    else {
      const deadline = this.alerts.downDeadline();
      if (needsOwnAlarm(deadline, now, withinMs)) await this.scheduleAlarm([deadline]);
    }
    return true;
  }

  /** Closes the streams opened with a revoked key (the key route pushes this); returns how many. */
  async revokeKey(keyId: string): Promise<number> {
    const closed = this.streams.revoke(keyId);
    if (closed) await this.streamsChanged();
    return closed;
  }

  override webSocketMessage(ws: WebSocket, message: string | ArrayBuffer) {
    if (this.streams.owns(ws)) return this.streams.onMessage(ws, message);
    return super.webSocketMessage(ws, message);
  }

  override async webSocketClose(ws: WebSocket, code: number) {
    if (this.streams.owns(ws)) {
      this.streams.onClose(ws, code);
      await this.streamsChanged(ws);
      return;
    }
    return super.webSocketClose(ws, code);
  }

  /**
   * The last stream closed: the host-down check goes back to its exact deadline (the last
   * sample's arrival plus `for`), which may be earlier than the alarm armed while it was open.
   */
  private async streamsChanged(closing?: WebSocket) {
    if (this.streams.count(closing) > 0) return;
    this.watchedBy = null; // the next stream registers again
    await this.scheduleAlarm([this.alerts.nextDue(Date.now())]);
  }

  override webSocketError(ws: WebSocket) {
    if (this.streams.owns(ws)) return; // its close event follows
    return super.webSocketError(ws);
  }

  /** For tests: the timestamp of every stored sample in [from, to), a repeat for each copy. */
  storedTimestamps(from: number, to: number): number[] {
    return this.raw.range(from, to).map((s) => s.ts);
  }

  /** For tests: ingest sockets open. */
  streamCount(): number {
    return this.streams.count();
  }

  /** For tests: subscribers by mode. */
  liveStats() {
    return { hibernated: this.ctx.getWebSockets('live').length, total: this.subscribers.count() };
  }

  /**
   * Seals each ended raw window at this host's flush offset instead of all at once: measured at
   * 1,000 hosts, every object encoding and writing its window in the 5 s after the grace held up
   * every frame for 15-20 s (docs/performance.md). The flush alarm comes at the same offset, so a
   * silent host's last window is still written there; durableThrough says exactly when.
   */
  private spreadSeals() {
    const { tenantId, hostId } = this.state;
    if (tenantId && hostId) this.raw.sealDelayMs = spread(`${tenantId}:${hostId}`);
  }

  /** When the next rollup flush is due, or null when nothing waits to be flushed. */
  private flushDueAt(): number | null {
    const st = this.state;
    let base: number | null = st.dirtyFrom;
    if (this.pendingFrom !== null) base = base === null ? this.pendingFrom : Math.min(base, this.pendingFrom);
    if (base === null) return null;
    return floorTo(base, FLUSH_PERIOD_MS) + FLUSH_PERIOD_MS + FLUSH_GRACE_MS + spread(`${st.tenantId}:${st.hostId}`);
  }

  /**
   * Sets the alarm to the earliest of the next flush (unless `withFlush` is false) and `also`,
   * with one setAlarm at most: each is a storage write (docs/scaling.md).
   */
  private async scheduleAlarm(also: (number | null)[], withFlush = true) {
    let due = withFlush ? this.flushDueAt() : null;
    for (const t of also) if (t !== null && (due === null || t < due)) due = t;
    if (due === null) return;
    if (this.alarmAt !== null && this.alarmAt <= due) return;
    this.alarmAt = due;
    if (this.cost) this.cost.setAlarms++;
    await this.ctx.storage.setAlarm(due);
  }

  override async alarm() {
    if (this.cost) this.cost.alarms++;
    this.alarmAt = null;
    const now = Date.now();
    const alertDue = await this.alerts.onAlarm(now).catch((err) => {
      console.error(JSON.stringify({ msg: 'alert alarm failed; retrying', error: String(err) }));
      return now + RETRY_MS;
    });
    const also: (number | null)[] = [alertDue];
    let flushed = true;
    try {
      // Windows past their end are written (a silent host's last samples become durable here).
      this.raw.seal(now);
      const due = this.flushDueAt();
      if (due !== null && due <= now) {
        const more = await this.flush(now);
        this.raw.prune(now);
        if (more) also.push(now + 1000);
      }
    } catch (err) {
      console.error(JSON.stringify({ msg: 'rollup flush failed; retrying', host: this.state.hostId, error: String(err) }));
      also.push(now + RETRY_MS);
      flushed = false; // its due time has passed: retry at RETRY_MS, not at once
    }
    // Again after the flush: with nothing left to flush the host-down check is back on its exact deadline.
    also.push(this.alerts.nextDue(Date.now()));
    await this.scheduleAlarm(also, flushed);
  }

  /**
   * Writes rollups for complete minutes not yet flushed (and any made dirty by late samples),
   * recomputed from the raw tier. Returns true when more remains than one flush may carry.
   */
  async flush(now = Date.now()): Promise<boolean> {
    const st = this.state;
    if (!st.tenantId || !st.hostId) return false;
    const end = floorTo(now - FLUSH_GRACE_MS, MINUTE);
    const plan = planRawFlush(this.raw, st, end, MAX_FLUSH_SPAN);
    if (!plan) return false;
    const { stop, rows1m, rows5m } = plan;
    const dirtyBefore = st.dirtyFrom;
    const { tenantId, hostId, info } = st;
    await withDb(this.env, (db) =>
      writeFlush(db, { tenantId, hostId, info, lastSeen: this.live.lastSeen, rows1m, rows5m }, now),
    );
    st.flushedUntil = Math.max(st.flushedUntil ?? 0, stop);
    this.pendingFrom = this.raw.nextTs(st.flushedUntil);
    if (st.dirtyFrom === dirtyBefore) st.dirtyFrom = null;
    if (info === st.info) st.registered = true;
    this.saveState();
    return stop < end;
  }

  /** What a draft forecast rule observes now, fitted over the raw tier (POST /api/v1/alerts/rules/preview). */
  previewForecast(rule: Rule, now = Date.now()): ForecastObservation[] {
    if (!this.state.hostId) return [];
    return new HostForecasts((from, to) => this.raw.range(from, to)).observe(rule, this.state.hostId, [], now, STALE_MS);
  }

  current(): HostCurrent {
    return { host: this.state.hostId ?? '', name: this.state.info?.name ?? null, lastSeen: this.live.lastSeen, values: this.live.current() };
  }

  /** Raw-tier history of one metric, bucketed by stepMs. */
  history(metric: string, from: number, to: number, stepMs: number): HistorySeries[] {
    return rawHistory(this.raw, metric, from, to, stepMs);
  }

  /** The raw buckets not yet flushed to Postgres, for history reads on the rollup tiers. */
  historyTail(metric: string, from: number, to: number, stepMs: number): TailSeries[] {
    return rawHistoryTail(this.raw, this.state.flushedUntil, metric, from, to, stepMs);
  }

  /** For tests and the health check. */
  stats() {
    return { sealDelayMs: this.raw.sealDelayMs, rawSamples: this.raw.count(), durableThrough: this.raw.durableThrough(), raw: this.raw.layout(), flushedUntil: this.state.flushedUntil, dirtyFrom: this.state.dirtyFrom, alarmAt: this.alarmAt, lastSeen: this.live.lastSeen };
  }

  /**
   * The stream's upgrade offers the tenant's config the worker holds (as the POST offers it per
   * batch), so a new object need not read Postgres for it; taken only when newer than its own.
   */
  offerAlertConfig(config: AlertConfig): boolean {
    return this.alerts.needsConfig(config.version) ? this.configChanged(this.alerts.setConfig(config)) : false;
  }

  /** Pushed by the alert routes when the tenant's rules, channels or silences change. */
  setAlertConfig(config: AlertConfig): boolean {
    return this.configChanged(this.alerts.setConfig(config));
  }

  /** A host-down rule added or its `for` changed: tell the watchdog while a stream is open. */
  private configChanged(applied: boolean): boolean {
    if (applied && this.streams.count() > 0) this.watchStream();
    return applied;
  }

  /** For tests: outbox rows and series states. */
  alertDebug() {
    return this.alerts.debug();
  }

  /** bench:cost: what this object counted, its database size and raw points (null when off). */
  costCounters() {
    if (!this.cost) return null;
    return { ...this.cost, databaseSize: this.ctx.storage.sql.databaseSize, rawSamples: this.raw.count(), raw: this.raw.layout() };
  }

  ping(): string {
    return 'pong';
  }
}
