// Log lines as stored (issue #14), from OTLP log records or shippers' JSON (log-shippers.ts):
// the size caps (LOG_LIMITS, docs/limits.md), text Postgres can store, ids checked, times in
// the accepted window. Pure; the routes and their tests share it.
import { UNKNOWN_SERVICE } from './apm.ts';
import { levelName, LOG_LIMITS, severityOf, type TailLine } from './logs.ts';
import type { AttrValue, Attrs, LogRecord } from './otlp/types.ts';

/** A line ready to insert: the tail's line plus its time in whole microseconds. */
export interface StoredLine extends TailLine {
  tsMicros: number;
}

export interface RawLine {
  tsMicros: number;
  service: string;
  severity: number;
  level: string;
  message: string;
  traceId: string;
  spanId: string;
  attributes: Record<string, unknown>;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Postgres text holds neither NUL nor half a surrogate pair (JSON would carry them as escapes it refuses). */
export function clean(s: string): string {
  return s.replace(/\u0000/g, '\uFFFD').replace(LONE_SURROGATE, '\uFFFD');
}

const ENCODER = new TextEncoder();
const DECODER = new TextDecoder();

/** At most `max` UTF-8 bytes of `s`, cut at a character boundary. */
export function cutBytes(s: string, max: number): { text: string; cut: boolean } {
  if (s.length * 3 <= max) return { text: s, cut: false };
  const bytes = ENCODER.encode(s);
  if (bytes.length <= max) return { text: s, cut: false };
  let end = max;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--; // not inside a multi-byte character
  return { text: DECODER.decode(bytes.subarray(0, end)), cut: true };
}

const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;
const zeros = (s: string) => /^0+$/.test(s);

/** A trace or span id as stored: lowercase hex of the right length and not all zeros, else null. */
export function normaliseId(v: unknown, kind: 'trace' | 'span'): string | null {
  if (typeof v !== 'string') return null;
  const s = v.trim().toLowerCase();
  return (kind === 'trace' ? HEX32 : HEX16).test(s) && !zeros(s) ? s : null;
}

/** Applies the caps and cleans text: what the database gets. */
export function capLine(raw: RawLine): StoredLine {
  let truncated = false;
  let dropped = 0;
  const msg = cutBytes(clean(raw.message.replace(/\r?\n$/, '')), LOG_LIMITS.maxMessageBytes);
  truncated ||= msg.cut;
  const attributes: Record<string, unknown> = {};
  let kept = 0;
  for (const [k, v] of Object.entries(raw.attributes)) {
    if (v === undefined || v === null) continue;
    if (k.length > LOG_LIMITS.maxAttributeKeyLength || kept >= LOG_LIMITS.maxAttributes) {
      dropped++;
      continue;
    }
    let value: unknown = v;
    if (typeof v === 'string') {
      const c = clean(v);
      value = c.length > LOG_LIMITS.maxAttributeValueLength ? c.slice(0, LOG_LIMITS.maxAttributeValueLength) : c;
      if (c.length > LOG_LIMITS.maxAttributeValueLength) truncated = true;
    } else if (typeof v !== 'number' && typeof v !== 'boolean') {
      const text = clean(JSON.stringify(v) ?? '');
      value = text.length > LOG_LIMITS.maxAttributeValueLength ? text.slice(0, LOG_LIMITS.maxAttributeValueLength) : text;
      if (text.length > LOG_LIMITS.maxAttributeValueLength) truncated = true;
    } else if (typeof v === 'number' && !Number.isFinite(v)) {
      value = String(v); // JSON has no NaN or Infinity
    }
    attributes[clean(k)] = value;
    kept++;
  }
  const service = clean(raw.service.trim()).replace(/[\x00-\x1f\x7f]/g, ' ').slice(0, LOG_LIMITS.maxServiceLength) || UNKNOWN_SERVICE;
  const level = clean(raw.level.trim()).slice(0, LOG_LIMITS.maxLevelLength) || levelName(raw.severity);
  return {
    tsMicros: raw.tsMicros,
    ts: raw.tsMicros / 1000,
    service,
    severity: raw.severity,
    level,
    message: msg.text,
    traceId: normaliseId(raw.traceId, 'trace'),
    spanId: normaliseId(raw.spanId, 'span'),
    attributes,
    truncated,
    droppedAttributes: dropped,
  };
}

/** Why a line's time is refused, or null when it is within retention and not too far ahead. */
export function checkTime(tsMicros: number, now: number): string | null {
  const ms = tsMicros / 1000;
  if (!Number.isFinite(ms)) return 'time is not a number';
  if (ms < now - LOG_LIMITS.retentionMs) return `time ${new Date(Math.max(ms, -8.64e15)).toISOString()} is older than the ${LOG_LIMITS.retentionMs / 86_400_000} days kept`;
  if (ms > now + LOG_LIMITS.acceptFutureMs) return `time ${new Date(Math.min(ms, 8.64e15)).toISOString()} is more than ${LOG_LIMITS.acceptFutureMs / 60_000} minutes ahead`;
  return null;
}

// ---- OTLP ----------------------------------------------------------------------------

function b64(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

/** An OTLP value as JSON (bigint as a string, bytes as base64). */
export function jsonValue(v: AttrValue): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array) return b64(v);
  if (Array.isArray(v)) return v.map(jsonValue);
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonValue(x)]));
  return v;
}

/** A log body as message text: a string as it is, anything else as JSON. */
export function bodyText(body: AttrValue | undefined): string {
  if (body === undefined) return '';
  if (typeof body === 'string') return body;
  return JSON.stringify(jsonValue(body));
}

/**
 * One OTLP record as a line: time (else observed time), severity (number, else from its text),
 * the body as message, the record's attributes and then the resource's (but service.name).
 */
export function otlpLine(r: LogRecord, service: string, resource: Attrs): RawLine {
  const ns = r.timeUnixNano !== 0n ? r.timeUnixNano : r.observedTimeUnixNano;
  const attributes: Record<string, unknown> = {};
  // The record's own first: they count against the attribute cap before the resource's.
  for (const [k, v] of Object.entries(r.attributes)) attributes[k] = jsonValue(v);
  if (r.eventName) attributes['event.name'] ??= r.eventName;
  for (const [k, v] of Object.entries(resource)) if (k !== 'service.name' && !(k in attributes)) attributes[k] = jsonValue(v);
  return {
    tsMicros: Number(ns / 1000n),
    service,
    severity: r.severityNumber || severityOf(r.severityText),
    level: r.severityText,
    message: bodyText(r.body),
    traceId: r.traceId,
    spanId: r.spanId,
    attributes,
  };
}
