// A service object's acknowledged aggregates in its SQLite storage: one row per accepted batch
// (the worker's per-route, per-second aggregates of one request), keyed by batch id so an SDK's
// retry of the same body is a no-op. The per-second window and the rollups are rebuilt from here.
import type { RouteSecondWire } from '../../protocol/apm.ts';

export class BatchStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS batches (
      batch_id TEXT PRIMARY KEY,
      sec_min INTEGER NOT NULL,
      sec_max INTEGER NOT NULL,
      received INTEGER NOT NULL,
      data TEXT NOT NULL
    ) WITHOUT ROWID`);
    sql.exec('CREATE INDEX IF NOT EXISTS batches_sec_max ON batches (sec_max)');
  }

  /** Stores the batch unless its id is stored already; false for a duplicate (one statement). */
  insert(batchId: string, entries: readonly RouteSecondWire[], received: number): boolean {
    let min = Infinity;
    let max = -Infinity;
    for (const e of entries) {
      if (e.sec < min) min = e.sec;
      if (e.sec > max) max = e.sec;
    }
    return (
      this.sql.exec(
        'INSERT INTO batches (batch_id, sec_min, sec_max, received, data) VALUES (?, ?, ?, ?, ?) ON CONFLICT (batch_id) DO NOTHING',
        batchId,
        min,
        max,
        received,
        JSON.stringify(entries),
      ).rowsWritten > 0
    );
  }

  /** Entries with fromSec <= sec < toSec. */
  *range(fromSec: number, toSec: number): Generator<RouteSecondWire> {
    for (const row of this.sql.exec<{ data: string }>('SELECT data FROM batches WHERE sec_max >= ? AND sec_min < ?', fromSec, toSec))
      for (const e of JSON.parse(row.data) as RouteSecondWire[]) if (e.sec >= fromSec && e.sec < toSec) yield e;
  }

  /** The earliest second at or after `sec` that holds data, or null. */
  nextSec(sec: number): number | null {
    const row = this.sql.exec<{ s: number | null }>('SELECT min(sec_min) AS s FROM batches WHERE sec_max >= ?', sec).toArray()[0];
    return row?.s == null ? null : Math.max(row.s, sec);
  }

  /** Drops batches whose every second is before `sec`. */
  prune(sec: number): number {
    return this.sql.exec('DELETE FROM batches WHERE sec_max < ?', sec).rowsWritten;
  }

  count(): number {
    return this.sql.exec<{ n: number }>('SELECT count(*) AS n FROM batches').one().n;
  }
}
