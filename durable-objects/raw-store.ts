// The raw 5 s tier in the object's SQLite storage, as compressed column blocks
// (core/raw-codec.ts): one row per block window (5 minutes) holds every series of that window,
// in one table per hour (`raw_h<hour index>`), and retention drops whole tables, so a sample
// costs a fraction of a row written and no delete (SQLite storage bills rows written,
// docs/scaling.md). Each sample is stored once: a timestamp+series already stored is skipped.
//
// Durability (docs/architecture.md "Durability"): samples wait in memory, column by column,
// until their window ends; `add(..., durable)` writes the window's row at once (the HTTP path,
// whose answer means "stored"), and the stream path lets them wait and reports `durableThrough`,
// so its sender keeps them until then and replays them after an object restart.
import type { LabelledValue, Sample } from '../protocol/ingest.ts';
import { labelsKey, type Labels } from '../protocol/series.ts';
import { hourTables } from './hour-tables.ts';
import { blockPresence, decodeBlock, encodeBlock, type Block } from './core/raw-codec.ts';
import { BlockBuilder, blockMetricValues, blockToSamples, forEachSeries, type SeriesRef } from './core/raw-samples.ts';

export const RAW_RETENTION_MS = 24 * 3600_000;
/** One row per series group per this much time. */
export const RAW_BLOCK_MS = 5 * 60_000;
/** A window's row is final this long after the window ends (samples still in flight). */
export const RAW_SEAL_GRACE_MS = 10_000;
const TABLE_MS = 3600_000;

interface RowMeta {
  table: number;
  seq: number;
  tsMin: number;
  tsMax: number;
  n: number;
  received: number;
}

interface Pending {
  block: BlockBuilder;
  /** The row already holding this window's samples (rewritten on the next write), if any. */
  row: RowMeta | null;
  /** Earliest sample not yet written, or null when the row holds them all. */
  dirtyMin: number | null;
  received: number;
}

// The index: Math.floor of a validated integer timestamp, never text from a request.
const tableName = hourTables('raw_h', 'raw').name;

export class RawStore {
  private readonly ids = new Map<string, number>();
  private readonly refs = new Map<number, SeriesRef>();
  private readonly byMetric = new Map<string, Set<number>>();
  private nextId = 1;
  private readonly rows = new Map<number, RowMeta[]>();
  private readonly pending = new Map<number, Pending>();
  /** ts -> series stored at that time (shared sets), for the tables loaded so far. */
  private readonly index = new Map<number, ReadonlySet<number>>();
  private readonly indexed = new Set<number>();
  private readonly interned = new Map<string, ReadonlySet<number>>();
  /**
   * How much later than the grace this object seals an ended window (HostObject sets it from the
   * host's name, the same offset as its rollup flush): a fleet's objects would otherwise all
   * encode and write their window in the same few seconds after each 5-minute edge.
   */
  sealDelayMs = 0;

  constructor(
    private readonly sql: SqlStorage,
    private readonly blockMs = RAW_BLOCK_MS,
  ) {
    if (TABLE_MS % blockMs !== 0) throw new Error('a raw block must divide an hour');
    sql.exec('CREATE TABLE IF NOT EXISTS raw_series (id INTEGER PRIMARY KEY, metric TEXT NOT NULL, labels TEXT)');
    for (const r of sql.exec<{ id: number; metric: string; labels: string | null }>('SELECT id, metric, labels FROM raw_series'))
      this.register(r.id, r.metric, r.labels === null ? null : (JSON.parse(r.labels) as Labels));
    for (const t of sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB 'raw_h[0-9]*'")) {
      const table = Number(t.name.slice(5));
      const list: RowMeta[] = [];
      for (const r of sql.exec<{ seq: number; ts_min: number; ts_max: number; n: number; received: number }>(`SELECT seq, ts_min, ts_max, n, received FROM ${tableName(table)}`))
        list.push({ table, seq: r.seq, tsMin: r.ts_min, tsMax: r.ts_max, n: r.n, received: r.received });
      this.rows.set(table, list);
    }
    this.migrateLegacy();
  }

  private register(id: number, metric: string, labels: Labels | null) {
    const key = `${metric}\u0000${labels === null ? '#' : labelsKey(labels)}`;
    this.ids.set(key, id);
    this.refs.set(id, { metric, labels });
    let set = this.byMetric.get(metric);
    if (!set) this.byMetric.set(metric, (set = new Set()));
    set.add(id);
    if (id >= this.nextId) this.nextId = id + 1;
  }

