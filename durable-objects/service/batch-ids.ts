// The OTLP metrics batch ids a service object remembers, so an SDK's retry of the same body is a
// no-op (ServiceMetrics.record). One table per hour of receipt (`metric_batches_h<hour>`), pruned
// by dropping whole tables: an export costs one row written and no delete (SQLite storage bills
// rows written, a DROP TABLE none; docs/scaling.md), as the span batches' store does.

import { hourTables } from '../hour-tables.ts';

const HOUR_MS = 3600_000;
const TABLES = hourTables('metric_batches_h', 'batch id');
const tableName = TABLES.name;

export class BatchIds {
  /** Hours whose tables exist, rebuilt at construction. */
  private readonly tables = new Set<number>();

  /** Ids are remembered at least `keepMs` after they were received. */
  constructor(
    private readonly sql: SqlStorage,
    private readonly keepMs: number,
  ) {
    for (const hour of TABLES.list(sql)) this.tables.add(hour);
    this.migrateLegacy();
  }

  /** The hour's table, created on its first id (two rows written). */
  private open(hour: number) {
    if (this.tables.has(hour)) return;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS ${tableName(hour)} (batch_id TEXT PRIMARY KEY, received INTEGER NOT NULL) WITHOUT ROWID`);
    this.tables.add(hour);
  }

  /**
   * Remembers the id unless it is already (false: a duplicate). One row written (two more when
   * it opens its hour's table); the other kept tables (a retry minutes later may fall in the
   * next hour) are probed by primary key first, reads only.
   */
  add(batchId: string, now: number): boolean {
    const hour = Math.floor(now / HOUR_MS);
    for (const h of this.tables) {
      if (h === hour) continue; // the insert below refuses it there
      if (this.sql.exec(`SELECT 1 FROM ${tableName(h)} WHERE batch_id = ?`, batchId).toArray().length) return false;
    }
    this.open(hour);
    return this.sql.exec(`INSERT INTO ${tableName(hour)} (batch_id, received) VALUES (?, ?) ON CONFLICT (batch_id) DO NOTHING`, batchId, now).rowsWritten > 0;
  }

  /**
   * Drops every table whose whole hour ended more than `keepMs` before `now` (no per-row
   * deletes); returns the tables dropped. An id is thus kept `keepMs` to `keepMs` + 1 h.
   */
  prune(now: number): number {
    let dropped = 0;
    for (const h of [...this.tables]) {
      if ((h + 1) * HOUR_MS + this.keepMs >= now) continue;
      this.sql.exec(`DROP TABLE IF EXISTS ${tableName(h)}`);
      this.tables.delete(h);
      dropped++;
    }
    return dropped;
  }

  /** For tests: the hour tables present, ascending. */
  layout(): number[] {
    return [...this.tables].sort((a, b) => a - b);
  }

  /**
   * The single `metric_batches` table of earlier versions: its ids move into the tables of their
   * received hour, then it is dropped, in this synchronous constructor (once per object; one row
   * written per id moved, no delete).
   */
  private migrateLegacy() {
    const legacy = this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'metric_batches'").one().n;
    if (!legacy) return;
    const hourOf = 'CAST(received / 3600000 AS INTEGER)';
    for (const { h } of this.sql.exec<{ h: number }>(`SELECT DISTINCT ${hourOf} AS h FROM metric_batches`).toArray()) {
      this.open(h);
      this.sql.exec(`INSERT OR IGNORE INTO ${tableName(h)} (batch_id, received) SELECT batch_id, received FROM metric_batches WHERE ${hourOf} = ?`, h);
    }
    this.sql.exec('DROP TABLE metric_batches');
  }
}
