// The one alert engine of host and service objects: rule config cached in SQLite, the per-series
// state machine (core/rules.ts), silences, the notification outbox with per-channel senders,
// retries and rate limits, and the history mirrored to Postgres. A subclass feeds it values
// (HostAlerts from samples, ServiceAlerts from span batches) through observe(); everything after
// that — episodes, notices, delivery, restart safety — is shared, so hosts and services cannot
// drift apart (docs/alerting.md).
import { seriesKey, type Labels } from '../protocol/series.ts';
import { newId } from '../worker/auth/crypto.ts';
import { withDb } from '../worker/db/client.ts';
import { configVersion, loadAlertConfig, upsertHistory, type AlertConfig, type HistoryRow } from '../worker/db/alerts.ts';
import { deliver, SEND_TIMEOUT_MS, type Channel, type Notification } from '../worker/notify/channels.ts';
import { publishAlerts } from './alert-feed.ts';
import { AlertStore } from './alert-store.ts';
import { groupByChannel, nextAttemptAt, parseSchedule, TokenBucket, type AlertNotice } from './core/notify.ts';
import { alertLabels, decideNotice, DEFAULT_REPEAT_MS, isSilenced, markNotified, step, vanish, type Rule, type SeriesState, type StepResult } from './core/rules.ts';

// Pushes carry config changes; this check only repairs a missed push, so it can be rare.
const RECHECK_MS = 5 * 60_000;
const LOAD_RETRY_MS = 30_000;
const SYNC_RETRY_MS = 30_000;
const KEEP_MS = 24 * 3600_000;
const PRUNE_EVERY_MS = 3600_000;
/** Per channel per object: a burst of 5, then one per 12 s. */
const BURST = 5;
const REFILL_MS = 12_000;

/** Whose alerts these are: a host (id and display name) or a service (its name). */
export type Subject = { kind: 'host'; id: string; name: string } | { kind: 'service'; id: string; name: string };

/** The alert config version the worker knows, and the config itself when the object asked. */
export interface ConfigOffer {
  version: number;
  config?: AlertConfig;
}

export abstract class AlertEngine {
  protected store: AlertStore;
  protected config: AlertConfig | null;
  protected states: Map<string, SeriesState>;
  protected checkedAt = 0;
  private prunedAt = 0;
  private loadFailedAt = 0;
  private syncRetryAt: number | null = null;
  private buckets = new Map<string, TokenBucket>();
  private sending = new Map<string, Promise<void>>();
  private syncing: Promise<void> | null = null;
  private syncAgain = false;
  protected tenantId: string | null = null;
  protected subject: Subject | null = null;

  constructor(
    sql: SqlStorage,
    protected env: Env,
  ) {
    this.store = new AlertStore(sql);
    this.config = this.store.loadConfig();
    this.states = this.store.loadStates();
  }

  /** The rules this object evaluates (host objects: host rules; service objects: service rules). */
  protected abstract owns(rule: Rule): boolean;
  /** Alarm-time checks of a subclass (host down, a service gone quiet); may call observe(). */
  protected abstract onTick(now: number, out: AlertNotice[]): void;
  /** Deadlines of a subclass's own checks, for nextDue(). */
  protected abstract deadlines(): number[];
  /** The repeat interval of a rule that names none. */
  protected defaultRepeatMs(): number {
    return DEFAULT_REPEAT_MS;
  }

  protected rules(): Rule[] {
    return (this.config?.rules ?? []).filter((r) => r.enabled && this.owns(r));
  }

  /** Takes a config the worker offered (docs/alerting.md) and loads one if this object has none. */
  protected async accept(offer: ConfigOffer | undefined, now: number): Promise<AlertConfig | null> {
    if (offer) {
      if (offer.config && (!this.config || offer.config.version > this.config.version)) this.apply(offer.config, now);
      // The worker read the version from Postgres within CONFIG_TTL_MS (plus one refresh): no need to check again.
      if (this.config && this.config.version >= offer.version) this.checkedAt = now;
    }
    if (!this.config && now - this.loadFailedAt >= LOAD_RETRY_MS) await this.reload(now);
    return this.config;
  }

