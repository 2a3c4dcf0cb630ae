// The raw tier's block format: a run of samples stored column by column, one column per series.
// Timestamps and values are delta-of-delta encoded; a column of decimal values (the agent sends
// 2 decimals) is stored as scaled integers, bit-packed at the width its largest delta-of-delta
// needs. Lossless: a value decodes to the same double (as the old JSON rows did; -0 becomes 0, as
// in JSON), and a column where scaling would not round-trip is stored as raw float64.
//
// Layout (all integers are LEB128 varints, signed ones zigzagged):
//   version(1) n | ts[0] zz(ts[1]-ts[0]) zz(dod)... | S | S x (zz(id - prevId), columnBytes) | columns
// Column: flags (bit 0: present in every sample, bits 1-2: mode), [presence bitmap], then
//   mode DEC: k, zz(first), [zz(firstDelta), width, packed zz(dod) x (m-2)]  (value = int / 10^k)
//   mode F64: m x 8 bytes little-endian
const VERSION = 1;
const MODE_DEC = 0;
const MODE_F64 = 1;
const MAX_SCALE = 12;
const TWO32 = 2 ** 32;
/** Scaled integers stay below 2^51, so every delta and delta-of-delta is exact in a double. */
const INT_LIMIT = 2 ** 51;
const POW10 = Array.from({ length: MAX_SCALE + 1 }, (_, k) => 10 ** k);

/** One series' values in a block: sample indexes (ascending) and their values. */
export interface Column {
  id: number;
  index: number[];
  values: number[];
}

export interface Block {
  ts: number[];
  columns: Column[];
}

class Writer {
  buf = new Uint8Array(1024);
  len = 0;
  private bitAcc = 0;
  private bitLen = 0;

