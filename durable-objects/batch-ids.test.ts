// The OTLP metrics batch ids inside workerd: one row written per new id and none for a duplicate
// (the single table it replaced, kept below as the "before", wrote a row and deleted it), retries
// refused across hours and for at least KEEP_BATCH_IDS_MS, pruning by dropped tables, and the
// upgrade of an object that still has the old `metric_batches` table (directly and through a
// ServiceObject restart).
import { env, evictDurableObject, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { ServiceMetricsBatch } from '../protocol/apm-metrics.ts';
import { serviceObjectName } from '../worker/types.ts';
import { BatchIds } from './service/batch-ids.ts';
import { KEEP_BATCH_IDS_MS } from './service/metrics.ts';
import { meteredSql, newMeter, statementCause } from './sql-meter.ts';

const HOUR_MS = 3600_000;
let seq = 0;
/** A fresh object's storage, used directly (its own tables are never touched here). */
async function withSql<T>(fn: (sql: SqlStorage) => T | Promise<T>): Promise<T> {
  return runInDurableObject(env.HOSTS.getByName(`batch-ids-test-${++seq}-${Date.now()}`), (_obj, state) => fn(state.storage.sql));
}

/** ServiceMetrics' batch ids before hour tables (main before this change): the "before" rows. */
class LegacyBatchIds {
  constructor(private readonly sql: SqlStorage) {
    sql.exec('CREATE TABLE IF NOT EXISTS metric_batches (batch_id TEXT PRIMARY KEY, received INTEGER NOT NULL) WITHOUT ROWID');
  }
  add(batchId: string, now: number): boolean {
    return this.sql.exec('INSERT INTO metric_batches (batch_id, received) VALUES (?, ?) ON CONFLICT (batch_id) DO NOTHING', batchId, now).rowsWritten > 0;
  }
  prune(now: number) {
    this.sql.exec('DELETE FROM metric_batches WHERE received < ?', now - KEEP_BATCH_IDS_MS);
  }
}

const tables = (sql: SqlStorage) => sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB 'metric_batches*' ORDER BY name").toArray().map((r) => r.name);

// Hour-aligned, 6 hours back (the store reads no clock: `now` is passed in).
const T0 = Math.floor(Date.now() / HOUR_MS) * HOUR_MS - 6 * HOUR_MS;
const H0 = T0 / HOUR_MS;

describe('BatchIds', () => {
  it('writes one row per new id, none for a duplicate, and deletes none: an export every 5 s for an hour, pruned every 10 min (old: 2 an export)', async () => {
    const measure = (make: (sql: SqlStorage) => LegacyBatchIds | BatchIds) =>
      withSql((raw) => {
        const meter = newMeter();
        const ids = make(meteredSql(raw, meter));
        // Warm-up: the previous hour's last 20 minutes, so the run's prunes have ids to forget.
        for (let t = T0 + HOUR_MS - 20 * 60_000; t < T0 + HOUR_MS; t += 5000) ids.add(`w${t}`, t);
        const before = meter.rowsWritten;
        const per: number[] = [];
        let dup = 0;
        let pruned = 0;
        for (let i = 0; i < 720; i++) {
          const now = T0 + HOUR_MS + i * 5000;
          let w = meter.rowsWritten;
          expect(ids.add(`b${i}`, now)).toBe(true);
          per.push(meter.rowsWritten - w);
          w = meter.rowsWritten;
          expect(ids.add(`b${i}`, now + 1000)).toBe(false); // the SDK's retry
          dup += meter.rowsWritten - w;
          if (i % 120 === 119) {
            w = meter.rowsWritten;
            ids.prune(now);
            pruned += meter.rowsWritten - w;
          }
        }
        return { per, dup, pruned, total: meter.rowsWritten - before, writtenBy: meter.writtenBy };
      });
    const old = await measure((sql) => new LegacyBatchIds(sql));
    expect(new Set(old.per)).toEqual(new Set([1]));
    expect(old.dup).toBe(0);
    // A delete per id received before the last prune's cut: the warm-up's 240 and the run's first ones.
    const cut = T0 + HOUR_MS + 719 * 5000 - KEEP_BATCH_IDS_MS;
    expect(old.pruned).toBe(240 + Math.ceil((cut - T0 - HOUR_MS) / 5000));
    const now = await measure((sql) => new BatchIds(sql, KEEP_BATCH_IDS_MS));
    // The hour's first id opens its table (CREATE TABLE: 2 rows); every other one is 1 row.
    expect(now.per[0]).toBe(3);
    expect(new Set(now.per.slice(1))).toEqual(new Set([1]));
    expect(now.dup).toBe(0);
    expect(now.pruned).toBe(0); // the warm-up's table dropped (DROP TABLE), nothing deleted
    expect(now.total).toBe(722);
    expect(now.writtenBy).toEqual({ 'CREATE TABLE metric_batches_h*': 4, 'INSERT metric_batches_h*': 960 }); // warm-up's hour and the run's
    // Per export: old, its insert and (once past KEEP) its delete; new, its insert and 2 rows an hour.
    console.log(`metric batch id rows written per export over an hour: old ${(old.total - old.pruned) / 720} + 1 delete, new ${now.total / 720}; by cause old ${JSON.stringify(old.writtenBy)}, new ${JSON.stringify(now.writtenBy)}`);
  });

  it('refuses a duplicate in the same hour and when retried after the received hour changed, also after a restart', async () => {
    await withSql((sql) => {
      const ids = new BatchIds(sql, KEEP_BATCH_IDS_MS);
      const late = T0 + HOUR_MS - 2000; // two seconds before hour H0 + 1
      expect(ids.add('x', late)).toBe(true);
      expect(ids.add('x', late + 1000)).toBe(false);
      expect(ids.add('y', late + 5000)).toBe(true); // opens the next hour's table
      expect(ids.layout()).toEqual([H0, H0 + 1]);
      expect(ids.add('x', late + 5000)).toBe(false); // in the earlier table
      expect(ids.add('x', late + 10 * 60_000)).toBe(false);
      expect(ids.add('y', late + 6000)).toBe(false);
      expect(ids.add('z', late + 7000)).toBe(true);
      const again = new BatchIds(sql, KEEP_BATCH_IDS_MS);
      expect(again.layout()).toEqual([H0, H0 + 1]);
      for (const id of ['x', 'y', 'z']) expect(again.add(id, late + 15 * 60_000)).toBe(false);
      // A clock that went back an hour still finds the later table's ids (and opens no table).
      expect(again.add('y', late - HOUR_MS)).toBe(false);
      expect(tables(sql)).toEqual([H0, H0 + 1].map((h) => `metric_batches_h${h}`));
    });
  });

  it('still refuses an id KEEP_BATCH_IDS_MS after it came, forgets it only once its table is dropped; prune drops nothing newer', async () => {
    await withSql((sql) => {
      const ids = new BatchIds(sql, KEEP_BATCH_IDS_MS);
      const last = T0 + HOUR_MS - 1; // hour H0's last millisecond: the shortest-kept id
      expect(ids.add('first', T0)).toBe(true);
      expect(ids.add('last', last)).toBe(true);
      expect(ids.add('next', T0 + HOUR_MS)).toBe(true);
      expect(ids.add('later', T0 + 2 * HOUR_MS + 5)).toBe(true);
      const end = T0 + HOUR_MS + KEEP_BATCH_IDS_MS; // hour H0 ended KEEP ago
      for (const t of [T0 + KEEP_BATCH_IDS_MS, last + KEEP_BATCH_IDS_MS, end]) {
        expect(ids.prune(t)).toBe(0);
        expect(ids.layout()).toEqual([H0, H0 + 1, H0 + 2]);
      }
      expect(ids.add('last', last + KEEP_BATCH_IDS_MS)).toBe(false);
      expect(ids.add('first', end)).toBe(false);
      expect(ids.prune(end + 1)).toBe(1); // hour H0 only
      expect(ids.layout()).toEqual([H0 + 1, H0 + 2]);
      expect(tables(sql)).toEqual([`metric_batches_h${H0 + 1}`, `metric_batches_h${H0 + 2}`]);
      expect(ids.add('next', end + 1)).toBe(false);
      expect(ids.add('later', end + 1)).toBe(false);
      // Forgotten: the same id is new again (stored in the current hour's table).
      expect(ids.add('last', end + 1)).toBe(true);
      expect(ids.add('first', end + 2)).toBe(true);
      expect(ids.prune(T0 + 2 * HOUR_MS + KEEP_BATCH_IDS_MS + 1)).toBe(1); // H0 + 1; H0 + 2 holds 'later'
      expect(ids.layout()).toEqual([H0 + 2]);
      expect(ids.add('later', T0 + 3 * HOUR_MS + KEEP_BATCH_IDS_MS)).toBe(false);
      expect(ids.prune(T0 + 3 * HOUR_MS + KEEP_BATCH_IDS_MS + 1)).toBe(1);
      expect(ids.layout()).toEqual([]);
      expect(ids.add('later', T0 + 3 * HOUR_MS + KEEP_BATCH_IDS_MS + 2)).toBe(true); // opens hour H0 + 3
      expect(ids.layout()).toEqual([H0 + 3]);
      expect(ids.prune(T0 + 10 * HOUR_MS)).toBe(1);
      expect(tables(sql)).toEqual([]);
    });
  });

  it('moves an old `metric_batches` table into the tables of its ids received hours at construction, keeping every id, and drops it', async () => {
    await withSql((raw) => {
      const old = new LegacyBatchIds(raw);
      const stored: [string, number][] = [
        ['a', T0 + 5],
        ['b', T0 + HOUR_MS - 1],
        ['c', T0 + HOUR_MS],
        ['d', T0 + HOUR_MS + 600_000],
        ['e', T0 + 3 * HOUR_MS + 1],
      ];
      for (const [id, t] of stored) old.add(id, t);
      const meter = newMeter();
      const ids = new BatchIds(meteredSql(raw, meter), KEEP_BATCH_IDS_MS);
      expect(tables(raw)).toEqual([0, 1, 3].map((h) => `metric_batches_h${H0 + h}`));
      expect(meter.rowsWritten).toBe(5 + 3 * 2); // a row per id moved, two per table created
      expect(raw.exec<{ received: number }>(`SELECT received FROM metric_batches_h${H0 + 1} WHERE batch_id = 'd'`).one().received).toBe(T0 + HOUR_MS + 600_000);
      for (const [id, t] of stored) expect(ids.add(id, t + 60_000)).toBe(false);
      // Once: a second construction finds nothing to move.
      const m2 = newMeter();
      const again = new BatchIds(meteredSql(raw, m2), KEEP_BATCH_IDS_MS);
      expect(m2.rowsWritten).toBe(0);
      for (const [id] of stored) expect(again.add(id, T0 + 3 * HOUR_MS + 2)).toBe(false);
    });
  });

  it('a service object that restarts with the old table still refuses its ids', async () => {
    const name = serviceObjectName(`batch-ids-upgrade-${Date.now()}`, 'svc');
    const stub = env.SERVICES.getByName(name);
    const now = Date.now();
    await runInDurableObject(stub, (_obj, state) => {
      const sql = state.storage.sql;
      for (const t of tables(sql)) sql.exec(`DROP TABLE ${t}`); // as an object of the old version left it
      new LegacyBatchIds(sql).add('seen', now - 60_000);
    });
    await evictDurableObject(stub);
    const batch = (batchId: string): ServiceMetricsBatch => ({ batchId, service: 'svc', hosts: [], durations: [], samples: [], catalog: [] });
    expect((await stub.ingestMetrics('t', batch('seen'), now)).duplicate).toBe(true);
    expect((await stub.ingestMetrics('t', batch('fresh'), now)).duplicate).toBe(false);
    expect((await stub.ingestMetrics('t', batch('fresh'), now + 5000)).duplicate).toBe(true);
    await runInDurableObject(stub, (_obj, state) => expect(tables(state.storage.sql).every((t) => t.startsWith('metric_batches_h'))).toBe(true));
  });

  it('folds the hour tables in the cost meter', () => {
    expect(statementCause('INSERT INTO metric_batches_h493123 (batch_id, received) VALUES (?, ?)')).toBe('INSERT metric_batches_h*');
    expect(statementCause('CREATE TABLE IF NOT EXISTS metric_batches_h7 (batch_id TEXT PRIMARY KEY)')).toBe('CREATE TABLE metric_batches_h*');
    expect(statementCause('INSERT INTO metric_batches (batch_id) VALUES (?)')).toBe('INSERT metric_batches');
    expect(statementCause('INSERT INTO batches_h12 (batch_id) VALUES (?)')).toBe('INSERT batches_h*');
  });
});
