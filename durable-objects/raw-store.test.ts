// The raw tier's block store inside workerd: same answers as the samples say, rows written,
// retention by dropped tables, durability of waiting samples, the legacy table, bytes per point.
import { env, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { fullSample, pointsIn } from '../bench/full-sample.ts';
import type { Sample } from '../protocol/ingest.ts';
import { planRawFlush, rawHistory, rawHistoryTail } from './raw-history.ts';
import { RAW_BLOCK_MS, RawStore } from './raw-store.ts';
import { meteredSql, newMeter } from './sql-meter.ts';

const MIN = 60_000;
const HOUR = 3600_000;
let seq = 0;
/** A fresh object's storage, used directly (its own raw tier is never touched here). */
async function withSql<T>(fn: (sql: SqlStorage) => T | Promise<T>): Promise<T> {
  return runInDurableObject(env.HOSTS.getByName(`raw-store-test-${++seq}-${Date.now()}`), (_obj, state) => fn(state.storage.sql));
}

const json = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
/** Full samples every 5 s from `start` for `ms`. */
const stream = (start: number, ms: number, seed = 1) => Array.from({ length: ms / 5000 }, (_, i) => fullSample(start + i * 5000, seed));

/** The old semantics, over a plain list: what every query must still answer. */
function listStore(samples: Sample[]) {
  const sorted = [...samples].sort((a, b) => a.ts - b.ts);
  return {
    range: (from: number, to: number) => sorted.filter((s) => s.ts >= from && s.ts < to),
    metricValues: (metric: string, from: number, to: number) => sorted.filter((s) => s.ts >= from && s.ts < to && metric in s.metrics).map((s) => ({ ts: s.ts, value: s.metrics[metric]! })),
    nextTs: (t: number) => sorted.find((s) => s.ts >= t)?.ts ?? null,
    minTs: () => sorted[0]?.ts ?? null,
    maxTs: () => sorted.at(-1)?.ts ?? null,
  };
}

const BASE = Math.floor(Date.now() / HOUR) * HOUR - 6 * HOUR;

describe('RawStore', () => {
  it('answers range, metric values, history, tail and flush plans as the samples say, written or waiting', async () => {
    await withSql((sql) => {
      const store = new RawStore(sql);
      const samples = stream(BASE + 7 * MIN + 2500, 40 * MIN);
      // Sparse and custom samples, and a second sender's metrics at an existing timestamp.
      samples.push({ ts: BASE + 50 * MIN, metrics: { 'cpu.usage.total': 99.5, 'custom.q': [{ labels: { z: '1', a: 'x' }, value: 0.1 + 0.2 }] } });
      samples.push({ ts: BASE + 10 * MIN + 2500, metrics: { 'custom.q': [{ labels: { a: 'y' }, value: -3 }] } });
      const now = BASE + 48 * MIN; // the last windows still wait in memory
      for (const s of samples) store.add([s], now, false);
      const ref = listStore([...stream(BASE + 7 * MIN + 2500, 40 * MIN), ...samples.slice(-2)]);
      const merged = (xs: Sample[]) => json(xs).map((s) => ({ ...s, metrics: Object.fromEntries(Object.entries(s.metrics).sort()) }));
      const byTs = (xs: Sample[]) => {
        const m = new Map<number, Sample>();
        for (const s of xs) m.set(s.ts, { ts: s.ts, metrics: { ...(m.get(s.ts)?.metrics ?? {}), ...s.metrics } });
        return [...m.values()].sort((a, b) => a.ts - b.ts);
      };
      for (const [from, to] of [[BASE, BASE + HOUR], [BASE + 9 * MIN, BASE + 31 * MIN + 7], [BASE + 45 * MIN, BASE + 52 * MIN]] as const) {
        expect(merged(byTs(store.range(from, to)))).toEqual(merged(byTs(ref.range(from, to))));
        for (const metric of ['cpu.usage.total', 'cpu.cores.usage', 'disk.usage.used', 'custom.q', 'memory.total'])
          expect(json(store.metricValues(metric, from, to).map((v) => v.value))).toEqual(json(ref.metricValues(metric, from, to).map((v) => v.value)));
        for (const step of [5000, MIN, 7 * MIN]) {
          expect(rawHistory(store, 'cpu.cores.usage', from, to, step)).toEqual(rawHistory(ref as never, 'cpu.cores.usage', from, to, step));
          expect(rawHistoryTail(store, BASE + 20 * MIN, 'custom.q', from, to, step)).toEqual(rawHistoryTail(ref as never, BASE + 20 * MIN, 'custom.q', from, to, step));
        }
      }
      const plan = planRawFlush(store, { flushedUntil: BASE + 10 * MIN, dirtyFrom: null }, BASE + 46 * MIN, HOUR)!;
      const refPlan = planRawFlush(ref as never, { flushedUntil: BASE + 10 * MIN, dirtyFrom: null }, BASE + 46 * MIN, HOUR)!;
      expect(plan.rows1m).toEqual(refPlan.rows1m);
      expect(plan.rows5m).toEqual(refPlan.rows5m);
      expect([store.minTs(), store.maxTs()]).toEqual([ref.minTs(), ref.maxTs()]);
      // The late second sender's values went to a second row of their (already written) window.
      expect(store.count()).toBe(samples.length);
    });
  });

  it('writes one row per 5-minute window for a stream, and none for a replay', async () => {
    await withSql((sql) => {
      // What the runtime counts for creating a table (its schema row), measured, not assumed.
      const create = sql.exec('CREATE TABLE probe_create (a INTEGER)').rowsWritten;
      sql.exec('DROP TABLE probe_create');
      const meter = newMeter();
      const store = new RawStore(meteredSql(sql, meter));
      const first = stream(BASE, HOUR);
      for (const s of first) store.add([s], s.ts + 200, false);
      store.seal(BASE + HOUR + MIN);
      const series = pointsIn(first[0]!);
      // 12 windows + the series dictionary (once) + the hour's table.
      expect(meter.rowsWritten).toBe(12 + series + create);
      const before = meter.rowsWritten;
      for (const s of stream(BASE + HOUR, HOUR)) store.add([s], s.ts + 200, false);
      store.seal(BASE + 2 * HOUR + MIN);
      const hour2 = meter.rowsWritten - before;
      expect(hour2).toBe(12 + create);
      expect(store.layout().rows).toBe(24);
      // The same samples again (an agent replaying its spool): nothing new, nothing written.
      const again = meter.rowsWritten;
      for (const s of first) expect(store.add([s], BASE + 2 * HOUR + MIN, false)).toEqual([]);
      expect(meter.rowsWritten).toBe(again);
      // A restarted store knows them too (the index is rebuilt from the blocks).
      const restarted = new RawStore(meteredSql(sql, meter));
      expect(restarted.add(first.slice(0, 100), BASE + 2 * HOUR + MIN, true)).toEqual([]);
      expect(restarted.count()).toBe(2 * 720);
    });
  });

  it('writes at once when asked (the HTTP path), and loses only unwritten samples on restart', async () => {
    await withSql((sql) => {
      const store = new RawStore(sql);
      const w = Math.floor((BASE + 30 * MIN) / RAW_BLOCK_MS) * RAW_BLOCK_MS;
      const s = stream(w - 2 * MIN, 6 * MIN); // two windows: w-5min..w and w..w+5min
      for (const x of s.slice(0, 30)) store.add([x], x.ts + 100, false); // up to w + 30 s
      // The first window ended 10 s+ ago: written. The open one waits.
      expect(store.durableThrough()).toBe(w - 1);
      // A POST repeating a waiting stream sample stores nothing new, but its answer means durable.
      expect(store.add([s[29]!], s[29]!.ts + 100, true)).toEqual([]);
      expect(store.durableThrough()).toBe(s[29]!.ts);
      const durable = store.add([s[30]!], s[30]!.ts + 100, true); // a POST: its window is written now
      expect(durable).toHaveLength(1);
      expect(store.durableThrough()).toBe(s[30]!.ts);
      for (const x of s.slice(31, 40)) store.add([x], x.ts + 100, false);
      expect(store.durableThrough()).toBe(s[31]!.ts - 1);
      // Restart: what waited in memory is gone; everything at or before durableThrough is there.
      const after = new RawStore(sql);
      expect(after.durableThrough()).toBe(s[30]!.ts);
      expect(after.range(0, Infinity).map((x) => x.ts)).toEqual(s.slice(0, 31).map((x) => x.ts));
      // The sender replays all it still holds (and some it need not): each is stored once.
      const added = after.add(s.slice(20, 40), s[39]!.ts + 200, false);
      expect(added.map((x) => x.ts)).toEqual(s.slice(31, 40).map((x) => x.ts));
      after.writeAll();
      expect(json(new RawStore(sql).range(0, Infinity))).toEqual(json(s.slice(0, 40)));
    });
  });

  it('stores the new part of a sample whose timestamp is stored with other series', async () => {
    await withSql((sql) => {
      const store = new RawStore(sql);
      const ts = BASE + 3 * MIN;
      store.add([{ ts, metrics: { 'cpu.usage.total': 1, 'custom.a': [{ labels: { k: '1' }, value: 1 }] } }], ts, true);
      const added = store.add([{ ts, metrics: { 'cpu.usage.total': 2, 'custom.a': [{ labels: { k: '1' }, value: 5 }, { labels: { k: '2' }, value: 7 }] } }], ts, true);
      expect(added).toEqual([{ ts, metrics: { 'custom.a': [{ labels: { k: '2' }, value: 7 }] } }]);
      expect(store.metricValues('custom.a', 0, Infinity).flatMap((v) => v.value as { value: number }[]).map((v) => v.value).sort()).toEqual([1, 7]);
      expect(store.metricValues('cpu.usage.total', 0, Infinity)).toEqual([{ ts, value: 1 }]);
    });
  });

  it('drops whole hour tables past 24 h, never deleting rows one by one', async () => {
    await withSql((sql) => {
      const meter = newMeter();
      const store = new RawStore(meteredSql(sql, meter));
      for (let h = 0; h < 3; h++) for (const s of stream(BASE + h * HOUR, 10 * MIN)) store.add([s], s.ts, true);
      const tables = () => sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE name GLOB 'raw_h*' ORDER BY name").toArray().map((r) => r.name);
      expect(tables()).toHaveLength(3);
      const before = meter.rowsWritten;
      // 24 h after the end of the second hour: the first two are wholly past retention.
      expect(store.prune(BASE + 2 * HOUR + 24 * HOUR)).toBe(2);
      const dropWrites = meter.rowsWritten - before;
      expect(dropWrites).toBe(0); // the runtime bills a DROP TABLE as no rows written
      expect(tables()).toEqual([`raw_h${(BASE + 2 * HOUR) / HOUR}`]);
      expect(store.minTs()).toBe(BASE + 2 * HOUR);
      expect(new RawStore(sql).count()).toBe(120);
    });
  });

  it('moves the one-row-per-batch JSON table of earlier versions into blocks, then drops it', async () => {
    await withSql((sql) => {
      sql.exec('CREATE TABLE raw (batch_id TEXT PRIMARY KEY, ts_min INTEGER NOT NULL, ts_max INTEGER NOT NULL, received INTEGER NOT NULL, data TEXT NOT NULL) WITHOUT ROWID');
      const samples = stream(BASE, 30 * MIN, 4);
      for (let i = 0; i < samples.length; i += 3) {
        const b = samples.slice(i, i + 3);
        sql.exec('INSERT INTO raw VALUES (?, ?, ?, ?, ?)', `z-${1000 - i}`, b[0]!.ts, b.at(-1)!.ts, b.at(-1)!.ts + 50, JSON.stringify(b));
      }
      const store = new RawStore(sql);
      expect(sql.exec("SELECT count(*) AS n FROM sqlite_master WHERE name = 'raw'").one().n).toBe(0);
      expect(json(new RawStore(sql).range(0, Infinity))).toEqual(json(samples));
      expect(store.lastReceived()).toBe(samples.at(-1)!.ts + 50);
    });
  });

  it('keeps the benchmark full sample in at most 3 bytes per point on disk (database pages)', async () => {
    await withSql((sql) => {
      const store = new RawStore(sql);
      for (const s of stream(BASE - 12 * HOUR, HOUR)) store.add([s], s.ts + 100, false);
      store.seal(Infinity);
      const before = sql.databaseSize;
      const hours = 6;
      const samples = stream(BASE - 11 * HOUR, hours * HOUR, 9);
      for (const s of samples) store.add([s], s.ts + 100, false);
      store.seal(Infinity);
      const points = samples.reduce((a, s) => a + pointsIn(s), 0);
      const perPoint = (sql.databaseSize - before) / points;
      console.log(`raw tier: ${perPoint.toFixed(2)} bytes/point on disk (${hours} h of full samples, ${points} points)`);
      expect(perPoint).toBeLessThanOrEqual(3);
    });
  });
});
