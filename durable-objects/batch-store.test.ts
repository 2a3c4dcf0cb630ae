// The service object's batch store inside workerd: one row written per batch, duplicates refused
// across hour tables and wall-clock hours, the same range/nextSec answers as the single-table
// store it replaced (kept below as the reference), pruning by dropped tables, and the upgrade of
// an object that still has the old `batches` table (directly and through a ServiceObject restart).
import { env, evictDurableObject, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { RouteSecondWire } from '../protocol/apm.ts';
import { serviceObjectName } from '../worker/types.ts';
import { LatencySketch } from './core/sketch.ts';
import { BatchStore, lastBatchReceived } from './service/batch-store.ts';
import { meteredSql, newMeter } from './sql-meter.ts';

const HOUR = 3600;
let seq = 0;
/** A fresh object's storage, used directly (its own tables are never touched here). */
async function withSql<T>(fn: (sql: SqlStorage) => T | Promise<T>): Promise<T> {
  return runInDurableObject(env.HOSTS.getByName(`batch-store-test-${++seq}-${Date.now()}`), (_obj, state) => fn(state.storage.sql));
}

/** The store before hour tables (main before this change), verbatim: the reference and the "before" rows. */
class LegacyBatchStore {
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
  insert(batchId: string, entries: readonly RouteSecondWire[], received: number): boolean {
    let min = Infinity;
    let max = -Infinity;
    for (const e of entries) {
      if (e.sec < min) min = e.sec;
      if (e.sec > max) max = e.sec;
    }
    return this.sql.exec('INSERT INTO batches (batch_id, sec_min, sec_max, received, data) VALUES (?, ?, ?, ?, ?) ON CONFLICT (batch_id) DO NOTHING', batchId, min, max, received, JSON.stringify(entries)).rowsWritten > 0;
  }
  *range(fromSec: number, toSec: number): Generator<RouteSecondWire> {
    for (const row of this.sql.exec<{ data: string }>('SELECT data FROM batches WHERE sec_max >= ? AND sec_min < ?', fromSec, toSec))
      for (const e of JSON.parse(row.data) as RouteSecondWire[]) if (e.sec >= fromSec && e.sec < toSec) yield e;
  }
  nextSec(sec: number): number | null {
    const row = this.sql.exec<{ s: number | null }>('SELECT min(sec_min) AS s FROM batches WHERE sec_max >= ?', sec).toArray()[0];
    return row?.s == null ? null : Math.max(row.s, sec);
  }
  prune(sec: number): number {
    return this.sql.exec('DELETE FROM batches WHERE sec_max < ?', sec).rowsWritten;
  }
}

const sketch = new LatencySketch();
sketch.add(12);
const wire = sketch.toWire();
const entry = (sec: number, route = '/a', count = 1): RouteSecondWire => ({ sec, route, count, errors: 0, sketch: wire });
/** A batch of one export: its seconds `from` .. `from + n - 1`. */
const batch = (from: number, n = 5) => Array.from({ length: n }, (_, i) => entry(from + i, i % 2 ? '/b' : '/a', i + 1));

const tables = (sql: SqlStorage) => sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB 'batches*' ORDER BY name").toArray().map((r) => r.name);
const sorted = (xs: Iterable<RouteSecondWire>) => [...xs].map((e) => JSON.stringify(e)).sort();

// Hour-aligned, 6 hours back (the store does not look at the clock; received is only stored).
const H0 = Math.floor(Date.now() / 1000 / HOUR) * HOUR - 6 * HOUR;

describe('BatchStore', () => {
  it('writes one row per batch and deletes none: an export every 5 s for an hour, then pruned (old store: 3 a batch)', async () => {
    const measure = (make: (sql: SqlStorage) => LegacyBatchStore | BatchStore) =>
      withSql((raw) => {
        const meter = newMeter();
        const store = make(meteredSql(raw, meter));
        store.insert('warm', batch(H0 - 10), 0); // the table exists (old: made at construction)
        const before = meter.rowsWritten;
        const per: number[] = [];
        for (let i = 0; i < 720; i++) {
          const w = meter.rowsWritten;
          expect(store.insert(`b${i}`, batch(H0 + HOUR + i * 5), 0)).toBe(true);
          per.push(meter.rowsWritten - w);
        }
        const inserted = meter.rowsWritten - before;
        const p = meter.rowsWritten;
        store.prune(H0 + 3 * HOUR);
        return { per, inserted, pruned: meter.rowsWritten - p, writtenBy: meter.writtenBy };
      });
    const old = await measure((sql) => new LegacyBatchStore(sql));
    expect(new Set(old.per)).toEqual(new Set([2])); // the row and its sec_max index entry
    expect(old.pruned).toBe(721); // a delete counts 1 (with the warm-up batch)
    const now = await measure((sql) => new BatchStore(sql));
    // The hour's first batch opens its table (CREATE TABLE: 2 rows); every other one is 1 row.
    expect(now.per[0]).toBe(3);
    expect(new Set(now.per.slice(1))).toEqual(new Set([1]));
    expect(now.inserted).toBe(722);
    expect(now.pruned).toBe(0); // DROP TABLE
    expect(now.writtenBy).toEqual({ 'CREATE TABLE batches_h*': 4, 'INSERT batches_h*': 721 }); // two hours: warm-up's and the run's
    console.log(`batch rows written per export over an hour: old ${(old.inserted + (old.pruned * 720) / 721) / 720}, new ${(now.inserted + now.pruned) / 720}; by cause old ${JSON.stringify(old.writtenBy)}, new ${JSON.stringify(now.writtenBy)}`);
  });

  it('refuses a duplicate in the same hour, after the wall clock passed an hour, with fewer entries, and after a restart', async () => {
    await withSql((sql) => {
      const store = new BatchStore(sql);
      const straddle = [entry(H0 + HOUR - 2), entry(H0 + HOUR - 1), entry(H0 + HOUR), entry(H0 + HOUR + 1)];
      const received = (H0 + HOUR - 1) * 1000;
      expect(store.insert('x', batch(H0 + 100), received)).toBe(true);
      expect(store.insert('s', straddle, received)).toBe(true);
      expect(store.insert('x', batch(H0 + 100), received + 5000)).toBe(false);
      // Later batches open the next hour's table; the retries come after the wall clock's hour.
      expect(store.insert('y', batch(H0 + HOUR + 10), received + 60_000)).toBe(true);
      expect(store.layout()).toEqual([H0 / HOUR, H0 / HOUR + 1]);
      expect(store.insert('x', batch(H0 + 100), received + 2 * HOUR * 1000)).toBe(false);
      expect(store.insert('s', straddle, received + 2 * HOUR * 1000)).toBe(false);
      // A retry whose earlier seconds the service dropped meanwhile starts in the next hour.
      expect(store.insert('s', straddle.slice(2), received + 10 * 60_000)).toBe(false);
      expect(store.insert('y', batch(H0 + HOUR + 10), received + 70_000)).toBe(false);
      // A batch without entries is kept (its table: the hour received), so its retry is refused too.
      expect(store.insert('e', [], received)).toBe(true);
      expect(store.insert('e', [], received + 5000)).toBe(false);
      expect(store.insert('e', [], received + 2 * HOUR * 1000)).toBe(false);
      expect(store.count()).toBe(4);
      const again = new BatchStore(sql);
      expect(again.count()).toBe(4);
      expect(again.insert('e', [], received + 2 * HOUR * 1000)).toBe(false);
      expect(again.insert('s', straddle, received)).toBe(false);
      expect(again.insert('y', batch(H0 + HOUR + 10), received)).toBe(false);
      expect(lastBatchReceived(sql)).toBe(received + 60_000); // 'y', the latest stored
      expect(again.insert('z', batch(H0 + HOUR + 20), received)).toBe(true);
      expect(sorted(again.range(H0, H0 + 2 * HOUR))).toEqual(sorted([...batch(H0 + 100), ...straddle, ...batch(H0 + HOUR + 10), ...batch(H0 + HOUR + 20)]));
    });
  });

  it('answers range and nextSec as the single-table store did, across hour tables and a batch straddling an hour; prunes whole tables', async () => {
    let rnd = 7;
    const next = () => (rnd = (rnd * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const batches: [string, RouteSecondWire[]][] = [];
    for (let i = 0; i < 120; i++) batches.push([`r${i}`, batch(H0 + Math.floor(next() * 3 * HOUR), 1 + Math.floor(next() * 8))]);
    batches.push(['straddle', [entry(H0 + HOUR - 1), entry(H0 + 2 * HOUR + 30)]]); // seconds two tables on
    batches.push(['late', [entry(H0 + 2 * HOUR + 5), entry(H0 + 10)]]); // a batch's seconds in any order
    batches.push(['empty', []]); // stored, read by nothing, received in hour 0
    const probes = [H0 - 5, H0, H0 + 10, H0 + 11, H0 + HOUR - 1, H0 + HOUR, H0 + HOUR + 1, H0 + 2 * HOUR, H0 + 2 * HOUR + 29, H0 + 2 * HOUR + 30, H0 + 2 * HOUR + 31, H0 + 3 * HOUR + 8, H0 + 4 * HOUR];
    for (let i = 0; i < 20; i++) probes.push(H0 + Math.floor(next() * 3.1 * HOUR));
    // Cut inside hour 1 (hour 0's table holds the straddling batch, to hour 2), then past its end.
    const cuts = [H0 + HOUR + 1800, H0 + 2 * HOUR + 31];
    /** Every answer a caller can get (from the last prune cut on), per store, each in its own object. */
    const answers = (make: (sql: SqlStorage) => LegacyBatchStore | BatchStore) =>
      withSql((sql) => {
        const store = make(sql);
        const out: unknown[] = [];
        for (const [id, es] of batches) out.push(store.insert(id, es, H0 * 1000 + 5));
        for (const from of [-Infinity, ...cuts]) {
          if (from !== -Infinity) store.prune(from);
          for (const a of probes) {
            if (a < from) continue;
            out.push(store.nextSec(a));
            for (const b of probes) if (b > a) out.push(sorted(store.range(a, b)));
          }
        }
        return out;
      });
    const ref = await answers((sql) => new LegacyBatchStore(sql));
    expect(await answers((sql) => new BatchStore(sql))).toEqual(ref);

    await withSql((sql) => {
      const store = new BatchStore(sql);
      for (const [id, es] of batches) store.insert(id, es, H0 * 1000 + 5);
      expect(store.count()).toBe(batches.length);
      expect(store.layout()).toEqual([H0 / HOUR, H0 / HOUR + 1, H0 / HOUR + 2]);
      expect(store.prune(cuts[0]!)).toBe(0); // nothing wholly before it: hour 0 reaches hour 2
      expect(store.layout()).toEqual([H0 / HOUR, H0 / HOUR + 1, H0 / HOUR + 2]);
      const kept = batches.filter(([, es]) => Math.floor(Math.min(...es.map((e) => e.sec)) / HOUR) === H0 / HOUR + 2).length;
      expect(store.prune(cuts[1]!)).toBe(batches.length - kept); // hours 0 and 1; hour 2 has later seconds
      expect(store.count()).toBe(kept);
      expect(tables(sql)).toEqual([`batches_h${H0 / HOUR + 2}`]);
      expect(store.prune(H0 + 4 * HOUR)).toBe(kept);
      expect(tables(sql)).toEqual([]);
      expect(store.nextSec(H0)).toBe(null);
      expect([...store.range(0, Number.MAX_SAFE_INTEGER)]).toEqual([]);
    });
  });

  it('moves an old `batches` table into hour tables at construction, keeping every batch, and drops it', async () => {
    await withSql((raw) => {
      const old = new LegacyBatchStore(raw);
      const batches: [string, RouteSecondWire[]][] = [
        ['a', batch(H0 + 5)],
        ['b', batch(H0 + HOUR - 2)], // straddles into hour 1
        ['c', batch(H0 + HOUR + 100)],
        ['d', batch(H0 + 3 * HOUR)],
        ['e', []], // stored with an infinite sec_min: moves to its received hour (1)
      ];
      for (const [id, es] of batches) old.insert(id, es, (H0 + HOUR + 7) * 1000);
      old.insert('f', batch(H0 + 20), (H0 + HOUR + 9) * 1000); // the latest received
      batches.push(['f', batch(H0 + 20)]);
      expect(lastBatchReceived(raw)).toBe((H0 + HOUR + 9) * 1000); // read before the move too
      const meter = newMeter();
      const store = new BatchStore(meteredSql(raw, meter));
      expect(tables(raw)).toEqual([0, 1, 3].map((h) => `batches_h${H0 / HOUR + h}`));
      expect(raw.exec("SELECT count(*) AS n FROM sqlite_master WHERE name = 'batches_sec_max'").one().n).toBe(0);
      expect(meter.rowsWritten).toBe(6 + 3 * 2); // a row per batch moved, two per table created
      expect(store.count()).toBe(6);
      expect(lastBatchReceived(raw)).toBe((H0 + HOUR + 9) * 1000);
      const all = batches.flatMap(([, es]) => es);
      expect(sorted(store.range(0, Number.MAX_SAFE_INTEGER))).toEqual(sorted(all));
      expect(sorted(store.range(H0 + HOUR, H0 + HOUR + 2))).toEqual(sorted(batches[1]![1].filter((e) => e.sec >= H0 + HOUR && e.sec < H0 + HOUR + 2)));
      expect(store.nextSec(H0 + HOUR)).toBe(H0 + HOUR);
      expect(store.nextSec(H0 + HOUR + 3)).toBe(H0 + HOUR + 100);
      for (const [id, es] of batches) expect(store.insert(id, es, (H0 + 2 * HOUR) * 1000)).toBe(false);
      expect(raw.exec<{ received: number }>(`SELECT received FROM batches_h${H0 / HOUR} WHERE batch_id = 'a'`).one().received).toBe((H0 + HOUR + 7) * 1000);
      expect(raw.exec(`SELECT count(*) AS n FROM batches_h${H0 / HOUR + 1} WHERE batch_id = 'e'`).one().n).toBe(1);
      // Once: a second construction finds nothing to move.
      const m2 = newMeter();
      expect(new BatchStore(meteredSql(raw, m2)).count()).toBe(6);
      expect(m2.rowsWritten).toBe(0);
    });
  });

  it('a service object that restarts with the old table keeps its unflushed seconds', async () => {
    const name = serviceObjectName(`batch-upgrade-${Date.now()}`, 'svc');
    const stub = env.SERVICES.getByName(name);
    const now = Math.floor(Date.now() / 1000);
    await runInDurableObject(stub, (_obj, state) => {
      const sql = state.storage.sql;
      for (const t of tables(sql)) sql.exec(`DROP TABLE ${t}`); // as an object of the old version left it
      const old = new LegacyBatchStore(sql);
      old.insert('one', [entry(now - 30, '/a', 3), entry(now - 29, '/a', 4)], Date.now());
      old.insert('two', [entry(now - 10, '/b', 5)], Date.now());
    });
    await evictDurableObject(stub);
    expect((await stub.stats()).batches).toBe(2);
    await runInDurableObject(stub, (_obj, state) => expect(tables(state.storage.sql).every((t) => t.startsWith('batches_h'))).toBe(true));
    const tail = await stub.unflushed((now - 60) * 1000, (now + 1) * 1000, 60_000, '1m');
    expect(tail.reduce((n, r) => n + r.requests, 0)).toBe(12);
  });
});
