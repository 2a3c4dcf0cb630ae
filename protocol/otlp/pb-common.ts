// Protobuf decoding of the messages every signal shares (common.proto, resource.proto).
// Decoders fill a target object: a singular message that appears twice is merged, as protobuf
// requires, and scalars appearing twice keep the last value.
import { MAX_DEPTH, OtlpDecodeError, setKey, within } from './shared.ts';
import type { AttrValue, Resource, Scope } from './types.ts';
import { fieldName, fields, Reader } from './wire.ts';

const ANY_VALUE = fields({
  1: ['stringValue', 2],
  2: ['boolValue', 0],
  3: ['intValue', 0],
  4: ['doubleValue', 1],
  5: ['arrayValue', 2],
  6: ['kvlistValue', 2],
  7: ['bytesValue', 2],
  8: ['stringValueStrindex', 0],
});
const KEY_VALUE = fields({ 1: ['key', 2], 2: ['value', 2], 3: ['keyStrindex', 0] });
const VALUES = fields({ 1: ['values', 2] });
const RESOURCE = fields({ 1: ['attributes', 2], 2: ['droppedAttributesCount', 0], 3: ['entityRefs', 2] });
const SCOPE = fields({ 1: ['name', 2], 2: ['version', 2], 3: ['attributes', 2], 4: ['droppedAttributesCount', 0] });

/** AnyValue; undefined when no value is set (the mapping skips those). */
export function readAnyValue(r: Reader, end: number, depth: number): AttrValue | undefined {
  if (depth > MAX_DEPTH) r.fail(`values nested more than ${MAX_DEPTH} deep`);
  let v: AttrValue | undefined;
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = r.tag(end);
      switch (tag) {
        case 0x0a:
          v = r.string(end);
          break;
        case 0x10:
          v = r.bool(end);
          break;
        case 0x18:
          v = r.int64(end);
          break;
        case 0x21:
          v = r.double(end);
          break;
        case 0x2a:
          v = readArray(r, r.len(end), depth + 1);
          break;
        case 0x32: {
          const obj: Record<string, AttrValue> = {};
          readKvList(r, r.len(end), obj, depth + 1);
          v = obj;
          break;
        }
        case 0x3a:
          v = r.bytes(end);
          break;
        default:
          // string_value_strindex (8) only means something in profiles' dictionaries: ignored.
          r.other(tag, end, ANY_VALUE);
      }
    }
  } catch (e) {
    throw within(e, fieldName(ANY_VALUE, tag));
  }
  return v;
}

function readArray(r: Reader, end: number, depth: number): AttrValue[] {
  const out: AttrValue[] = [];
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = r.tag(end);
      if (tag === 0x0a) {
        const v = readAnyValue(r, r.len(end), depth);
        if (v !== undefined) out.push(v);
      } else r.other(tag, end, VALUES);
    }
  } catch (e) {
    throw within(e, tag === 0x0a ? `values[${out.length}]` : fieldName(VALUES, tag));
  }
  return out;
}

function readKvList(r: Reader, end: number, into: Record<string, AttrValue>, depth: number): void {
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = r.tag(end);
      if (tag === 0x0a) readKeyValue(r, r.len(end), into, depth);
      else r.other(tag, end, VALUES);
    }
  } catch (e) {
    throw within(e, fieldName(VALUES, tag));
  }
}

/** One KeyValue into `into`; a value-less one is skipped. */
export function readKeyValue(r: Reader, end: number, into: Record<string, AttrValue>, depth: number): void {
  let key = '';
  let v: AttrValue | undefined;
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = r.tag(end);
      if (tag === 0x0a) key = r.string(end);
      else if (tag === 0x12) v = readAnyValue(r, r.len(end), depth);
      else r.other(tag, end, KEY_VALUE);
    }
  } catch (e) {
    throw within(e, tag === 0x12 ? `[${JSON.stringify(key)}]` : fieldName(KEY_VALUE, tag));
  }
  if (v !== undefined) setKey(into, key, v);
}