  private idOf(metric: string, labels: Labels | null): number {
    const key = `${metric}\u0000${labels === null ? '#' : labelsKey(labels)}`;
    const id = this.ids.get(key);
    if (id !== undefined) return id;
    const fresh = this.nextId;
    const canonical = labels === null ? null : Object.fromEntries(Object.keys(labels).sort().map((k) => [k, labels[k]!]));
    this.sql.exec('INSERT INTO raw_series (id, metric, labels) VALUES (?, ?, ?)', fresh, metric, canonical === null ? null : JSON.stringify(canonical));
    this.register(fresh, metric, canonical);
    return fresh;
  }

  private readonly seriesOf = (id: number): SeriesRef => {
    const ref = this.refs.get(id);
    if (!ref) throw new Error(`raw series ${id} unknown`);
    return ref;
  };

  private windowOf(ts: number) {
    return Math.floor(ts / this.blockMs) * this.blockMs;
  }

  /** Loads the stored timestamps+series of one hour table into the dedup index (once). */
  private ensureIndexed(table: number) {
    if (this.indexed.has(table)) return;
    this.indexed.add(table);
    if (!this.rows.has(table)) return;
    for (const r of this.sql.exec<{ data: ArrayBuffer }>(`SELECT data FROM ${tableName(table)}`)) {
      const b = blockPresence(new Uint8Array(r.data));
      const per = b.ts.map(() => [] as number[]);
      for (const c of b.columns) for (const i of c.index) per[i]!.push(c.id);
      b.ts.forEach((ts, i) => this.noteStored(ts, per[i]!));
    }
  }

  private noteStored(ts: number, ids: number[]) {
    const have = this.index.get(ts);
    const all = have ? [...have, ...ids] : ids;
    const key = all.join(',');
    let set = this.interned.get(key);
    if (!set) {
      set = new Set(all);
      if (this.interned.size > 1000) this.interned.clear(); // bounded; sets stay shared where it matters
      this.interned.set(key, set);
    }
    this.index.set(ts, set);
  }

  /**
   * Adds samples, skipping every timestamp+series already stored; returns what was new (whole
   * samples, or the new part of one). `durable`: write the windows touched before returning;
   * otherwise only windows already complete are written and the rest wait (durableThrough).
   */
  add(samples: readonly Sample[], received: number, durable: boolean): Sample[] {
    const out: Sample[] = [];
    const touched = new Set<number>();
    for (const s of samples) {
      this.ensureIndexed(Math.floor(s.ts / TABLE_MS));
      const have = this.index.get(s.ts);
      // A repeat of a sample still waiting in memory: a durable add must still write it.
      const waiting = this.pending.get(this.windowOf(s.ts));
      if (durable && waiting && waiting.dirtyMin !== null) touched.add(this.windowOf(s.ts));
      const ids: number[] = [];
      const values: number[] = [];
      const metrics: Sample['metrics'] = {};
      let partial = false;
      forEachSeries(s, (metric, labels, value) => {
        const id = this.idOf(metric, labels);
        if (have?.has(id) || ids.includes(id)) {
          partial = true;
          return;
        }
        ids.push(id);
        values.push(value);
        if (labels === null) metrics[metric] = value;
        else ((metrics[metric] ??= []) as LabelledValue[]).push({ labels, value });
      });
      if (ids.length === 0) continue;
      const w = this.windowOf(s.ts);
      let p = this.pending.get(w);
      if (!p) this.pending.set(w, (p = { block: new BlockBuilder(), row: null, dirtyMin: null, received }));
      ids.forEach((id, i) => p.block.add(s.ts, id, values[i]!));
      p.dirtyMin = p.dirtyMin === null ? s.ts : Math.min(p.dirtyMin, s.ts);
      p.received = Math.max(p.received, received);
      this.noteStored(s.ts, ids);
      touched.add(w);
      out.push(partial ? { ts: s.ts, metrics } : s);
    }
    for (const w of touched) if (durable) this.write(w);
    this.seal(received);
    return out;
  }

  private complete(w: number, now: number) {
    return w + this.blockMs + RAW_SEAL_GRACE_MS + this.sealDelayMs <= now;
  }

