// A service object's acknowledged aggregates in its SQLite storage: one row per accepted batch
// (the worker's per-route, per-second aggregates of one request), keyed by batch id so an SDK's
// retry of the same body is a no-op. The per-second window and the rollups are rebuilt from here.
//
// Rows live in one table per hour (`batches_h<hour>`, the hour of the batch's earliest second,
// which the body fixes, so a retry minutes or an hour later meets its first attempt's table) and
// pruning drops whole tables: a batch costs one row written and no index entry or delete (SQLite
// storage bills rows written, a DROP TABLE none; docs/scaling.md), as the host raw tier does.
import type { RouteSecondWire } from '../../protocol/apm.ts';
import { hourTables } from '../hour-tables.ts';

const HOUR_SEC = 3600;

const TABLES = hourTables('batches_h', 'batch');
const tableName = TABLES.name;

/**
 * When the latest stored batch arrived (null without one), read from storage: for ServiceAlerts'
 * quiet-service checks after a restart. Also reads an old `batches` table not yet moved.
 */
export function lastBatchReceived(sql: SqlStorage): number | null {
  const legacy = sql.exec<{ n: number }>("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'batches'").one().n > 0;
  const tables = [...TABLES.list(sql).map(tableName), ...(legacy ? ['batches'] : [])];
  let m: number | null = null;
  for (const table of tables) {
    const r = sql.exec<{ m: number | null }>(`SELECT max(received) AS m FROM ${table}`).one().m;
    if (r != null && (m === null || r > m)) m = r;
  }
  return m;
}

interface Table {
  /** Latest second of any batch in the table (a batch may run into later hours). */
  secMax: number;
  batches: number;
}

export class BatchStore {
  /** Hour -> what pruning and reads need, rebuilt at construction. */
  private readonly tables = new Map<number, Table>();

  constructor(private readonly sql: SqlStorage) {
    for (const hour of TABLES.list(sql)) {
      const r = sql.exec<{ m: number | null; n: number }>(`SELECT max(sec_max) AS m, count(*) AS n FROM ${tableName(hour)}`).one();
      this.tables.set(hour, { secMax: r.m ?? -Infinity, batches: r.n });
    }
    this.migrateLegacy();
  }

  /** The hour's table, created on its first batch (two rows written). */
  private open(hour: number): Table {
    let table = this.tables.get(hour);
    if (!table) {
      this.sql.exec(`CREATE TABLE IF NOT EXISTS ${tableName(hour)} (
        batch_id TEXT PRIMARY KEY,
        sec_min INTEGER NOT NULL,
        sec_max INTEGER NOT NULL,
        received INTEGER NOT NULL,
        data TEXT NOT NULL
      ) WITHOUT ROWID`);
      this.tables.set(hour, (table = { secMax: -Infinity, batches: 0 }));
    }
    return table;
  }

  /** Hours in ascending order (reads stop early and go in time order). */
  private hours(): number[] {
    return [...this.tables.keys()].sort((a, b) => a - b);
  }

  /**
   * Stores the batch unless its id is stored already; false for a duplicate. One row written
   * (two more when it opens its hour's table). A batch without entries (kept, as before, so its
   * retry is a duplicate too) goes to the table of the hour it was received.
   */
  insert(batchId: string, entries: readonly RouteSecondWire[], received: number): boolean {
    let min = Infinity;
    let max = -Infinity;
    for (const e of entries) {
      if (e.sec < min) min = e.sec;
      if (e.sec > max) max = e.sec;
    }
    const hour = Math.floor(entries.length ? min / HOUR_SEC : received / (HOUR_SEC * 1000));
    // A retry may carry fewer entries (the service drops seconds a duration histogram counted
    // meanwhile), so a later earliest second: its first attempt is in an earlier table that
    // reaches this batch's last second. One primary-key read each, no write.
    for (const h of this.hours()) {
      if (h >= hour) break;
      if (this.tables.get(h)!.secMax < max) continue;
      if (this.sql.exec(`SELECT 1 FROM ${tableName(h)} WHERE batch_id = ?`, batchId).toArray().length) return false;
    }
    const table = this.open(hour);
    const stored =
      this.sql.exec(`INSERT INTO ${tableName(hour)} (batch_id, sec_min, sec_max, received, data) VALUES (?, ?, ?, ?, ?) ON CONFLICT (batch_id) DO NOTHING`, batchId, min, max, received, JSON.stringify(entries))
        .rowsWritten > 0;
    if (stored) {
      table.secMax = Math.max(table.secMax, max);
      table.batches++;
    }
    return stored;
  }

