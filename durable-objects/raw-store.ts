// The raw 5 s tier in the object's SQLite storage: one row per accepted batch (never a row per
// metric: SQLite storage bills rows written), keyed by batchId so a replayed batch is a no-op.
import type { Sample } from '../protocol/ingest.ts';

export const RAW_RETENTION_MS = 24 * 3600_000;

export class RawStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS raw (
      batch_id TEXT PRIMARY KEY,
      ts_min INTEGER NOT NULL,
      ts_max INTEGER NOT NULL,
      received INTEGER NOT NULL,
      data TEXT NOT NULL
    ) WITHOUT ROWID`);
  }

  /**
   * Stores the batch unless its id is stored already; false for a duplicate. One statement, not
   * a lookup and an insert: each is a cursor object until the next major GC (docs/performance.md).
   */
  insert(batchId: string, samples: Sample[], received: number): boolean {
    let min = Infinity;
    let max = -Infinity;
    for (const s of samples) {
      if (s.ts < min) min = s.ts;
      if (s.ts > max) max = s.ts;
    }
    return (
      this.sql.exec('INSERT INTO raw (batch_id, ts_min, ts_max, received, data) VALUES (?, ?, ?, ?, ?) ON CONFLICT (batch_id) DO NOTHING', batchId, min, max, received, JSON.stringify(samples))
        .rowsWritten > 0
    );
  }

  /** Samples with from <= ts < to, in timestamp order. */
  range(from: number, to: number): Sample[] {
    const out: Sample[] = [];
    for (const row of this.sql.exec<{ data: string }>('SELECT data FROM raw WHERE ts_max >= ? AND ts_min < ?', from, to)) {
      for (const s of JSON.parse(row.data) as Sample[]) if (s.ts >= from && s.ts < to) out.push(s);
    }
    return out.sort((a, b) => a.ts - b.ts);
  }

  /**
   * One metric's values with from <= ts < to, extracted by SQLite's JSON functions so a 24 h
   * query never materialises every stored sample in JS (17k batches are ~70 MB of JSON).
   * Labelled values come back as their JSON list. The metric name is from the catalog.
   */
  metricValues(metric: string, from: number, to: number): { ts: number; value: unknown }[] {
    const path = `$.metrics.${JSON.stringify(metric)}`;
    const out: { ts: number; value: unknown }[] = [];
    const rows = this.sql.exec<{ ts: number; v: string | number | null; t: string | null }>(
      `SELECT json_extract(s.value, '$.ts') AS ts, json_extract(s.value, ?) AS v, json_type(s.value, ?) AS t
       FROM raw, json_each(raw.data) AS s
       WHERE raw.ts_max >= ? AND raw.ts_min < ?`,
      path,
      path,
      from,
      to,
    );
    for (const r of rows) {
      if (r.v === null || r.ts < from || r.ts >= to) continue;
      out.push({ ts: r.ts, value: r.t === 'array' ? JSON.parse(r.v as string) : r.v });
    }
    return out.sort((a, b) => a.ts - b.ts);
  }

  /**
   * The sample timestamps held with from <= ts <= to: a replay (after a reconnect or a restart)
   * may bundle samples already stored into a new batch, and a sample is stored once per timestamp.
   */
  heldTimestamps(from: number, to: number): Set<number> {
    const out = new Set<number>();
    for (const r of this.sql.exec<{ ts: number }>(
      "SELECT json_extract(s.value, '$.ts') AS ts FROM raw, json_each(raw.data) AS s WHERE raw.ts_max >= ? AND raw.ts_min <= ?",
      from,
      to,
    ))
      if (r.ts >= from && r.ts <= to) out.add(r.ts);
    return out;
  }

  /** The earliest sample time at or after t, or null. */
  nextTs(t: number): number | null {
    const row = this.sql.exec<{ m: number | null }>('SELECT min(ts_min) AS m FROM raw WHERE ts_max >= ?', t).one();
    return row.m === null ? null : Math.max(t, row.m);
  }

  maxTs(): number | null {
    const row = this.sql.exec<{ m: number | null }>('SELECT max(ts_max) AS m FROM raw').one();
    return row.m ?? null;
  }

  minTs(): number | null {
    const row = this.sql.exec<{ m: number | null }>('SELECT min(ts_min) AS m FROM raw').one();
    return row.m ?? null;
  }

  count(): number {
    return this.sql.exec<{ n: number }>('SELECT count(*) AS n FROM raw').one().n;
  }

  /** Deletes batches whose newest sample is past retention; returns rows deleted. */
  prune(now: number): number {
    return this.sql.exec('DELETE FROM raw WHERE ts_max < ?', now - RAW_RETENTION_MS).rowsWritten;
  }
}
