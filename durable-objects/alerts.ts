// Alert evaluation and delivery inside the host object. HostObject calls onSamples() after the
// raw write and onAlarm() from its alarm; both return when this part next needs an alarm.
// Rules come from the tenant config cached in SQLite: routes push a new config to every host
// object on change, and the alarm re-checks the Postgres version at most every 5 minutes in case a
// push was missed (docs/alerting.md).
import type { Sample } from '../protocol/ingest.ts';
import { seriesKey, type Labels } from '../protocol/series.ts';
import { newId } from '../worker/auth/crypto.ts';
import { withDb } from '../worker/db/client.ts';
import { configVersion, loadAlertConfig, upsertHistory, type AlertConfig, type HistoryRow } from '../worker/db/alerts.ts';
import { deliver, SEND_TIMEOUT_MS, type Channel, type Notification } from '../worker/notify/channels.ts';
import { AlertStore } from './alert-store.ts';
import { groupByChannel, nextAttemptAt, parseSchedule, TokenBucket, type AlertNotice } from './core/notify.ts';
import {
  alertLabels,
  decideNotice,
  DEFAULT_REPEAT_MS,
  HOST_UP_METRIC,
  isSilenced,
  markNotified,
  matchesSeries,
  step,
  type Rule,
  type SeriesState,
} from './core/rules.ts';

/** Samples older than this are stored but not evaluated: a replayed spool must not page anyone. */
export const STALE_MS = 15 * 60_000;
// Pushes carry config changes; this check only repairs a missed push, so it can be rare.
const RECHECK_MS = 5 * 60_000;
const LOAD_RETRY_MS = 30_000;
const SYNC_RETRY_MS = 30_000;
const KEEP_MS = 24 * 3600_000;
const PRUNE_EVERY_MS = 3600_000;
/** Per channel per host: a burst of 5, then one per 12 s. */
const BURST = 5;
const REFILL_MS = 12_000;

export class HostAlerts {
  private store: AlertStore;
  private config: AlertConfig | null;
  private states: Map<string, SeriesState>;
  private lastReceived: number | null = null;
  private checkedAt = 0;
  private prunedAt = 0;
  private loadFailedAt = 0;
  private syncRetryAt: number | null = null;
  private buckets = new Map<string, TokenBucket>();
  private sending = new Map<string, Promise<void>>();
  private syncing: Promise<void> | null = null;
  private syncAgain = false;
  private tenantId: string | null = null;
  private host: { id: string; name: string } | null = null;

  /** `lastReceived`: when the latest sample arrived, from the raw tier (RawStore.lastReceived). */
  constructor(
    sql: SqlStorage,
    private readonly env: Env,
    lastReceived: number | null = null,
  ) {
    this.store = new AlertStore(sql);
    this.config = this.store.loadConfig();
    this.states = this.store.loadStates();
    this.lastReceived = lastReceived;
  }

  /** Evaluates every rule on each new sample; returns the time this part next needs an alarm. */
  async onSamples(tenantId: string, host: { id: string; name: string }, samples: readonly Sample[], now: number, offer?: { version: number; config?: AlertConfig }): Promise<number | null> {
    this.tenantId = tenantId;
    if (this.host?.id !== host.id || this.host.name !== host.name) this.host = { id: host.id, name: host.name };
    this.lastReceived = now;
    if (offer) {
      if (offer.config && (!this.config || offer.config.version > this.config.version)) this.apply(offer.config, now);
      // The worker read the version from Postgres within CONFIG_TTL_MS (plus one refresh): no need to check again.
      if (this.config && this.config.version >= offer.version) this.checkedAt = now;
    }
    if (!this.config && now - this.loadFailedAt >= LOAD_RETRY_MS) await this.reload(now);
    const cfg = this.config;
    if (!cfg) return this.nextDue(now);
    const notices: AlertNotice[] = [];
    const ordered = samples.length > 1 ? [...samples].sort((a, b) => a.ts - b.ts) : samples;
    for (const rule of cfg.rules) {
      if (!rule.enabled) continue;
      if (rule.metric === HOST_UP_METRIC) {
        // Any sample means the host is up again.
        if (this.states.get(this.key(rule, {}))?.status === 'firing') this.evaluate({ ...rule, forMs: 0, keepFiringForMs: 0 }, {}, 1, now, now, notices);
        continue;
      }
      for (const s of ordered) {
        if (s.ts < now - STALE_MS) continue;
        const v = s.metrics[rule.metric];
        if (v === undefined) continue;
        if (typeof v === 'number') {
          if (matchesSeries(rule.matchers, host.id, {})) this.evaluate(rule, {}, v, s.ts, now, notices);
        } else for (const lv of v) if (matchesSeries(rule.matchers, host.id, lv.labels)) this.evaluate(rule, lv.labels, lv.value, s.ts, now, notices);
      }
    }
    this.send(notices, now);
    return this.nextDue(now);
  }

