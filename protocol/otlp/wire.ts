// A protobuf wire-format reader for the OTLP decoders: no code generation (workerd forbids it),
// no Node Buffer, no allocation beyond the values it returns. Every read is bounded by the end
// of the enclosing message, so truncated or garbage input ends in OtlpDecodeError, never a
// RangeError or a loop.
import { OtlpDecodeError, toHex } from './shared.ts';

const utf8Decoder = new TextDecoder();

const WIRE = ['varint', 'fixed64', 'length-delimited', 'start-group', 'end-group', 'fixed32', '6 (invalid)', '7 (invalid)'];

/** Field number -> [name in paths, wire type] for a message's known fields. */
export type Fields = ([string, number] | undefined)[];

export function fields(spec: Record<number, [string, number]>): Fields {
  const out: Fields = [];
  for (const k in spec) out[Number(k)] = spec[k];
  return out;
}

/** The path segment naming the field a failed read was in ('' while reading a tag). */
export function fieldName(spec: Fields, tag: number): string {
  return tag === 0 ? '' : (spec[tag >>> 3]?.[0] ?? `field ${tag >>> 3}`);
}

export class Reader {
  pos = 0;
  readonly buf: Uint8Array;
  private readonly view: DataView;
  // The two halves of the last varint64 read (kept here to return without allocating).
  private lo = 0;
  private hi = 0;

