// OTLP/HTTP JSON (the protobuf JSON mapping with OTLP's exceptions): field readers that check
// the type and name the field when it is wrong, plus the messages every signal shares.
// Keys are lowerCamelCase or the proto's snake_case; unknown keys are ignored; null means the
// field's default. Ids are hex (not base64), 64-bit integers strings or numbers, enums integers
// or their names, bytes base64.
import { MAX_DEPTH, OtlpDecodeError, setKey, within } from './shared.ts';
import type { AttrValue, Resource, Scope } from './types.ts';

export type Json = Record<string, unknown>;

const textDecoder = new TextDecoder();

export function parseJson(body: Uint8Array): unknown {
  try {
    return JSON.parse(textDecoder.decode(body));
  } catch (e) {
    throw new OtlpDecodeError(`invalid JSON: ${(e as Error).message}`);
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return v.length > 40 ? `a string "${v.slice(0, 40)}…"` : `"${v}"`;
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
}

function bad(what: string, v: unknown, name: string): never {
  throw new OtlpDecodeError(`expected ${what}, got ${describe(v)}`, name);
}

export function obj(v: unknown, name: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) bad('an object', v, name);
  return v as Json;
}

export function list(v: unknown, name: string): unknown[] {
  if (!Array.isArray(v)) bad('a list', v, name);
  return v;
}

/** Maps a JSON list with `item`, naming the element in errors (name[i]). */
export function mapList<T>(v: unknown, name: string, item: (v: unknown) => T): T[] {
  const a = list(v, name);
  const out = new Array<T>(a.length);
  let i = 0;
  try {
    for (; i < a.length; i++) out[i] = item(a[i]);
  } catch (e) {
    throw within(e, `${name}[${i}]`);
  }
  return out;
}

export function str(v: unknown, name: string): string {
  if (typeof v !== 'string') bad('a string', v, name);
  return v;
}

export function bool(v: unknown, name: string): boolean {
  if (typeof v !== 'boolean') bad('true or false', v, name);
  return v;
}

/** An unsigned decimal string, as proto JSON writes 64-bit integers (and accepts for all ints). */
function isDigits(s: string, from: number): boolean {
  if (s.length <= from || s.length > from + 20) return false;
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** uint32 / fixed32 (counts, flags). */
export function u32(v: unknown, name: string): number {
  const n = typeof v === 'string' && isDigits(v, 0) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 0xffffffff) bad('an unsigned 32-bit integer', v, name);
  return n;
}

/** int32 / sint32. */
export function i32(v: unknown, name: string): number {
  const n = typeof v === 'string' && isDigits(v, v.charCodeAt(0) === 45 ? 1 : 0) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < -0x80000000 || n > 0x7fffffff) bad('a 32-bit integer', v, name);
  return n;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** int64 / sfixed64: a number when safe, else a bigint. */
export function i64(v: unknown, name: string): number | bigint {
  if (typeof v === 'number') {
    if (Number.isSafeInteger(v)) return v === 0 ? 0 : v; // no -0: protobuf has none
    if (Number.isInteger(v) && v >= -(2 ** 63) && v < 2 ** 63) return BigInt(v);
  } else if (typeof v === 'string' && isDigits(v, v.charCodeAt(0) === 45 ? 1 : 0)) {
    if (v.length < 16) return Number(v) || 0;
    const b = BigInt(v);
    if (b >= INT64_MIN && b <= INT64_MAX) return b >= -(2n ** 53n) && b < 2n ** 53n ? Number(b) : b;
  }
  bad('a 64-bit integer (number or decimal string)', v, name);
}

/** fixed64 times (nanoseconds since the epoch). */
export function time(v: unknown, name: string): bigint {
  if (typeof v === 'string' && isDigits(v, 0)) {
    const b = BigInt(v);
    if (b <= UINT64_MAX) return b;
  } else if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < 2 ** 64) return BigInt(v);
  bad('an unsigned 64-bit integer (decimal string or number)', v, name);
}