  /** Host-down checks, outbox retries, history sync and the config re-check. */
  async onAlarm(now: number): Promise<number | null> {
    if (this.tenantId && now - this.checkedAt >= RECHECK_MS) {
      this.checkedAt = now;
      try {
        const v = await withDb(this.env, (db) => configVersion(db, this.tenantId!));
        if (!this.config || v !== this.config.version) await this.reload(now);
      } catch (err) {
        console.error(JSON.stringify({ msg: 'alert config check failed', error: String(err) }));
      }
    }
    const notices: AlertNotice[] = [];
    for (const rule of this.config?.rules ?? []) {
      if (!rule.enabled || rule.metric !== HOST_UP_METRIC || this.lastReceived === null || !this.watchesThisHost(rule)) continue;
      const st = this.states.get(this.key(rule, {}));
      const downAt = this.lastReceived + rule.forMs;
      if (st?.status !== 'firing' && now >= downAt)
        this.evaluate({ ...rule, forMs: 0, keepFiringForMs: 0 }, {}, 0, Math.max(downAt, (st?.lastTs ?? 0) + 1), now, notices);
    }
    this.send(notices, now);
    await this.kick(now);
    // Host-down checks wake the object every minute; a day's retention needs pruning hourly.
    if (now - this.prunedAt >= PRUNE_EVERY_MS) {
      this.prunedAt = now;
      this.store.prune(now - KEEP_MS);
    }
    return this.nextDue(Date.now());
  }

  /** True when the worker knows a newer config than this object holds, or it holds none. */
  needsConfig(version: number): boolean {
    return !this.config || this.config.version < version;
  }

  /** A new config pushed by a route; older versions (a late push) are ignored. */
  setConfig(cfg: AlertConfig, now = Date.now()): boolean {
    if (this.config && cfg.version < this.config.version) return false;
    this.apply(cfg, now);
    return true;
  }

  private async reload(now: number) {
    if (!this.tenantId) return;
    try {
      const cfg = await withDb(this.env, (db) => loadAlertConfig(db, this.tenantId!, now));
      if (!this.config || cfg.version >= this.config.version) this.apply(cfg, now);
      this.checkedAt = now;
    } catch (err) {
      this.loadFailedAt = now;
      console.error(JSON.stringify({ msg: 'alert config load failed; alerts not evaluated', error: String(err) }));
    }
  }

  private apply(cfg: AlertConfig, now: number) {
    this.config = cfg;
    this.store.saveConfig(cfg);
    // Series of deleted or disabled rules: close an open episode quietly and forget the state.
    const live = new Set(cfg.rules.filter((r) => r.enabled).map((r) => r.id));
    for (const [key, st] of this.states) {
      if (live.has(key.slice(0, key.indexOf('|')))) continue;
      if (st.status === 'firing' && st.episodeId) this.updateEpisode(st.episodeId, { status: 'RESOLVED', resolvedAt: now });
      this.states.delete(key);
      this.store.deleteState(key);
    }
    void this.kick(now);
  }

  private key(rule: Rule, labels: Labels) {
    return `${rule.id}|${seriesKey(rule.metric, labels)}`;
  }

  private channelsFor(rule: Rule): Channel[] {
    const all = (this.config?.channels ?? []).filter((c) => c.enabled);
    return rule.channelIds.length ? all.filter((c) => rule.channelIds.includes(c.id)) : all;
  }

