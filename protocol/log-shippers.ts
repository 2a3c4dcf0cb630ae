// POST /api/v1/logs bodies as log shippers send them (docs/logs.md): newline-delimited JSON
// (Fluent Bit `format json_lines`, Vector's newline_delimited framing), a JSON array (Logstash
// `json_batch`, Vector's default json framing) or one object (Logstash `format json`). Each
// record maps to a line by the documented field names; everything else becomes attributes.
import type { RawLine } from './log-lines.ts';
import { severityOf } from './logs.ts';

export const TIME_KEYS = ['timestamp', 'time', '@timestamp', 'date'] as const;
export const LEVEL_KEYS = ['level', 'severity'] as const;
export const MESSAGE_KEYS = ['message', 'msg', 'log'] as const;
export const SERVICE_KEYS = ['service', 'service.name', 'service_name'] as const;
export const TRACE_KEYS = ['trace_id', 'traceId', 'trace.id'] as const;
export const SPAN_KEYS = ['span_id', 'spanId', 'span.id'] as const;
/** Nested objects become dotted attribute keys down to this depth; deeper ones are kept as JSON. */
const FLATTEN_DEPTH = 4;

/** A record of the body: its position (1-based line or array index + 1) and value, or why it did not parse. */
export type BodyRecord = { n: number; value: unknown } | { n: number; error: string };

/**
 * Splits a body into records. A body starting with `[` is one JSON array; otherwise each
 * non-empty line is a record, unless the whole body is one (pretty-printed) JSON value.
 */
export function splitBody(text: string): BodyRecord[] {
  const t = text.trim();
  if (t.startsWith('[')) {
    let arr: unknown;
    try {
      arr = JSON.parse(t);
    } catch (err) {
      return [{ n: 1, error: `not valid JSON: ${(err as Error).message}` }];
    }
    if (!Array.isArray(arr)) return [{ n: 1, error: 'not a JSON array' }];
    return arr.map((value, i) => ({ n: i + 1, value }));
  }
  const out: BodyRecord[] = [];
  const lines = t.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    try {
      out.push({ n: i + 1, value: JSON.parse(line) });
    } catch (err) {
      out.push({ n: i + 1, error: `not valid JSON: ${(err as Error).message}` });
    }
  }
  if (lines.length > 1 && out.length > 0 && out.every((r) => 'error' in r)) {
    try {
      return [{ n: 1, value: JSON.parse(t) }];
    } catch {
      /* the per-line errors say more */
    }
  }
  return out;
}

function pick(rec: Record<string, unknown>, keys: readonly string[]): { key: string; value: unknown } | null {
  for (const key of keys) if (rec[key] !== undefined && rec[key] !== null) return { key, value: rec[key] };
  return null;
}

/** Epoch seconds, milliseconds, microseconds or nanoseconds, told apart by size. */
function epochMicros(n: number): number {
  const a = Math.abs(n);
  if (a < 1e11) return Math.round(n * 1e6); // seconds (Fluent Bit's "double" and "epoch")
  if (a < 1e14) return Math.round(n * 1e3); // milliseconds
  if (a < 1e17) return Math.round(n); // microseconds
  return Math.round(n / 1e3); // nanoseconds
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * A time field as microseconds since the epoch: a number (see epochMicros), a string of one, or
 * an ISO 8601 / RFC 3339 date with up to nanoseconds (no zone means UTC); else an error text.
 */
export function parseTime(v: unknown): number | string {
  if (typeof v === 'number') return Number.isFinite(v) ? epochMicros(v) : 'is not a finite number';
  if (typeof v !== 'string') return 'must be a number or a date string';
  const s = v.trim();
  if (/^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(s)) return epochMicros(Number(s));
  const m = ISO.exec(s);
  if (m) {
    const [, y, mo, d, h, mi, sec, frac, zone] = m;
    let ms = Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +(sec ?? 0));
    if (Number.isNaN(ms) || +mo! > 12 || +d! > 31 || +h! > 23 || +mi! > 59 || +(sec ?? 0) > 60) return `"${s.slice(0, 40)}" is not a valid date`;
    if (zone && zone.toUpperCase() !== 'Z') {
      const zm = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone)!;
      ms -= (zm[1] === '-' ? -1 : 1) * (+zm[2]! * 60 + +(zm[3] ?? 0)) * 60_000;
    }
    const micros = frac ? Math.floor(Number(frac.padEnd(9, '0')) / 1000) : 0;
    return ms * 1000 + micros;
  }
  const parsed = Date.parse(s);
  return Number.isNaN(parsed) ? `"${s.slice(0, 40)}" is not a date` : parsed * 1000;
}

function flatten(value: unknown, prefix: string, depth: number, out: Record<string, unknown>) {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && depth < FLATTEN_DEPTH) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, depth + 1, out);
    return;
  }
  if (prefix) out[prefix] = value;
}

const text = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/**
 * One record as a line. A JSON string is a message by itself. `receivedMicros` stands in for a
 * missing time, `defaultService` (the `service` query parameter, else unknown_service) for a
 * missing service.
 */
export function shipperLine(value: unknown, receivedMicros: number, defaultService: string): RawLine | string {
  if (typeof value === 'string') return { tsMicros: receivedMicros, service: defaultService, severity: 0, level: '', message: value, traceId: '', spanId: '', attributes: {} };
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'must be a JSON object (or a string)';
  const rec = value as Record<string, unknown>;
  const used = new Set<string>();
  const take = (keys: readonly string[]) => {
    const p = pick(rec, keys);
    if (p) used.add(p.key);
    return p?.value;
  };
  const t = take(TIME_KEYS);
  let tsMicros = receivedMicros;
  if (t !== undefined) {
    const parsed = parseTime(t);
    if (typeof parsed === 'string') return `${TIME_KEYS.find((k) => used.has(k))}: ${parsed}`;
    tsMicros = parsed;
  }
  const level = take(LEVEL_KEYS);
  const message = take(MESSAGE_KEYS);
  const service = take(SERVICE_KEYS);
  const traceId = take(TRACE_KEYS);
  const spanId = take(SPAN_KEYS);
  const attributes: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rec)) if (!used.has(k)) flatten(v, k, 0, attributes);
  // An id that is not one (wrong length, not hex) is kept, as an attribute.
  const tid = typeof traceId === 'string' && /^[0-9a-f]{32}$/i.test(traceId.trim()) ? traceId : '';
  const sid = typeof spanId === 'string' && /^[0-9a-f]{16}$/i.test(spanId.trim()) ? spanId : '';
  if (traceId !== undefined && !tid) attributes[TRACE_KEYS.find((k) => used.has(k))!] = traceId;
  if (spanId !== undefined && !sid) attributes[SPAN_KEYS.find((k) => used.has(k))!] = spanId;
  return {
    tsMicros,
    service: service === undefined ? defaultService : text(service),
    severity: severityOf(level),
    level: level === undefined ? '' : text(level),
    message: message === undefined ? '' : text(message),
    traceId: tid,
    spanId: tid ? sid : '',
    attributes,
  };
}