  /** Writes a window's samples not yet written (one row written); returns rows written. */
  private write(w: number): number {
    const p = this.pending.get(w);
    if (!p || p.dirtyMin === null) return 0;
    const block = p.block.toBlock();
    const data = encodeBlock(block);
    const table = Math.floor(w / TABLE_MS);
    const name = tableName(table);
    let list = this.rows.get(table);
    if (!list) {
      this.sql.exec(`CREATE TABLE IF NOT EXISTS ${name} (seq INTEGER PRIMARY KEY, ts_min INTEGER NOT NULL, ts_max INTEGER NOT NULL, n INTEGER NOT NULL, received INTEGER NOT NULL, data BLOB NOT NULL)`);
      this.rows.set(table, (list = []));
    }
    const meta: RowMeta = { table, seq: p.row?.seq ?? list.reduce((m, r) => Math.max(m, r.seq), 0) + 1, tsMin: block.ts[0]!, tsMax: block.ts.at(-1)!, n: block.ts.length, received: p.received };
    this.sql.exec(`INSERT OR REPLACE INTO ${name} (seq, ts_min, ts_max, n, received, data) VALUES (?, ?, ?, ?, ?, ?)`, meta.seq, meta.tsMin, meta.tsMax, meta.n, meta.received, data.buffer);
    if (p.row) list[list.indexOf(p.row)] = meta;
    else list.push(meta);
    p.row = meta;
    p.dirtyMin = null;
    return 1;
  }

  /** Writes every window that has ended (plus grace) and forgets it; returns rows written. */
  seal(now: number): number {
    let n = 0;
    for (const w of [...this.pending.keys()]) {
      if (!this.complete(w, now)) continue;
      n += this.write(w);
      this.pending.delete(w);
    }
    return n;
  }

  /** Writes everything waiting, open windows included (tests, and a sender asking to be sure). */
  writeAll(): number {
    let n = 0;
    for (const w of this.pending.keys()) n += this.write(w);
    return n;
  }

  /**
   * Every sample with a timestamp at or before this is durably stored (of those received; null
   * when nothing is stored). Not monotonic: a replayed older sample waiting to be written lowers it.
   */
  durableThrough(): number | null {
    let min = Infinity;
    for (const p of this.pending.values()) if (p.dirtyMin !== null && p.dirtyMin < min) min = p.dirtyMin;
    return min === Infinity ? this.maxTs() : min - 1;
  }

  /** Rows whose samples are not held by a pending window (those are read from memory). */
  private storedRows(from: number, to: number): Map<number, RowMeta[]> {
    const open = new Set<RowMeta>();
    for (const p of this.pending.values()) if (p.row) open.add(p.row);
    const out = new Map<number, RowMeta[]>();
    for (const [table, list] of this.rows) {
      const hit = list.filter((r) => !open.has(r) && r.tsMax >= from && r.tsMin < to);
      if (hit.length) out.set(table, hit);
    }
    return out;
  }

  private *blocks(from: number, to: number, want?: (id: number) => boolean): Generator<Block> {
    for (const [table, hit] of this.storedRows(from, to)) {
      const seqs = new Set(hit.map((r) => r.seq));
      const rows = this.sql.exec<{ seq: number; data: ArrayBuffer }>(`SELECT seq, data FROM ${tableName(table)} WHERE ts_max >= ? AND ts_min < ?`, from, to);
      for (const r of rows) if (seqs.has(r.seq)) yield decodeBlock(new Uint8Array(r.data), want);
    }
    for (const [w, p] of this.pending) if (w + this.blockMs > from && w < to) yield p.block.toBlock(want);
  }

  /** Samples with from <= ts < to, in timestamp order. */
  range(from: number, to: number): Sample[] {
    const out: Sample[] = [];
    for (const b of this.blocks(from, to)) for (const s of blockToSamples(b, this.seriesOf)) if (s.ts >= from && s.ts < to) out.push(s);
    return out.sort((a, b) => a.ts - b.ts);
  }