/** fixed64 / uint64 counts as numbers (exact up to 2^53). */
export function u64(v: unknown, name: string): number {
  const n = typeof v === 'string' && isDigits(v, 0) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n >= 2 ** 64) bad('an unsigned 64-bit integer', v, name);
  return n;
}

/** double: a number, or the strings proto JSON allows ("NaN", "Infinity", "1.5"). */
export function dbl(v: unknown, name: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    if (v === 'NaN') return NaN;
    const n = Number(v);
    if (v.trim() !== '' && !Number.isNaN(n)) return n;
  }
  bad('a number', v, name);
}

/** An enum: its integer, or its name from `names` (index = value). */
export function enumValue(v: unknown, name: string, names: readonly string[]): number {
  if (typeof v === 'number' && Number.isInteger(v) && v >= -0x80000000 && v <= 0x7fffffff) return v;
  if (typeof v === 'string') {
    const i = names.indexOf(v);
    if (i >= 0) return i;
    throw new OtlpDecodeError(`unknown value ${describe(v)}; expected an integer or one of ${names.join(', ')}`, name);
  }
  bad('an enum integer or name', v, name);
}

/** Trace and span ids: hex in OTLP JSON. Kept as sent (lowercased); validate* judges them. */
export function hexId(v: unknown, name: string): string {
  return str(v, name).toLowerCase();
}