  /** Config re-check, subclass checks, outbox retries, history sync, pruning. */
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
    this.onTick(now, notices);
    this.send(notices, now);
    await this.kick(now);
    if (now - this.prunedAt >= PRUNE_EVERY_MS) {
      this.prunedAt = now;
      this.store.prune(now - KEEP_MS);
    }
    return this.nextDue(Date.now());
  }

  /** The cached config (null before the first load). */
  currentConfig(): AlertConfig | null {
    return this.config;
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

  /** A subclass's view of a new config (service objects: their SLOs). */
  protected configured(_cfg: AlertConfig, _now: number): void {}

  protected apply(cfg: AlertConfig, now: number) {
    this.config = cfg;
    this.store.saveConfig(cfg);
    this.configured(cfg, now);
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

  protected key(rule: Rule, labels: Labels) {
    return `${rule.id}|${seriesKey(rule.metric, labels)}`;
  }

  private channelsFor(rule: Rule): Channel[] {
    const all = (this.config?.channels ?? []).filter((c) => c.enabled);
    return rule.channelIds.length ? all.filter((c) => rule.channelIds.includes(c.id)) : all;
  }

  private subjectLabels(): string | Labels {
    const s = this.subject!;
    return s.kind === 'host' ? s.id : { service: s.id };
  }

  /** Steps one series of a rule by one value at `ts`; a notice due goes to `out`. */
  protected observe(rule: Rule, labels: Labels, value: number, ts: number, now: number, out: AlertNotice[]) {
    const key = this.key(rule, labels);
    this.record(rule, labels, key, step(rule, this.states.get(key), value, ts, () => newId('alert')), value, ts, now, out);
  }

  /** A series looked for at `ts` that had no value (core/rules.ts `vanish`): it stops breaching. */
  protected vanished(rule: Rule, labels: Labels, ts: number, now: number, out: AlertNotice[]) {
    const key = this.key(rule, labels);
    const prev = this.states.get(key);
    if (!prev) return;
    const r = vanish(rule, prev, ts);
    // Held by keep_firing_for: nothing to record, and no repeat of a value nobody observed.
    if (r.changed) this.record(rule, labels, key, r, prev.value, ts, now, out);
  }

  private record(rule: Rule, labels: Labels, key: string, r: StepResult, value: number, ts: number, now: number, out: AlertNotice[]) {
    let st = r.state;
    if (!r.changed && st.status !== 'firing') {
      this.states.set(key, st);
      return;
    }
    const channels = this.channelsFor(rule);
    const silenced = isSilenced(this.config?.silences ?? [], alertLabels(rule, this.subjectLabels(), labels), now);
    const notice = channels.length ? decideNotice(st, r.event, ts, silenced, rule.repeatIntervalMs ?? this.defaultRepeatMs()) : null;
    if (r.event === 'firing') {
      const notified = notice ? 'pending' : !channels.length ? 'none' : silenced ? 'silenced' : 'suppressed';
      const s = this.subject!;
      this.store.putEpisode({
        id: st.episodeId!,
        ruleId: rule.id,
        ruleName: rule.name,
        severity: rule.severity,
        hostId: s.kind === 'host' ? s.id : null,
        service: s.kind === 'service' ? s.id : null,
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
  protected send(notices: AlertNotice[], now: number) {
    const s = this.subject;
    if (notices.length && this.tenantId && s)
      for (const [channelId, list] of groupByChannel(notices)) {
        const who = s.kind === 'host' ? { host: { id: s.id, name: s.name } } : { service: { name: s.id } };
        this.store.enqueue(channelId, { tenantId: this.tenantId, ...who, notices: list } satisfies Notification, now);
      }
    if (notices.length || this.store.hasUnsynced()) void this.kick(now);
  }

  /**
   * Sends due notifications and syncs history. Each channel has its own sender, so a channel that
   * hangs holds back only its own queue (kept in order), never another channel or the history.
   */
  kick(now = Date.now()): Promise<void> {
    const runs: Promise<void>[] = [this.syncSoon()];
    // Asked at every alarm: the memoised next due time spares the outbox query when nothing is due.
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
      // The organization's live alert stream gets each row as it reaches Postgres (never throws).
      await publishAlerts(this.env, this.tenantId!, rows.map((r) => r.row));
    } catch (err) {
      this.syncRetryAt = now + SYNC_RETRY_MS;
      console.error(JSON.stringify({ msg: 'alert history sync failed; will retry', error: String(err) }));
    }
  }

  /** Earliest of: an outbox row due, a history sync retry, a subclass deadline. */
  nextDue(now: number): number | null {
    const times: number[] = this.deadlines();
    const out = this.store.nextDue();
    if (out !== null) times.push(out);
    if (this.syncRetryAt !== null) times.push(this.syncRetryAt);
    return times.length ? Math.max(Math.min(...times), now + 100) : null;
  }

  /** For tests: the outbox and series states. */
  debug() {
    return { outbox: this.store.list(), states: Object.fromEntries(this.states), configVersion: this.config?.version ?? null };
  }
}