  private ensure(n: number) {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  byte(b: number) {
    this.ensure(1);
    this.buf[this.len++] = b;
  }
  /** Unsigned varint of a non-negative safe integer (arithmetic, not 32-bit bit operations). */
  uvar(v: number) {
    this.ensure(8);
    while (v >= 128) {
      this.buf[this.len++] = (v % 128) | 128;
      v = Math.floor(v / 128);
    }
    this.buf[this.len++] = v;
  }
  bytes(b: Uint8Array) {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  /** Appends v (< 2^32) in `width` bits, least significant first. */
  bits(v: number, width: number) {
    while (width > 0) {
      const take = Math.min(width, 8 - this.bitLen);
      const part = v % 2 ** take;
      this.bitAcc |= part << this.bitLen;
      this.bitLen += take;
      width -= take;
      v = Math.floor(v / 2 ** take);
      if (this.bitLen === 8) this.flushBits();
    }
  }
  flushBits() {
    if (this.bitLen === 0) return;
    this.byte(this.bitAcc);
    this.bitAcc = 0;
    this.bitLen = 0;
  }
  done(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

class Reader {
  pos = 0;
  private bitAcc = 0;
  private bitLen = 0;
  constructor(private readonly buf: Uint8Array) {}
  byte(): number {
    if (this.pos >= this.buf.length) throw new Error('raw block truncated');
    return this.buf[this.pos++]!;
  }
  uvar(): number {
    let v = 0;
    let mul = 1;
    for (;;) {
      const b = this.byte();
      v += (b & 127) * mul;
      if (b < 128) return v;
      mul *= 128;
    }
  }
  bits(width: number): number {
    let v = 0;
    let mul = 1;
    while (width > 0) {
      if (this.bitLen === 0) {
        this.bitAcc = this.byte();
        this.bitLen = 8;
      }
      const take = Math.min(width, this.bitLen);
      v += (this.bitAcc & ((1 << take) - 1)) * mul;
      this.bitAcc >>>= take;
      this.bitLen -= take;
      mul *= 2 ** take;
      width -= take;
    }
    return v;
  }
  alignBits() {
    this.bitLen = 0;
    this.bitAcc = 0;
  }
  sub(n: number): Uint8Array {
    if (this.pos + n > this.buf.length) throw new Error('raw block truncated');
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}

const zz = (v: number) => (v >= 0 ? v * 2 : -v * 2 - 1);
const unzz = (u: number) => (u % 2 === 0 ? u / 2 : -(u + 1) / 2);

/** The smallest k with every value exactly int / 10^k (|int| < 2^51), or -1. */
function decimalScale(values: readonly number[]): number {
  outer: for (let k = 0; k <= MAX_SCALE; k++) {
    const p = POW10[k]!;
    for (const v of values) {
      const n = Math.round(v * p);
      if (!(Math.abs(n) < INT_LIMIT) || n / p !== v) continue outer;
    }
    return k;
  }
  return -1;
}

const bitWidth = (v: number) => (v === 0 ? 0 : Math.floor(Math.log2(v)) + 1);

function encodeInts(w: Writer, ints: number[]): boolean {
  const m = ints.length;
  const first = zz(ints[0]!);
  if (!Number.isSafeInteger(first)) return false;
  if (m === 1) {
    w.uvar(first);
    return true;
  }
  const d1 = ints[1]! - ints[0]!;
  const dods: number[] = [];
  let max = 0;
  for (let i = 2; i < m; i++) {
    const u = zz(ints[i]! - ints[i - 1]! - (ints[i - 1]! - ints[i - 2]!));
    if (!(u < TWO32)) return false;
    if (u > max) max = u;
    dods.push(u);
  }
  if (!Number.isSafeInteger(zz(d1))) return false;
  w.uvar(first);
  w.uvar(zz(d1));
  const width = bitWidth(max);
  w.byte(width);
  for (const u of dods) w.bits(u, width);
  w.flushBits();
  return true;
}

function encodeColumn(n: number, col: Column): Uint8Array {
  const w = new Writer();
  const m = col.values.length;
  const all = m === n;
  const k = decimalScale(col.values);
  const ints = k >= 0 ? col.values.map((v) => Math.round(v * POW10[k]!)) : null;
  const dec = new Writer();
  const decOk = ints !== null && (dec.uvar(k), encodeInts(dec, ints));
  w.byte((all ? 1 : 0) | ((decOk ? MODE_DEC : MODE_F64) << 1));
  if (!all) {
    const bitmap = new Uint8Array(Math.ceil(n / 8));
    for (const i of col.index) bitmap[i >> 3]! |= 1 << (i & 7);
    w.bytes(bitmap);
  }
  if (decOk) w.bytes(dec.done());
  else {
    const f = new DataView(new ArrayBuffer(8 * m));
    col.values.forEach((v, i) => f.setFloat64(8 * i, v === 0 ? 0 : v, true));
    w.bytes(new Uint8Array(f.buffer));
  }
  return w.done();
}

/**
 * Encodes a block. `ts` ascending and distinct; each column's `index` ascending, within ts, with
 * as many values. Columns are stored in id order.
 */
export function encodeBlock(block: Block): Uint8Array {
  const { ts } = block;
  const n = ts.length;
  const w = new Writer();
  w.uvar(VERSION);
  w.uvar(n);
  if (n > 0) w.uvar(ts[0]!);
  if (n > 1) w.uvar(zz(ts[1]! - ts[0]!));
  for (let i = 2; i < n; i++) w.uvar(zz(ts[i]! - 2 * ts[i - 1]! + ts[i - 2]!));
  const cols = [...block.columns].filter((c) => c.values.length > 0).sort((a, b) => a.id - b.id);
  const bodies = cols.map((c) => encodeColumn(n, c));
  w.uvar(cols.length);
  let prev = 0;
  cols.forEach((c, i) => {
    w.uvar(zz(c.id - prev));
    prev = c.id;
    w.uvar(bodies[i]!.length);
  });
  for (const b of bodies) w.bytes(b);
  return w.done();
}

interface Header {
  ts: number[];
  /** Per column: id and where its bytes are. */
  cols: { id: number; start: number; len: number }[];
  body: number;
}

function readHeader(r: Reader): Header {
  const version = r.uvar();
  if (version !== VERSION) throw new Error(`raw block version ${version} unknown`);
  const n = r.uvar();
  const ts: number[] = [];
  if (n > 0) ts.push(r.uvar());
  if (n > 1) ts.push(ts[0]! + unzz(r.uvar()));
  for (let i = 2; i < n; i++) ts.push(unzz(r.uvar()) + 2 * ts[i - 1]! - ts[i - 2]!);
  const s = r.uvar();
  const cols: Header['cols'] = [];
  let prev = 0;
  let start = 0;
  for (let i = 0; i < s; i++) {
    const id = prev + unzz(r.uvar());
    prev = id;
    const len = r.uvar();
    cols.push({ id, start, len });
    start += len;
  }
  return { ts, cols, body: r.pos };
}

function decodeColumn(n: number, id: number, bytes: Uint8Array, valuesToo: boolean): Column {
  const r = new Reader(bytes);
  const flags = r.byte();
  const index: number[] = [];
  if (flags & 1) for (let i = 0; i < n; i++) index.push(i);
  else {
    const bitmap = r.sub(Math.ceil(n / 8));
    for (let i = 0; i < n; i++) if (bitmap[i >> 3]! & (1 << (i & 7))) index.push(i);
  }
  const values: number[] = [];
  if (!valuesToo) return { id, index, values };
  const m = index.length;
  if (flags >> 1 === MODE_F64) {
    const raw = r.sub(8 * m);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    for (let i = 0; i < m; i++) values.push(view.getFloat64(8 * i, true));
    return { id, index, values };
  }
  const p = POW10[r.uvar()]!;
  let prev = unzz(r.uvar());
  values.push(prev / p);
  if (m > 1) {
    let delta = unzz(r.uvar());
    const width = r.byte();
    let cur = prev + delta;
    values.push(cur / p);
    for (let i = 2; i < m; i++) {
      delta += unzz(r.bits(width));
      prev = cur;
      cur = prev + delta;
      values.push(cur / p);
    }
  }
  return { id, index, values };
}

/** Decodes a block; `want` limits the columns whose values are decoded (others are skipped). */
export function decodeBlock(data: Uint8Array, want?: (id: number) => boolean): Block {
  const r = new Reader(data);
  const h = readHeader(r);
  const columns: Column[] = [];
  for (const c of h.cols) {
    if (want && !want(c.id)) continue;
    columns.push(decodeColumn(h.ts.length, c.id, data.subarray(h.body + c.start, h.body + c.start + c.len), true));
  }
  return { ts: h.ts, columns };
}

/** Timestamps and which series each sample holds, without decoding any value (dedup index). */
export function blockPresence(data: Uint8Array): Block {
  const r = new Reader(data);
  const h = readHeader(r);
  return { ts: h.ts, columns: h.cols.map((c) => decodeColumn(h.ts.length, c.id, data.subarray(h.body + c.start, h.body + c.start + c.len), false)) };
}
