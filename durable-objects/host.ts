// One object per tenant+host (name `<tenant>:<host>`). Holds the live window, writes the raw tier
// to its SQLite storage, pushes each new sample to WebSocket subscribers, and flushes 1m/5m
// rollups to Postgres from an alarm every few minutes.
import type { CollectRequest, Sample } from '../protocol/ingest.ts';
import type { LiveServerMessage } from '../protocol/live.ts';
import type { HistorySeries, HostCurrent } from '../protocol/query.ts';
import type { AlertConfig } from '../worker/db/alerts.ts';
import { HostAlerts, STALE_MS } from './alerts.ts';
import type { ConfigOffer } from './alert-engine.ts';
import type { Rule } from './core/rules.ts';
import { HostForecasts, type ForecastObservation } from './host-forecasts.ts';
import { BaseObject } from './base.ts';
import { LiveWindow } from './core/live.ts';
import { HostRollups, spread, STREAM_DOWN_SLACK_MS, type HostState } from './host-rollups.ts';
import { HostWatchLink } from './host-watch-link.ts';
import { DEFAULT_LIVE_OPTIONS, LiveSubscribers, type LiveOptions } from './live-subscribers.ts';
import { DEFAULT_STREAM_OPTIONS, IngestStreams, type StreamIdentity, type StreamOptions } from './ingest-stream.ts';
import type { StreamAck, StreamClientFrame } from '../protocol/ingest-stream.ts';
import { rawHistory, rawHistoryTail, type TailSeries } from './raw-history.ts';
import { RawStore } from './raw-store.ts';
import { costMetering, type CostCounters } from './cost-meter.ts';
import { rateLimitsOff } from '../worker/ratelimit.ts';

export { FLUSH_GRACE_MS, FLUSH_PERIOD_MS, STREAM_DOWN_SLACK_MS } from './host-rollups.ts';

const MINUTE = 60_000;
const RETRY_MS = 30_000;
const LIVE_SPAN = 10 * MINUTE;
/**
 * Whole samples kept in memory: only the latest, which greets a new live subscriber (nothing
 * reads older ones; history comes from the raw tier). A fleet's objects share one isolate, and
 * measured, 10 minutes of whole samples for 1,000 hosts took the local workerd past 1 GB.
 */
const LIVE_SAMPLES_SPAN = 0;

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

export class HostObject extends BaseObject<Env> {
  /** WebSocket mode and subscriber cap (partyserver-style class option; tests switch it). */
  static liveOptions: LiveOptions = { ...DEFAULT_LIVE_OPTIONS };
  /** The agents' ingest sockets: rate and maximum age (tests shorten them). */
  static streamOptions: StreamOptions = { ...DEFAULT_STREAM_OPTIONS };

  private raw!: RawStore;
  private live = new LiveWindow(LIVE_SAMPLES_SPAN, LIVE_SPAN);
  private state: HostState = { tenantId: null, hostId: null, info: null, flushedUntil: null, dirtyFrom: null, registered: false };
  private alarmAt: number | null = null;
  /** Pending and dirty samples, the flush's due time and the flush (./host-rollups.ts). */
  private rollups!: HostRollups;
  /** Registration with the host-down watchdog while a stream is open (./host-watch-link.ts). */
  private watch!: HostWatchLink;
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
    if (row) this.state = { ...this.state, ...(JSON.parse(row.value) as HostState) };
    this.spreadSeals();
    // Rebuild the live window from the raw tier: a restart forgets nothing acknowledged.
    const max = this.raw.maxTs();
    if (max !== null) for (const s of this.raw.range(max - LIVE_SPAN, max + 1)) this.live.add(s);
    this.rollups = new HostRollups(this.raw, { env: () => this.env, state: () => this.state, saveState: () => this.saveState(), lastSeen: () => this.live.lastSeen });
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
    this.alerts.downSlack = () => (this.streams.count() > 0 && this.rollups.dueAt() !== null ? STREAM_DOWN_SLACK_MS : 0);
    if (this.state.tenantId && this.state.info) this.alerts.setIdentity(this.state.tenantId, this.state.info);
    this.watch = new HostWatchLink({
      env: () => this.env,
      identity: () => this.state,
      alerts: () => this.alerts,
      streams: () => this.streams,
      scheduleAlarm: (due) => this.scheduleAlarm([due]),
    });
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
      if (this.rollups.add(s.ts)) changed = true;
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
    this.watch.afterFrame(); // not yet registered, or the shard count changed
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

  /** A watchdog shard's tick: the host-down check alone; whether that shard should go on watching (./host-watch-link.ts). */
  async watchdogCheck(withinMs = 0, shard?: string): Promise<boolean> {
    if (this.cost) this.cost.requests++;
    return this.watch.check(Date.now(), withinMs, shard);
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
    this.watch.reset(); // the next stream registers again
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

  /**
   * Sets the alarm to the earliest of the next flush (unless `withFlush` is false) and `also`,
   * with one setAlarm at most: each is a storage write (docs/scaling.md).
   */
  private async scheduleAlarm(also: (number | null)[], withFlush = true) {
    let due = withFlush ? this.rollups.dueAt() : null;
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
      const due = this.rollups.dueAt();
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

  /** Writes the rollups of complete minutes not yet flushed (./host-rollups.ts); true when more remains. */
  async flush(now = Date.now()): Promise<boolean> {
    return this.rollups.flush(now);
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
    if (applied && this.streams.count() > 0) this.watch.register();
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
