// Attribute size caps for stored records (docs/limits.md, "Stored spans"): decoded OTLP
// attributes become JSON that Postgres jsonb accepts, with counts, key and value lengths capped.
// Nothing is refused: long strings are cut and end with TRUNCATED_MARK, attributes past the count
// are dropped, and both are counted so the record can say so.
//
// jsonb refuses NUL characters and lone surrogates, so strings are made well-formed here too, and
// values JSON cannot hold become strings (64-bit integers as decimals, bytes as base64, NaN as
// "NaN").
import type { Attrs, AttrValue } from './types.ts';

export interface AttrCaps {
  maxAttributes: number;
  maxKeyLength: number;
  maxValueLength: number;
  maxArrayLength: number;
}

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** What capping dropped or cut, added up across a record. */
export interface CapCounts {
  dropped: number;
  truncated: number;
  /** Characters of the kept keys and values (strings at length, others at 24): a cheap size estimate. */
  chars: number;
}

export const newCounts = (): CapCounts => ({ dropped: 0, truncated: 0, chars: 0 });

const MARK = '…';
/** Nested arrays/maps deeper than this become the string "[nested too deep]". */
const MAX_DEPTH = 8;

const LONE = '[\\uD800-\\uDBFF](?![\\uDC00-\\uDFFF])|(?<![\\uD800-\\uDBFF])[\\uDC00-\\uDFFF]';
const LONE_SURROGATE = new RegExp(LONE);
const LONE_SURROGATE_G = new RegExp(LONE, 'g');

/** Well-formed text for jsonb: NUL and lone surrogates become U+FFFD. */
export function safeText(s: string): string {
  // eslint-disable-next-line no-control-regex
  const t = s.includes('\u0000') ? s.replace(/\u0000/g, '\uFFFD') : s;
  return LONE_SURROGATE.test(t) ? t.replace(LONE_SURROGATE_G, '\uFFFD') : t;
}

/** Cuts `s` to `max` characters (not splitting a surrogate pair), marking a cut. */
export function capString(s: string, max: number, counts: CapCounts): string {
  counts.chars += Math.min(s.length, max + 1);
  if (s.length <= max) return safeText(s);
  counts.truncated++;
  let end = max;
  const c = s.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--; // a high surrogate whose pair would be cut off
  return safeText(s.slice(0, end)) + MARK;
}

function base64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export function capValue(v: AttrValue, caps: AttrCaps, counts: CapCounts, depth = 0): JsonValue {
  if (typeof v === 'string') return capString(v, caps.maxValueLength, counts);
  counts.chars += 24;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array) {
    counts.chars += Math.ceil((Math.min(v.length, caps.maxValueLength) * 4) / 3);
    if (v.length <= caps.maxValueLength) return base64(v);
    counts.truncated++;
    return base64(v.subarray(0, caps.maxValueLength)) + MARK;
  }
  if (depth >= MAX_DEPTH) {
    counts.truncated++;
    return '[nested too deep]';
  }
  if (Array.isArray(v)) {
    if (v.length > caps.maxArrayLength) counts.dropped += v.length - caps.maxArrayLength;
    return v.slice(0, caps.maxArrayLength).map((x) => capValue(x, caps, counts, depth + 1));
  }
  return capAttrs(v, caps, counts, depth + 1);
}

/** The first `maxAttributes` attributes (in their order), keys and values capped. */
export function capAttrs(a: Attrs, caps: AttrCaps, counts: CapCounts, depth = 0): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = Object.create(null); // a "__proto__" key stays a key
  let n = 0;
  for (const key in a) {
    if (n >= caps.maxAttributes) {
      counts.dropped++;
      continue;
    }
    const k = capString(key, caps.maxKeyLength, counts);
    // Two keys cut to the same prefix: the later one is dropped rather than overwriting.
    if (k in out) {
      counts.dropped++;
      continue;
    }
    out[k] = capValue(a[key]!, caps, counts, depth);
    n++;
  }
  return out;
}