  /**
   * One metric's values with from <= ts < to: a number, or the list of its labelled values.
   * Only that metric's columns are decoded.
   */
  metricValues(metric: string, from: number, to: number): { ts: number; value: number | LabelledValue[] }[] {
    const ids = this.byMetric.get(metric);
    if (!ids) return [];
    const out: { ts: number; value: number | LabelledValue[] }[] = [];
    for (const b of this.blocks(from, to, (id) => ids.has(id)))
      for (const s of blockToSamples(b, this.seriesOf)) if (s.ts >= from && s.ts < to && metric in s.metrics) out.push({ ts: s.ts, value: s.metrics[metric]! });
    return out.sort((a, b) => a.ts - b.ts);
  }

  /** A lower bound of the earliest sample time at or after t (exact for samples in memory), or null. */
  nextTs(t: number): number | null {
    let m = Infinity;
    for (const list of this.rows.values()) for (const r of list) if (r.tsMax >= t) m = Math.min(m, Math.max(t, r.tsMin));
    for (const p of this.pending.values()) {
      const x = p.block.minTs(t);
      if (x !== null) m = Math.min(m, x);
    }
    return m === Infinity ? null : m;
  }

  maxTs(): number | null {
    let m = -Infinity;
    for (const list of this.rows.values()) for (const r of list) m = Math.max(m, r.tsMax);
    for (const p of this.pending.values()) m = Math.max(m, p.block.maxTs() ?? -Infinity);
    return m === -Infinity ? null : m;
  }

  minTs(): number | null {
    let m = Infinity;
    for (const list of this.rows.values()) for (const r of list) m = Math.min(m, r.tsMin);
    for (const p of this.pending.values()) m = Math.min(m, p.block.minTs() ?? Infinity);
    return m === Infinity ? null : m;
  }

  /** Samples stored (a timestamp split over two rows counts twice). */
  count(): number {
    let n = 0;
    for (const r of this.storedRows(-Infinity, Infinity).values()) for (const x of r) n += x.n;
    for (const p of this.pending.values()) n += p.block.size;
    return n;
  }

  /** When the latest sample arrived (restored from storage after a restart), or null. */
  lastReceived(): number | null {
    let m = -Infinity;
    for (const list of this.rows.values()) for (const r of list) m = Math.max(m, r.received);
    for (const p of this.pending.values()) m = Math.max(m, p.received);
    return m === -Infinity ? null : m;
  }

  /** For tests and bench:cost: rows and tables of the raw tier. */
  layout() {
    let dirtyWindows = 0;
    for (const p of this.pending.values()) if (p.dirtyMin !== null) dirtyWindows++;
    return { tables: [...this.rows.keys()].sort((a, b) => a - b), rows: [...this.rows.values()].reduce((a, l) => a + l.length, 0), pendingWindows: this.pending.size, dirtyWindows };
  }

  /** Drops every hour table wholly past retention (no per-row deletes); returns tables dropped. */
  prune(now: number): number {
    const edge = now - RAW_RETENTION_MS;
    let dropped = 0;
    for (const table of [...this.rows.keys()]) {
      if ((table + 1) * TABLE_MS > edge) continue;
      this.sql.exec(`DROP TABLE IF EXISTS ${tableName(table)}`);
      this.rows.delete(table);
      this.indexed.delete(table);
      dropped++;
    }
    for (const ts of this.index.keys()) if (ts < Math.floor(edge / TABLE_MS) * TABLE_MS) this.index.delete(ts);
    for (const w of [...this.pending.keys()]) if (w + this.blockMs <= Math.floor(edge / TABLE_MS) * TABLE_MS) this.pending.delete(w);
    return dropped;
  }

  /**
   * The one-row-per-batch JSON table of earlier versions: its samples move into blocks, then it
   * is dropped (once per object; a few hundred rows written).
   */
  private migrateLegacy() {
    const legacy = this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'raw'").one().n;
    if (!legacy) return;
    let after = '';
    for (;;) {
      const rows = this.sql.exec<{ batch_id: string; data: string; received: number }>('SELECT batch_id, data, received FROM raw WHERE batch_id > ? ORDER BY batch_id LIMIT 200', after).toArray();
      if (rows.length === 0) break;
      for (const r of rows) this.add(JSON.parse(r.data) as Sample[], r.received, false);
      after = rows.at(-1)!.batch_id;
      let waiting = 0;
      for (const p of this.pending.values()) waiting += p.block.size;
      if (waiting > 2000) this.writeAll();
    }
    this.writeAll();
    this.sql.exec('DROP TABLE raw');
  }
}
