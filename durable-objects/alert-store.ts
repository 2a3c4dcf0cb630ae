// The host object's alerting tables in its SQLite storage: the cached tenant alert config, the
// state of each rule+series, firing episodes (mirrored to Postgres alert_history) and the
// notification outbox. Rows are written on transitions and deliveries only, never per sample.
import type { SeriesState } from './core/rules.ts';
import type { HistoryRow, AlertConfig } from '../worker/db/alerts.ts';
import type { Notification } from '../worker/notify/channels.ts';

export interface OutboxRow {
  id: number;
  channelId: string;
  payload: Notification;
  episodeIds: string[];
  attempts: number;
  nextAt: number;
  status: 'pending' | 'sent' | 'failed';
  lastError: string | null;
}

export class AlertStore {
  /**
   * Answers asked on every sample (is anything due or unsynced?), kept until a write here changes
   * them. Each query is a cursor object that workerd finalises at the next major GC; cutting a
   * sample's four statements to one (this and RawStore.insert) took workerd from 58 % to 45 % CPU
   * at 1,000 hosts (docs/performance.md).
   */
  private memo: { nextDue?: number | null; unsynced?: boolean } = {};

  constructor(private readonly sql: SqlStorage) {
    sql.exec('CREATE TABLE IF NOT EXISTS alert_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    sql.exec('CREATE TABLE IF NOT EXISTS alert_state (key TEXT PRIMARY KEY, data TEXT NOT NULL)');
    sql.exec('CREATE TABLE IF NOT EXISTS alert_episode (id TEXT PRIMARY KEY, data TEXT NOT NULL, rev INTEGER NOT NULL, synced INTEGER NOT NULL)');
    sql.exec(`CREATE TABLE IF NOT EXISTS alert_outbox (
      id INTEGER PRIMARY KEY AUTOINCREMENT, channel_id TEXT NOT NULL, payload TEXT NOT NULL, episode_ids TEXT NOT NULL,
      attempts INTEGER NOT NULL, next_at INTEGER NOT NULL, status TEXT NOT NULL, last_error TEXT, created INTEGER NOT NULL)`);
    sql.exec('CREATE INDEX IF NOT EXISTS alert_outbox_due ON alert_outbox (status, next_at)');
  }

  loadConfig(): AlertConfig | null {
    const row = this.sql.exec<{ value: string }>("SELECT value FROM alert_meta WHERE key = 'config'").toArray()[0];
    return row ? (JSON.parse(row.value) as AlertConfig) : null;
  }

  saveConfig(c: AlertConfig) {
    this.sql.exec("INSERT INTO alert_meta (key, value) VALUES ('config', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", JSON.stringify(c));
  }

  loadStates(): Map<string, SeriesState> {
    const out = new Map<string, SeriesState>();
    for (const r of this.sql.exec<{ key: string; data: string }>('SELECT key, data FROM alert_state')) {
      const s = JSON.parse(r.data) as SeriesState;
      s.lastTs ??= -Infinity; // JSON has no -Infinity
      out.set(r.key, s);
    }
    return out;
  }

  saveState(key: string, s: SeriesState) {
    this.sql.exec('INSERT INTO alert_state (key, data) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET data = excluded.data', key, JSON.stringify(s));
  }

  deleteState(key: string) {
    this.memo = {};
    this.sql.exec('DELETE FROM alert_state WHERE key = ?', key);
  }

  episode(id: string): HistoryRow | null {
    const r = this.sql.exec<{ data: string }>('SELECT data FROM alert_episode WHERE id = ?', id).toArray()[0];
    return r ? (JSON.parse(r.data) as HistoryRow) : null;
  }

  /** Writes an episode and marks it for sync to Postgres. */
  putEpisode(e: HistoryRow) {
    this.memo = {};
    this.sql.exec(
      `INSERT INTO alert_episode (id, data, rev, synced) VALUES (?, ?, 1, 0)
       ON CONFLICT (id) DO UPDATE SET data = excluded.data, rev = rev + 1, synced = 0`,
      e.id,
      JSON.stringify(e),
    );
  }

  unsynced(limit = 200): { row: HistoryRow; rev: number }[] {
    return this.sql
      .exec<{ data: string; rev: number }>('SELECT data, rev FROM alert_episode WHERE synced = 0 LIMIT ?', limit)
      .toArray()
      .map((r) => ({ row: JSON.parse(r.data) as HistoryRow, rev: r.rev }));
  }

  hasUnsynced(): boolean {
    this.memo.unsynced ??= this.unsynced(1).length > 0;
    return this.memo.unsynced;
  }

  /** Only if unchanged since it was read: a newer write stays queued. */
  markSynced(id: string, rev: number) {
    this.memo = {};
    this.sql.exec('UPDATE alert_episode SET synced = 1 WHERE id = ? AND rev = ?', id, rev);
  }

  enqueue(channelId: string, payload: Notification, now: number) {
    this.memo = {};
    this.sql.exec(
      "INSERT INTO alert_outbox (channel_id, payload, episode_ids, attempts, next_at, status, created) VALUES (?, ?, ?, 0, ?, 'pending', ?)",
      channelId,
      JSON.stringify(payload),
      JSON.stringify(payload.notices.map((n) => n.episodeId)),
      now,
      now,
    );
  }

  due(now: number): OutboxRow[] {
    return this.sql
      .exec<Record<string, string | number | null>>("SELECT * FROM alert_outbox WHERE status = 'pending' AND next_at <= ? ORDER BY id", now)
      .toArray()
      .map((r) => ({
        id: Number(r.id),
        channelId: String(r.channel_id),
        payload: JSON.parse(String(r.payload)) as Notification,
        episodeIds: JSON.parse(String(r.episode_ids)) as string[],
        attempts: Number(r.attempts),
        nextAt: Number(r.next_at),
        status: 'pending',
        lastError: r.last_error === null ? null : String(r.last_error),
      }));
  }

  /** Leases a row: if the object dies mid-send, the alarm retries it after `until`. */
  setNext(id: number, nextAt: number) {
    this.memo = {};
    this.sql.exec('UPDATE alert_outbox SET next_at = ? WHERE id = ?', nextAt, id);
  }

  finish(id: number, status: 'sent' | 'failed' | 'pending', attempts: number, nextAt: number, lastError: string | null) {
    this.memo = {};
    this.sql.exec('UPDATE alert_outbox SET status = ?, attempts = ?, next_at = ?, last_error = ? WHERE id = ?', status, attempts, nextAt, lastError, id);
  }

  nextDue(): number | null {
    if (this.memo.nextDue === undefined)
      this.memo.nextDue = this.sql.exec<{ m: number | null }>("SELECT min(next_at) AS m FROM alert_outbox WHERE status = 'pending'").one().m ?? null;
    return this.memo.nextDue;
  }

  list(): { id: number; channelId: string; status: string; attempts: number; lastError: string | null; episodeIds: string[] }[] {
    return this.sql
      .exec<Record<string, string | number | null>>('SELECT id, channel_id, status, attempts, last_error, episode_ids FROM alert_outbox ORDER BY id')
      .toArray()
      .map((r) => ({
        id: Number(r.id),
        channelId: String(r.channel_id),
        status: String(r.status),
        attempts: Number(r.attempts),
        lastError: r.last_error === null ? null : String(r.last_error),
        episodeIds: JSON.parse(String(r.episode_ids)) as string[],
      }));
  }

  /** Drops finished notifications and synced, resolved episodes older than `before`. */
  prune(before: number) {
    this.memo = {};
    this.sql.exec("DELETE FROM alert_outbox WHERE status != 'pending' AND created < ?", before);
    for (const r of this.sql.exec<{ id: string; data: string }>('SELECT id, data FROM alert_episode WHERE synced = 1').toArray()) {
      const e = JSON.parse(r.data) as HistoryRow;
      if (e.status === 'RESOLVED' && (e.resolvedAt ?? 0) < before) this.sql.exec('DELETE FROM alert_episode WHERE id = ?', r.id);
    }
  }
}