/**
 * Attribute keys to decode now, matched on a KeyValue's key bytes before any string is made
 * (pb-traces.ts, the deferred span attributes). Keys are ASCII.
 */
export class KeyMatcher {
  private readonly byLength: { bytes: number[]; key: string }[][] = [];
  constructor(keys: readonly string[]) {
    for (const key of keys) {
      const bytes = [...key].map((c) => c.charCodeAt(0));
      if (bytes.some((b) => b > 0x7f)) throw new Error(`KeyMatcher: "${key}" is not ASCII`);
      (this.byLength[bytes.length] ??= []).push({ bytes, key });
    }
  }

  /** The key whose bytes are buf[start, end), if it is one of the keys. */
  match(buf: Uint8Array, start: number, end: number): string | undefined {
    const candidates = this.byLength[end - start];
    if (candidates === undefined) return undefined;
    for (const c of candidates) {
      let i = 0;
      while (i < c.bytes.length && c.bytes[i] === buf[start + i]) i++;
      if (i === c.bytes.length) return c.key;
    }
    return undefined;
  }
}

/**
 * Reads one KeyValue into `into` if its key is one of `keys`; otherwise checks it as
 * readKeyValue would and makes nothing, and says so (false). A KeyValue readKeyValue refuses is
 * refused here too, with readKeyValue's own error: the walk below accepts what it accepts.
 */
export function readKeyValueIf(r: Reader, end: number, into: Record<string, AttrValue>, keys: KeyMatcher): boolean {
  const start = r.pos;
  let keyStart = -1;
  let keyEnd = -1;
  try {
    while (r.pos < end) {
      const tag = r.tag(end);
      if (tag === 0x0a) {
        keyEnd = r.len(end);
        keyStart = r.pos;
        r.pos = keyEnd;
      } else if (tag === 0x12) skipAnyValue(r, r.len(end), 0);
      else r.other(tag, end, KEY_VALUE);
    }
  } catch (e) {
    if (!(e instanceof OtlpDecodeError)) throw e; // a bug in the walk stays loud
    // Decoded whole instead: readKeyValue's own error, with its path (or, were the walk ever
    // stricter than it, the value: an extra key decoded now is harmless).
    r.pos = start;
    readKeyValue(r, end, into, 0);
    return true;
  }
  if (keyStart < 0 || keys.match(r.buf, keyStart, keyEnd) === undefined) return false;
  r.pos = start;
  readKeyValue(r, end, into, 0);
  return true;
}

/** readAnyValue's checks, making no value. */
function skipAnyValue(r: Reader, end: number, depth: number): void {
  if (depth > MAX_DEPTH) r.fail(`values nested more than ${MAX_DEPTH} deep`);
  while (r.pos < end) {
    const tag = r.tag(end);
    switch (tag) {
      case 0x0a:
      case 0x3a:
        r.pos = r.len(end);
        break;
      case 0x10:
      case 0x18:
        r.uint64(end);
        break;
      case 0x21:
        r.double(end);
        break;
      case 0x2a: {
        const e = r.len(end);
        while (r.pos < e) {
          const t = r.tag(e);
          if (t === 0x0a) skipAnyValue(r, r.len(e), depth + 1);
          else r.other(t, e, VALUES);
        }
        break;
      }
      case 0x32: {
        const e = r.len(end);
        while (r.pos < e) {
          const t = r.tag(e);
          if (t === 0x0a) skipKeyValue(r, r.len(e), depth + 1);
          else r.other(t, e, VALUES);
        }
        break;
      }
      default:
        r.other(tag, end, ANY_VALUE);
    }
  }
}

function skipKeyValue(r: Reader, end: number, depth: number): void {
  while (r.pos < end) {
    const tag = r.tag(end);
    if (tag === 0x0a) r.pos = r.len(end);
    else if (tag === 0x12) skipAnyValue(r, r.len(end), depth);
    else r.other(tag, end, KEY_VALUE);
  }
}