  /** Entries with fromSec <= sec < toSec, table by table in hour order. */
  *range(fromSec: number, toSec: number): Generator<RouteSecondWire> {
    for (const h of this.hours()) {
      if (h * HOUR_SEC >= toSec) break; // this and later tables start at or after toSec
      if (this.tables.get(h)!.secMax < fromSec) continue;
      const rows = this.sql.exec<{ data: string }>(`SELECT data FROM ${tableName(h)} WHERE sec_max >= ? AND sec_min < ?`, fromSec, toSec);
      for (const row of rows) for (const e of JSON.parse(row.data) as RouteSecondWire[]) if (e.sec >= fromSec && e.sec < toSec) yield e;
    }
  }

  /** The earliest second at or after `sec` that holds data, or null. */
  nextSec(sec: number): number | null {
    for (const h of this.hours()) {
      if (this.tables.get(h)!.secMax < sec) continue;
      // Earliest seconds of a table all fall in its hour: the first table with a hit has the minimum.
      const s = this.sql.exec<{ s: number | null }>(`SELECT min(sec_min) AS s FROM ${tableName(h)} WHERE sec_max >= ?`, sec).one().s;
      if (s != null) return Math.max(s, sec);
    }
    return null;
  }

  /**
   * Drops every hour table whose batches all end before `sec` (no per-row deletes); returns the
   * batches dropped. A batch before `sec` sharing a table with a later one stays until that one
   * goes: callers read only from their prune cut on, so they never see it.
   */
  prune(sec: number): number {
    let dropped = 0;
    for (const [hour, t] of [...this.tables]) {
      if (t.secMax >= sec) continue;
      this.sql.exec(`DROP TABLE IF EXISTS ${tableName(hour)}`);
      this.tables.delete(hour);
      dropped += t.batches;
    }
    return dropped;
  }

  /** Batches stored (those in tables not yet dropped). */
  count(): number {
    let n = 0;
    for (const t of this.tables.values()) n += t.batches;
    return n;
  }

  /** For tests: the hour tables present. */
  layout(): number[] {
    return this.hours();
  }

  /**
   * The single `batches` table (and its `sec_max` index) of earlier versions: its rows move into
   * the hour tables insert() would have chosen, then it is dropped, in this synchronous
   * constructor (once per object; one row written per batch moved, no delete).
   */
  private migrateLegacy() {
    const legacy = this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'batches'").one().n;
    if (!legacy) return;
    // A batch without entries was stored with an infinite sec_min: its received hour instead.
    const hourOf = 'CASE WHEN sec_min >= 0 AND sec_min < 9e15 THEN CAST(sec_min / 3600 AS INTEGER) ELSE CAST(received / 3600000 AS INTEGER) END';
    for (const { h } of this.sql.exec<{ h: number }>(`SELECT DISTINCT ${hourOf} AS h FROM batches`).toArray()) {
      const table = this.open(h);
      const name = tableName(h);
      this.sql.exec(`INSERT OR IGNORE INTO ${name} (batch_id, sec_min, sec_max, received, data) SELECT batch_id, sec_min, sec_max, received, data FROM batches WHERE ${hourOf} = ?`, h);
      const r = this.sql.exec<{ m: number | null; n: number }>(`SELECT max(sec_max) AS m, count(*) AS n FROM ${name}`).one();
      table.secMax = r.m ?? -Infinity;
      table.batches = r.n;
    }
    this.sql.exec('DROP TABLE batches');
  }
}