const B64 = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i++) B64['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.charCodeAt(i)] = i;
B64[45] = 62; // '-' and '_': the URL-safe alphabet, which proto JSON parsers accept too
B64[95] = 63;

/** Standard or URL-safe base64, padding optional. */
export function bytes(v: unknown, name: string): Uint8Array {
  const s = str(v, name);
  let n = s.length;
  while (n > 0 && s.charCodeAt(n - 1) === 61) n--;
  if (n % 4 === 1 || s.length - n > 2) bad('base64', v, name);
  const out = new Uint8Array(Math.floor((n * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    const d = c < 128 ? B64[c]! : -1;
    if (d < 0) bad('base64', v, name);
    acc = ((acc << 6) | d) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}

/** AnyValue; undefined when no value is set (skipped by the mapping, as in protobuf). */
export function anyValue(v: unknown, name: string, depth: number): AttrValue | undefined {
  if (depth > MAX_DEPTH) throw new OtlpDecodeError(`values nested more than ${MAX_DEPTH} deep`, name);
  const m = obj(v, name);
  let out: AttrValue | undefined;
  for (const k in m) {
    const x = m[k];
    if (x === null) continue;
    try {
      switch (k) {
        case 'stringValue':
        case 'string_value':
          out = str(x, k);
          break;
        case 'boolValue':
        case 'bool_value':
          out = bool(x, k);
          break;
        case 'intValue':
        case 'int_value':
          out = i64(x, k);
          break;
        case 'doubleValue':
        case 'double_value':
          out = dbl(x, k);
          break;
        case 'bytesValue':
        case 'bytes_value':
          out = bytes(x, k);
          break;
        case 'arrayValue':
        case 'array_value': {
          const arr: AttrValue[] = [];
          const vals = valuesOf(x, k);
          let i = 0;
          try {
            for (; i < vals.length; i++) {
              const e = anyValue(vals[i], '', depth + 1);
              if (e !== undefined) arr.push(e);
            }
          } catch (e) {
            throw within(e, `${k}.values[${i}]`);
          }
          out = arr;
          break;
        }
        case 'kvlistValue':
        case 'kvlist_value': {
          const o: Record<string, AttrValue> = {};
          keyValues(valuesOf(x, k), o, k === 'kvlistValue' ? 'kvlistValue.values' : 'kvlist_value.values', depth + 1);
          out = o;
          break;
        }
      }
    } catch (e) {
      throw within(e, name);
    }
  }
  return out;
}

function valuesOf(x: unknown, name: string): unknown[] {
  const vals = obj(x, name).values;
  if (vals === undefined || vals === null) return [];
  return Array.isArray(vals) ? vals : list(vals, `${name}.values`);
}

/** A KeyValue list (attributes, kvlistValue.values) into `into`; value-less entries skipped. */
export function keyValues(v: unknown, into: Record<string, AttrValue>, name: string, depth = 0): void {
  const a = list(v, name);
  let i = 0;
  let key: string | undefined;
  try {
    for (; i < a.length; i++) {
      key = undefined;
      const kv = obj(a[i], '');
      const k = kv.key;
      if (k !== undefined && k !== null && typeof k !== 'string') str(k, 'key');
      key = (k as string | null | undefined) ?? '';
      const val = kv.value;
      if (val === undefined || val === null) continue;
      const x = anyValue(val, '', depth);
      if (x !== undefined) setKey(into, key, x);
    }
  } catch (e) {
    // Paths are built only on the way out: attributes["http.method"] once the key is known.
    throw within(e, key === undefined ? `${name}[${i}]` : `${name}[${JSON.stringify(key)}]`);
  }
}

export function resource(v: unknown, into: Resource): void {
  const m = obj(v, 'resource');
  for (const k in m) {
    const x = m[k];
    if (x === null) continue;
    if (k === 'attributes') keyValues(x, into.attributes, 'resource.attributes');
    else if (k === 'droppedAttributesCount' || k === 'dropped_attributes_count') into.droppedAttributesCount = u32(x, `resource.${k}`);
  }
}

export function scope(v: unknown, into: Scope): void {
  const m = obj(v, 'scope');
  for (const k in m) {
    const x = m[k];
    if (x === null) continue;
    if (k === 'name') into.name = str(x, 'scope.name');
    else if (k === 'version') into.version = str(x, 'scope.version');
    else if (k === 'attributes') keyValues(x, into.attributes, 'scope.attributes');
  }
}

/** [camelCase, snake_case] of the request's three list fields, e.g. resourceSpans, scopeSpans, spans. */
export type EnvelopeNames = readonly [readonly [string, string], readonly [string, string], readonly [string, string]];

/** The request and its Resource/Scope wrappers, the same layout for every signal. */
export function envelope<T>(root: unknown, names: EnvelopeNames, item: (v: unknown) => T): Json {
  const m = obj(root, '');
  let resources: unknown[] = [];
  for (const k in m) {
    const x = m[k];
    if (x !== null && (k === names[0][0] || k === names[0][1])) resources = mapList(x, k, (r) => resourceLevel(r, names, item));
  }
  return { [names[0][0]]: resources };
}

function resourceLevel<T>(v: unknown, names: EnvelopeNames, item: (v: unknown) => T) {
  const m = obj(v, '');
  const res: Resource = { attributes: {}, droppedAttributesCount: 0 };
  const out = { resource: res, schemaUrl: '', [names[1][0]]: [] as unknown[] };
  for (const k in m) {
    const x = m[k];
    if (x === null) continue;
    if (k === 'resource') resource(x, res);
    else if (k === 'schemaUrl' || k === 'schema_url') out.schemaUrl = str(x, k);
    else if (k === names[1][0] || k === names[1][1]) out[names[1][0]] = mapList(x, k, (s) => scopeLevel(s, names[2], item));
  }
  return out;
}

function scopeLevel<T>(v: unknown, names: readonly [string, string], item: (v: unknown) => T) {
  const m = obj(v, '');
  const sc: Scope = { name: '', version: '', attributes: {} };
  const out = { scope: sc, schemaUrl: '', [names[0]]: [] as unknown[] };
  for (const k in m) {
    const x = m[k];
    if (x === null) continue;
    if (k === 'scope') scope(x, sc);
    else if (k === 'schemaUrl' || k === 'schema_url') out.schemaUrl = str(x, k);
    else if (k === names[0] || k === names[1]) out[names[0]] = mapList(x, k, item);
  }
  return out;
}