  constructor(buf: Uint8Array) {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  // Where the last tag started: errors about a field's wire type point there.
  private tagAt = 0;

  /** Throws OtlpDecodeError; `at` is the offset of the item at fault. */
  fail(reason: string, at = this.pos): never {
    throw new OtlpDecodeError(`${reason} (at byte ${at})`);
  }

  private truncated(at: number): never {
    this.fail('truncated: the data ends inside a field', at);
  }

  /** A varint's low 32 bits as an unsigned number (the rest is read and dropped). */
  varint(end: number): number {
    const buf = this.buf;
    const start = this.pos;
    let pos = start;
    if (pos >= end) this.truncated(start);
    let b = buf[pos++]!;
    if (b < 0x80) {
      this.pos = pos;
      return b;
    }
    let v = b & 0x7f;
    for (let shift = 7; ; shift += 7) {
      if (shift > 63) this.fail('varint longer than 10 bytes', start);
      if (pos >= end) this.truncated(start);
      b = buf[pos++]!;
      if (shift < 32) v |= (b & 0x7f) << shift;
      if (b < 0x80) break;
    }
    this.pos = pos;
    return v >>> 0;
  }

  /** A tag (field number << 3 | wire type); field number 0 is invalid. */
  tag(end: number): number {
    this.tagAt = this.pos;
    const t = this.varint(end);
    if (t >>> 3 === 0) this.fail('invalid field number 0', this.tagAt);
    return t;
  }

  int32(end: number): number {
    return this.varint(end) | 0;
  }

  sint32(end: number): number {
    const v = this.varint(end);
    return (v >>> 1) ^ -(v & 1);
  }

  bool(end: number): boolean {
    this.varint64(end);
    return (this.lo | this.hi) !== 0;
  }

  private varint64(end: number): void {
    const buf = this.buf;
    const start = this.pos;
    let pos = start;
    let lo = 0;
    let hi = 0;
    let b: number;
    let shift = 0;
    do {
      if (shift > 63) this.fail('varint longer than 10 bytes', start);
      if (pos >= end) this.truncated(start);
      b = buf[pos++]!;
      if (shift < 28) lo |= (b & 0x7f) << shift;
      else if (shift === 28) {
        lo |= (b & 0x7f) << 28;
        hi = (b & 0x7f) >>> 4;
      } else hi |= (b & 0x7f) << (shift - 32);
      shift += 7;
    } while (b >= 0x80);
    this.pos = pos;
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
  }

  /** int64 (two's complement varint): a number when safe, else a bigint. */
  int64(end: number): number | bigint {
    const b = this.pos < end ? this.buf[this.pos]! : 0x80;
    if (b < 0x80) {
      this.pos++;
      return b;
    }
    this.varint64(end);
    const v = (this.hi | 0) * 4294967296 + this.lo;
    return Number.isSafeInteger(v) ? v : BigInt.asIntN(64, (BigInt(this.hi) << 32n) | BigInt(this.lo));
  }

  /** uint64 varint as a number (exact up to 2^53). */
  uint64(end: number): number {
    this.varint64(end);
    return this.hi * 4294967296 + this.lo;
  }

  private need(n: number, end: number): number {
    const pos = this.pos;
    if (pos + n > end) this.truncated(pos);
    this.pos = pos + n;
    return pos;
  }

  fixed32(end: number): number {
    return this.view.getUint32(this.need(4, end), true);
  }

  fixed64(end: number): bigint {
    return this.view.getBigUint64(this.need(8, end), true);
  }

  /** fixed64 as a number (counts; exact up to 2^53). */
  fixed64Number(end: number): number {
    const p = this.need(8, end);
    return this.view.getUint32(p + 4, true) * 4294967296 + this.view.getUint32(p, true);
  }

  /** sfixed64: a number when safe, else a bigint. */
  sfixed64(end: number): number | bigint {
    const p = this.need(8, end);
    const v = this.view.getInt32(p + 4, true) * 4294967296 + this.view.getUint32(p, true);
    return Number.isSafeInteger(v) ? v : this.view.getBigInt64(p, true);
  }

  double(end: number): number {
    return this.view.getFloat64(this.need(8, end), true);
  }

  /** Reads a length prefix and returns where the delimited bytes end. */
  len(end: number): number {
    const buf = this.buf;
    const start = this.pos;
    let pos = start;
    if (pos >= end) this.truncated(start);
    let b = buf[pos++]!;
    let n = b & 0x7f;
    // Summed as a float so a huge length cannot wrap around to a small one.
    for (let mul = 128; b >= 0x80; mul *= 128) {
      if (mul > 2 ** 63) this.fail('varint longer than 10 bytes', start);
      if (pos >= end) this.truncated(start);
      b = buf[pos++]!;
      n += (b & 0x7f) * mul;
    }
    if (n > end - pos) this.fail(`truncated: length ${n} exceeds the ${end - pos} bytes left`, start);
    this.pos = pos;
    return pos + n;
  }

  string(end: number): string {
    const e = this.len(end);
    const start = this.pos;
    this.pos = e;
    return utf8(this.buf, start, e);
  }

  hex(end: number): string {
    const e = this.len(end);
    const start = this.pos;
    this.pos = e;
    return toHex(this.buf, start, e);
  }

  /** A copy, so a kept value does not pin the whole request body. */
  bytes(end: number): Uint8Array {
    const e = this.len(end);
    const out = this.buf.slice(this.pos, e);
    this.pos = e;
    return out;
  }

  /** Repeated scalars arrive packed (one length-delimited run) or one per tag; both are valid. */
  packed(tag: number, wireType: number, end: number, read: (end: number) => number, out: number[]): void {
    if ((tag & 7) === 2) {
      const e = this.len(end);
      while (this.pos < e) out.push(read.call(this, e));
    } else if ((tag & 7) === wireType) out.push(read.call(this, end));
    else this.fail(`wire type ${WIRE[tag & 7]}, expected ${WIRE[wireType]} or length-delimited`, this.tagAt);
  }

  /**
   * Handles a tag the message's switch did not: skipped if unknown or a known field this mapping
   * does not keep; an error if it is a known field in the wrong wire type.
   */
  other(tag: number, end: number, known: Fields): void {
    const f = known[tag >>> 3];
    if (f !== undefined && f[1] !== (tag & 7)) this.fail(`wire type ${WIRE[tag & 7]}, expected ${WIRE[f[1]]}`, this.tagAt);
    this.skip(tag, end, 0);
  }

  skip(tag: number, end: number, depth: number): void {
    switch (tag & 7) {
      case 0:
        this.varint(end);
        return;
      case 1:
        this.need(8, end);
        return;
      case 2:
        this.pos = this.len(end);
        return;
      case 5:
        this.need(4, end);
        return;
      case 3: {
        // A group (proto2 only, never in OTLP) runs to its matching end-group tag.
        if (depth >= 32) this.fail('groups nested too deeply');
        const close = (tag & ~7) | 4;
        for (;;) {
          const t = this.tag(end);
          if (t === close) return;
          this.skip(t, end, depth + 1);
        }
      }
      case 4:
        this.fail('end-group tag without a start-group', this.tagAt);
      default:
        this.fail(`invalid wire type ${tag & 7}`, this.tagAt);
    }
  }
}

// Attribute keys and many values (methods, routes, service names) repeat across records: short
// ASCII strings are looked up by their bytes in a small cache of strings already made, which
// also hands V8 keys it has already internalized. Only ASCII strings are cached, so a match of
// char codes against bytes is a match of text.
const CACHE_SLOTS = 1024;
const cache: string[] = new Array<string>(CACHE_SLOTS).fill('');

function utf8(buf: Uint8Array, start: number, end: number): string {
  const n = end - start;
  if (n === 0) return '';
  if (n > 48) return utf8Decoder.decode(buf.subarray(start, end));
  let h = n;
  for (let i = start; i < end; i++) {
    const c = buf[i]!;
    if (c >= 0x80) return utf8Decoder.decode(buf.subarray(start, end));
    h = (Math.imul(h, 31) + c) | 0;
  }
  const slot = (h ^ (h >>> 15)) & (CACHE_SLOTS - 1);
  const hit = cache[slot]!;
  if (hit.length === n) {
    let i = 0;
    while (i < n && hit.charCodeAt(i) === buf[start + i]) i++;
    if (i === n) return hit;
  }
  // A miss: TextDecoder makes a flat string (built char by char it would be a rope to flatten).
  const s = utf8Decoder.decode(buf.subarray(start, end));
  cache[slot] = s;
  return s;
}
