// The byte form of a LatencySketch (docs/apm.md, "Latency sketch"): version 1 is
//   u8 version | varint zero | varint bins | bins x (index, varint count) | sum, min, max (f64 LE)
// where the first index is a zigzag varint and each later one a varint delta (>= 1) from the
// previous; the three floats are present only when count > 0. Varints are LEB128, <= 8 bytes.
// Invariants beyond the layout (index range, counts vs min/max/sum) are checked in sketch.ts.

export const SKETCH_BYTES_VERSION = 1;
// More bins than this cannot be valid (SKETCH_MAX_BINS is 1,728); bounds the loop before reading.
const BINS_LIMIT = 4096;

export interface DecodedSketch {
  bins: Float64Array;
  zero: number;
  count: number;
  sum: number;
  min: number;
  max: number;
}

/** Malformed bytes or wire form; callers answer it with a 4xx. */
export class SketchFormatError extends Error {
  override name = 'SketchFormatError';
}

export function writeSketchBytes(bins: ArrayLike<number>, zero: number, sum: number, min: number, max: number): Uint8Array {
  const k = bins.length / 2;
  // Worst case: varints of 8 bytes (counts up to 2^53) and 5 (index deltas).
  const buf = new Uint8Array(1 + 8 + 8 + k * 13 + 24);
  let p = 0;
  const varint = (v: number) => {
    while (v >= 0x80) {
      buf[p++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    buf[p++] = v;
  };
  buf[p++] = SKETCH_BYTES_VERSION;
  varint(zero);
  varint(k);
  let count = zero;
  for (let j = 0; j < bins.length; j += 2) {
    const i = bins[j]!;
    varint(j === 0 ? (i >= 0 ? 2 * i : -2 * i - 1) : i - bins[j - 2]!);
    varint(bins[j + 1]!);
    count += bins[j + 1]!;
  }
  if (count > 0) {
    const dv = new DataView(buf.buffer);
    dv.setFloat64(p, sum, true);
    dv.setFloat64(p + 8, min, true);
    dv.setFloat64(p + 16, max, true);
    p += 24;
  }
  return buf.slice(0, p);
}

/** Reads the layout; throws SketchFormatError naming what is wrong. */
export function readSketchBytes(b: Uint8Array): DecodedSketch {
  if (!(b instanceof Uint8Array)) throw new SketchFormatError('sketch bytes: expected a Uint8Array');
  let p = 0;
  const fail = (m: string): never => {
    throw new SketchFormatError(`sketch bytes: ${m}`);
  };
  const varint = (): number => {
    let v = 0;
    let scale = 1;
    for (let n = 0; n < 8; n++) {
      if (p >= b.length) fail(`truncated at byte ${p}`);
      const byte = b[p++]!;
      v += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        if (v > Number.MAX_SAFE_INTEGER) fail(`varint above 2^53 ending at byte ${p}`);
        return v;
      }
      scale *= 0x80;
    }
    return fail(`varint longer than 8 bytes at byte ${p}`);
  };
  if (b.length === 0) fail('empty input');
  if (b[p++] !== SKETCH_BYTES_VERSION) fail(`unknown version ${b[0]} (this build reads ${SKETCH_BYTES_VERSION})`);
  const zero = varint();
  const k = varint();
  // Each bin takes at least 2 bytes: a count of bins the rest cannot hold is rejected up front.
  if (k > BINS_LIMIT || k * 2 > b.length - p) fail(`${k} bins cannot fit in ${b.length} bytes`);
  const bins = new Float64Array(k * 2);
  let count = zero;
  let index = 0;
  for (let j = 0; j < k; j++) {
    const d = varint();
    index = j === 0 ? (d % 2 === 0 ? d / 2 : -(d + 1) / 2) : index + d;
    const c = varint();
    bins[2 * j] = index;
    bins[2 * j + 1] = c;
    count += c;
  }
  if (!Number.isSafeInteger(count)) fail('total count above 2^53');
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  if (count > 0) {
    if (b.length - p < 24) fail(`truncated: sum/min/max need 24 bytes, ${b.length - p} left`);
    const dv = new DataView(b.buffer, b.byteOffset + p, 24);
    sum = dv.getFloat64(0, true);
    min = dv.getFloat64(8, true);
    max = dv.getFloat64(16, true);
    p += 24;
  }
  if (p !== b.length) fail(`${b.length - p} trailing bytes`);
  return { bins, zero, count, sum, min, max };
}