  private evaluate(rule: Rule, labels: Labels, value: number, ts: number, now: number, out: AlertNotice[]) {
    const key = this.key(rule, labels);
    const r = step(rule, this.states.get(key), value, ts, () => newId('alert'));
    let st = r.state;
    if (!r.changed && st.status !== 'firing') {
      this.states.set(key, st);
      return;
    }
    const channels = this.channelsFor(rule);
    const silenced = isSilenced(this.config?.silences ?? [], alertLabels(rule, this.host!.id, labels), now);
    const notice = channels.length ? decideNotice(st, r.event, ts, silenced, rule.repeatIntervalMs ?? DEFAULT_REPEAT_MS) : null;
    if (r.event === 'firing') {
      const notified = notice ? 'pending' : !channels.length ? 'none' : silenced ? 'silenced' : 'suppressed';
      this.store.putEpisode({
        id: st.episodeId!,
        ruleId: rule.id,
        ruleName: rule.name,
        severity: rule.severity,
        hostId: this.host!.id,
        metric: rule.metric,
        labels,
        status: 'FIRING',
        value,
        threshold: rule.threshold,
        startedAt: ts,
        resolvedAt: null,
        notified,
        lastError: null,
      });
    } else if (r.event === 'resolved' && st.episodeId) {
      this.updateEpisode(st.episodeId, { status: 'RESOLVED', resolvedAt: ts, value });
    } else if (notice === 'firing' && st.episodeId) {
      this.updateEpisode(st.episodeId, { notified: 'pending' }); // a muted episode, announced now
    }
    if (notice === 'firing' || notice === 'repeat') st = markNotified(st, ts);
    this.states.set(key, st);
    if (r.changed || notice) this.store.saveState(key, st);
    if (notice)
      out.push({
        episodeId: st.episodeId!,
        kind: notice,
        ruleId: rule.id,
        ruleName: rule.name,
        severity: rule.severity,
        metric: rule.metric,
        labels,
        comparator: rule.comparator,
        threshold: rule.threshold,
        value,
        startedAt: st.firedAt ?? ts,
        resolvedAt: notice === 'resolved' ? ts : null,
        channelIds: channels.map((c) => c.id),
      });
  }

  private updateEpisode(id: string, patch: Partial<HistoryRow>) {
    const e = this.store.episode(id);
    if (e) this.store.putEpisode({ ...e, ...patch });
  }

  /** Alerts raised together go out as one notification per channel, then delivery starts at once. */
  private send(notices: AlertNotice[], now: number) {
    if (notices.length && this.tenantId && this.host)
      for (const [channelId, list] of groupByChannel(notices))
        this.store.enqueue(channelId, { tenantId: this.tenantId, host: this.host, notices: list } satisfies Notification, now);
    if (notices.length || this.store.hasUnsynced()) void this.kick(now);
  }

  /**
   * Sends due notifications and syncs history. Each channel has its own sender, so a channel that
   * hangs holds back only its own queue (kept in order), never another channel or the history.
   */
  kick(now = Date.now()): Promise<void> {
    const runs: Promise<void>[] = [this.syncSoon()];
    // Asked at every alarm (host-down checks wake each object every minute): the memoised next
    // due time spares the outbox query when nothing is due.
    const next = this.store.nextDue();
    const due = next !== null && next <= now ? this.store.due(now) : [];
    for (const channelId of new Set(due.map((r) => r.channelId))) {
      let run = this.sending.get(channelId);
      if (!run) this.sending.set(channelId, (run = this.sendChannel(channelId)));
      runs.push(run);
    }
    return Promise.all(runs).then(() => undefined);
  }

  private async sendChannel(channelId: string) {
    await null; // let kick() register this run before any of it executes
    try {
      await this.sendDue(channelId);
    } catch (err) {
      console.error(JSON.stringify({ msg: 'alert delivery run failed', channel: channelId, error: String(err) }));
    } finally {
      // Same tick as the last due-check: a row enqueued after it starts a new run.
      this.sending.delete(channelId);
    }
  }