export function newResource(): Resource {
  return { attributes: {}, droppedAttributesCount: 0 };
}

export function readResource(r: Reader, end: number, into: Resource): void {
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = r.tag(end);
      if (tag === 0x0a) readKeyValue(r, r.len(end), into.attributes, 0);
      else if (tag === 0x10) into.droppedAttributesCount = r.varint(end);
      else r.other(tag, end, RESOURCE);
    }
  } catch (e) {
    throw within(e, fieldName(RESOURCE, tag));
  }
}

export function newScope(): Scope {
  return { name: '', version: '', attributes: {} };
}

export function readScope(r: Reader, end: number, into: Scope): void {
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = r.tag(end);
      if (tag === 0x0a) into.name = r.string(end);
      else if (tag === 0x12) into.version = r.string(end);
      else if (tag === 0x1a) readKeyValue(r, r.len(end), into.attributes, 0);
      else r.other(tag, end, SCOPE);
    }
  } catch (e) {
    throw within(e, fieldName(SCOPE, tag));
  }
}

const TOP = fields({ 1: ['', 2] });
const ENVELOPE = fields({ 1: ['resource', 2], 2: ['', 2], 3: ['schemaUrl', 2] });

/**
 * The request and its Resource/Scope wrappers (ResourceSpans/ScopeSpans and their metrics and
 * logs twins) share one layout: field 1 the resource or scope, 2 the repeated children,
 * 3 schema_url. `names` are the three list names, e.g. resourceSpans, scopeSpans, spans.
 */
export function readEnvelope<T>(body: Uint8Array, names: readonly [string, string, string], readItem: (r: Reader, end: number) => T): Record<string, unknown> {
  const r = new Reader(body);
  const end = body.length;
  const list: unknown[] = [];
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = r.tag(end);
      if (tag === 0x0a) list.push(readResourceLevel(r, r.len(end), names, readItem));
      else r.other(tag, end, TOP);
    }
  } catch (e) {
    throw within(e, tag >>> 3 !== 1 ? '' : tag === 0x0a ? `${names[0]}[${list.length}]` : names[0]);
  }
  return { [names[0]]: list };
}

function readResourceLevel<T>(r: Reader, end: number, names: readonly [string, string, string], readItem: (r: Reader, end: number) => T) {
  const resource = newResource();
  const scopes: unknown[] = [];
  const out = { resource, schemaUrl: '', [names[1]]: scopes };
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = r.tag(end);
      if (tag === 0x0a) readResource(r, r.len(end), resource);
      else if (tag === 0x12) scopes.push(readScopeLevel(r, r.len(end), names[2], readItem));
      else if (tag === 0x1a) out.schemaUrl = r.string(end);
      else r.other(tag, end, ENVELOPE);
    }
  } catch (e) {
    throw within(e, tag >>> 3 !== 2 ? fieldName(ENVELOPE, tag) : tag === 0x12 ? `${names[1]}[${scopes.length}]` : names[1]);
  }
  return out;
}

function readScopeLevel<T>(r: Reader, end: number, name: string, readItem: (r: Reader, end: number) => T) {
  const scope = newScope();
  const items: T[] = [];
  const out = { scope, schemaUrl: '', [name]: items };
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = r.tag(end);
      if (tag === 0x12) items.push(readItem(r, r.len(end)));
      else if (tag === 0x0a) readScope(r, r.len(end), scope);
      else if (tag === 0x1a) out.schemaUrl = r.string(end);
      else r.other(tag, end, ENVELOPE);
    }
  } catch (e) {
    const f = tag >>> 3;
    throw within(e, f === 2 ? (tag === 0x12 ? `${name}[${items.length}]` : name) : f === 1 ? 'scope' : fieldName(ENVELOPE, tag));
  }
  return out;
}
