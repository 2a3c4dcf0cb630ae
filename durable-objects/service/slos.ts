// A service object's SLO counters: exact good/total per SLO, counted from each stored span batch
// in the same synchronous turn as the batch write (so one atomic write holds both), kept in
// memory at three resolutions (core/slo-counts.ts) and per minute in SQLite, from which a
// restart rebuilds the minute and hour rings; the seconds ring is refilled from the stored
// batches (which keep 20 minutes). docs/slo.md.
import { SloCounts, HOURS_SPAN_MS } from '../core/slo-counts.ts';
import { countEntry, sloStatus, type CountedEntry, type Slo, type SloStatus } from '../core/slo.ts';
import type { Counts } from '../core/burn-rate.ts';

const MIN = 60_000;

export class ServiceSlos {
  private slos = new Map<string, Slo>();
  private counts = new Map<string, SloCounts>();

  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS slo_minutes (
      slo_id TEXT NOT NULL, minute INTEGER NOT NULL, good INTEGER NOT NULL, total INTEGER NOT NULL,
      PRIMARY KEY (slo_id, minute)) WITHOUT ROWID`);
  }

  /** The service's SLOs from the alert config; new ones start counting now, removed ones are dropped. */
  setSlos(list: readonly Slo[], now: number) {
    const next = new Map(list.map((s) => [s.id, s]));
    for (const id of this.slos.keys())
      if (!next.has(id)) {
        this.counts.delete(id);
        this.sql.exec('DELETE FROM slo_minutes WHERE slo_id = ?', id);
      }
    for (const [id, slo] of next) {
      const prev = this.slos.get(id);
      // A changed definition (route, kind, threshold) counts different requests: start over.
      if (prev && (prev.route !== slo.route || prev.kind !== slo.kind || prev.thresholdMs !== slo.thresholdMs)) {
        this.counts.delete(id);
        this.sql.exec('DELETE FROM slo_minutes WHERE slo_id = ?', id);
      }
      if (!this.counts.has(id)) this.counts.set(id, this.load(id, now));
    }
    this.slos = next;
  }

  private load(id: string, now: number): SloCounts {
    const c = new SloCounts();
    for (const r of this.sql.exec<{ minute: number; good: number; total: number }>('SELECT minute, good, total FROM slo_minutes WHERE slo_id = ? AND minute >= ?', id, now - HOURS_SPAN_MS))
      c.addMinute(r.minute, r.good, r.total, now);
    return c;
  }

  /** Restart: the seconds ring from the stored batches' entries of the last 15 minutes. */
  replaySeconds(entries: Iterable<CountedEntry & { sec: number }>, now: number) {
    if (!this.slos.size) return;
    for (const e of entries)
      for (const slo of this.slos.values()) {
        const k = countEntry(slo, e);
        if (k) this.counts.get(slo.id)!.addSecond(e.sec * 1000, k.good, k.total, now);
      }
  }

  /** Counts a stored batch's entries (call right after the batch write, without an await between). */
  record(entries: readonly (CountedEntry & { sec: number })[], now: number) {
    if (!this.slos.size) return;
    const minutes = new Map<string, { id: string; minute: number; good: number; total: number }>();
    for (const slo of this.slos.values()) {
      const counts = this.counts.get(slo.id)!;
      for (const e of entries) {
        const k = countEntry(slo, e);
        if (!k || k.total === 0) continue;
        counts.add(e.sec * 1000, k.good, k.total, now);
        const minute = Math.floor((e.sec * 1000) / MIN) * MIN;
        const key = `${slo.id}|${minute}`;
        const m = minutes.get(key);
        if (m) {
          m.good += k.good;
          m.total += k.total;
        } else minutes.set(key, { id: slo.id, minute, good: k.good, total: k.total });
      }
    }
    for (const m of minutes.values())
      this.sql.exec(
        'INSERT INTO slo_minutes (slo_id, minute, good, total) VALUES (?, ?, ?, ?) ON CONFLICT (slo_id, minute) DO UPDATE SET good = good + excluded.good, total = total + excluded.total',
        m.id,
        m.minute,
        m.good,
        m.total,
      );
  }

  slo(id: string): Slo | undefined {
    return this.slos.get(id);
  }

  sum(id: string, windowMs: number, now: number): Counts {
    return this.counts.get(id)?.sum(now, windowMs) ?? { good: 0, total: 0 };
  }

  status(id: string, now: number): SloStatus | null {
    const slo = this.slos.get(id);
    return slo ? sloStatus(slo, (w) => this.sum(id, w, now), now) : null;
  }

  statuses(now: number): SloStatus[] {
    return [...this.slos.keys()].map((id) => this.status(id, now)!);
  }

  size(): number {
    return this.slos.size;
  }

  /** Minutes older than the longest window (31 days) are dropped. */
  prune(now: number) {
    this.sql.exec('DELETE FROM slo_minutes WHERE minute < ?', now - HOURS_SPAN_MS);
  }
}