  private async sendDue(channelId: string) {
    const schedule = parseSchedule(this.env.ALERT_RETRY_MS);
    let bucket = this.buckets.get(channelId);
    if (!bucket) this.buckets.set(channelId, (bucket = new TokenBucket(BURST, REFILL_MS, Date.now())));
    // Rows that become due while sending (a resolve after a firing) go out in the same run.
    for (let rows = this.dueFor(channelId); rows.length; rows = this.dueFor(channelId)) {
      for (const row of rows) {
        const ch = this.config?.channels.find((c) => c.id === channelId && c.enabled);
        if (!ch) {
          this.store.finish(row.id, 'failed', row.attempts, Date.now(), 'channel was deleted or disabled');
          this.outcome(row.episodeIds, 'failed', 'channel was deleted or disabled');
          continue;
        }
        const at = bucket.take(Date.now());
        if (at > Date.now()) {
          this.store.setNext(row.id, at); // rate limited: later, via the alarm
          continue;
        }
        this.store.setNext(row.id, Date.now() + SEND_TIMEOUT_MS + 5_000); // lease: the alarm retries if we die mid-send
        try {
          await deliver(ch, row.payload, this.env);
          this.store.finish(row.id, 'sent', row.attempts + 1, Date.now(), null);
          this.outcome(row.episodeIds, 'sent', null);
        } catch (err) {
          const msg = (err as Error).message;
          const next = nextAttemptAt(row.attempts + 1, Date.now(), schedule);
          this.store.finish(row.id, next === null ? 'failed' : 'pending', row.attempts + 1, next ?? Date.now(), msg);
          this.outcome(row.episodeIds, next === null ? 'failed' : null, msg);
        }
        void this.syncSoon();
      }
    }
  }

  private dueFor(channelId: string) {
    return this.store.due(Date.now()).filter((r) => r.channelId === channelId);
  }

  /** One history sync at a time; a request during one runs another right after it. */
  private syncSoon(): Promise<void> {
    if (this.syncRetryAt !== null && Date.now() < this.syncRetryAt) return Promise.resolve(); // Postgres down: the alarm retries
    this.syncAgain = true;
    this.syncing ??= this.syncLoop();
    return this.syncing;
  }

  private async syncLoop() {
    try {
      do {
        this.syncAgain = false;
        await this.sync(Date.now());
      } while (this.syncAgain && this.syncRetryAt === null);
    } finally {
      this.syncing = null; // same tick as the loop's last check, so no request is lost
    }
  }

  private outcome(ids: string[], notified: 'sent' | 'failed' | null, lastError: string | null) {
    for (const id of ids) {
      const e = this.store.episode(id);
      if (!e) continue;
      // A failure on any channel stays visible even if another channel succeeded.
      if (notified === 'sent' && e.notified === 'failed') continue;
      this.store.putEpisode({ ...e, notified: notified ?? e.notified, lastError: notified === 'sent' ? e.lastError : lastError });
    }
  }

  private async sync(now: number) {
    if (!this.store.hasUnsynced()) return;
    const rows = this.store.unsynced();
    if (!rows.length || !this.tenantId) return;
    try {
      await withDb(this.env, (db) => upsertHistory(db, this.tenantId!, rows.map((r) => r.row)));
      for (const r of rows) this.store.markSynced(r.row.id, r.rev);
      this.syncRetryAt = null;
    } catch (err) {
      this.syncRetryAt = now + SYNC_RETRY_MS;
      console.error(JSON.stringify({ msg: 'alert history sync failed; will retry', error: String(err) }));
    }
  }

  /** Earliest of: an outbox row due, a host-down deadline, a history sync retry. */
  nextDue(now: number): number | null {
    const times: number[] = [];
    const out = this.store.nextDue();
    if (out !== null) times.push(out);
    if (this.syncRetryAt !== null) times.push(this.syncRetryAt);
    if (this.lastReceived !== null)
      for (const rule of this.config?.rules ?? [])
        if (rule.enabled && rule.metric === HOST_UP_METRIC && this.watchesThisHost(rule) && this.states.get(this.key(rule, {}))?.status !== 'firing')
          times.push(this.lastReceived + rule.forMs);
    return times.length ? Math.max(Math.min(...times), now + 100) : null;
  }

  /** A host-down rule applies only to hosts its matchers select (e.g. `{host: 'db-*'}`). */
  private watchesThisHost(rule: Rule): boolean {
    return this.host !== null && matchesSeries(rule.matchers, this.host.id, {});
  }

  /** Called at start-up so an alarm before the first sample knows whose object this is. */
  setIdentity(tenantId: string, host: { id: string; name: string }) {
    this.tenantId ??= tenantId;
    this.host ??= { id: host.id, name: host.name };
  }

  /** For tests: the outbox and series states. */
  debug() {
    return { outbox: this.store.list(), states: Object.fromEntries(this.states), configVersion: this.config?.version ?? null };
  }
}
