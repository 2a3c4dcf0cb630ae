// A stored span's row (migrations/0008_spans.sql) from a decoded span, with the caps of
// docs/limits.md ("Stored spans") applied: attribute count, key and value lengths, events and
// links per span, and a budget for the whole JSON of a span. Truncated and marked, never refused.
import { capAttrs, capString, newCounts, safeText, type CapCounts, type JsonValue } from '../../protocol/otlp/attr-caps.ts';
import { spanAttributes } from '../../protocol/otlp/index.ts';
import { TRACE_LIMITS, type KeptReason } from '../../protocol/traces.ts';
import { cleanName } from './server-spans.ts';
import type { AcceptedSpan } from './server-spans.ts';

export interface SpanRow {
  trace_id: string;
  span_id: string;
  parent_span_id: string;
  service: string;
  route: string | null;
  name: string;
  kind: number;
  start_us: number;
  duration_ms: number;
  error: boolean;
  status_code: number;
  status_message: string;
  kept: KeptReason;
  entry: boolean;
  attributes: Record<string, JsonValue>;
  resource: Record<string, JsonValue>;
  events: { timeUs: number; name: string; attributes: Record<string, JsonValue> }[];
  links: { traceId: string; spanId: string; attributes: Record<string, JsonValue> }[];
  dropped: { attributes: number; events: number; links: number; truncated: number };
}

const SERVER = 2;
const jsonLength = (v: unknown) => JSON.stringify(v).length;

/** Resource attributes repeat for every span of a resource: capped once per object. */
const resourceCache = new WeakMap<object, { attrs: Record<string, JsonValue>; counts: CapCounts }>();

function cappedResource(resource: AcceptedSpan['resource']) {
  let hit = resourceCache.get(resource);
  if (!hit) {
    const counts = newCounts();
    const attrs = capAttrs(resource, TRACE_LIMITS, counts);
    // A resource may take a quarter of a span's JSON budget; its last attributes go first.
    const keys = Object.keys(attrs);
    let size = jsonLength(attrs);
    while (size > TRACE_LIMITS.maxSpanJsonBytes / 4 && keys.length) {
      const k = keys.pop()!;
      size -= jsonLength(k) + jsonLength(attrs[k]) + 2;
      delete attrs[k];
      counts.dropped++;
    }
    hit = { attrs, counts };
    resourceCache.set(resource, hit);
  }
  return hit;
}

export function spanRow(a: AcceptedSpan, kept: KeptReason): SpanRow {
  const s = a.span;
  const counts = newCounts();
  const attributes = capAttrs(spanAttributes(s), TRACE_LIMITS, counts); // all of them: the route decoded a few
  let droppedAttrs = counts.dropped + s.droppedAttributesCount;
  counts.dropped = 0;
  const events = s.events.slice(0, TRACE_LIMITS.maxEvents).map((e) => ({
    timeUs: Number(e.timeUnixNano / 1000n),
    name: capString(e.name, TRACE_LIMITS.maxNameLength, counts),
    attributes: capAttrs(e.attributes, TRACE_LIMITS, counts),
  }));
  const links = s.links.slice(0, TRACE_LIMITS.maxLinks).map((l) => ({ traceId: l.traceId, spanId: l.spanId, attributes: capAttrs(l.attributes, TRACE_LIMITS, counts) }));
  // Attributes dropped inside events and links count as dropped attributes of the span.
  droppedAttrs += counts.dropped;
  const res = cappedResource(a.resource);
  const row: SpanRow = {
    trace_id: s.traceId,
    span_id: s.spanId,
    parent_span_id: s.parentSpanId,
    // JSON carries a lone surrogate as an escape Postgres refuses; the signals' path re-encodes it.
    service: safeText(a.service),
    route: a.route === null ? null : safeText(a.route),
    name: capString(cleanName(s.name, TRACE_LIMITS.maxNameLength + 1), TRACE_LIMITS.maxNameLength, counts),
    kind: s.kind,
    start_us: Number(s.startTimeUnixNano / 1000n),
    duration_ms: Number(s.endTimeUnixNano - s.startTimeUnixNano) / 1e6,
    error: a.error,
    status_code: s.status.code,
    status_message: capString(safeText(s.status.message), TRACE_LIMITS.maxNameLength, counts),
    kept,
    entry: s.kind === SERVER || s.parentSpanId === '',
    attributes,
    resource: res.attrs,
    events,
    links,
    dropped: {
      attributes: droppedAttrs + res.counts.dropped,
      events: s.events.length - events.length,
      links: s.links.length - links.length,
      truncated: counts.truncated + res.counts.truncated,
    },
  };
  // JSON escapes at most 6 characters for one; below that bound the budget cannot be passed.
  if ((counts.chars + res.counts.chars + 40 * (events.length + links.length + Object.keys(attributes).length)) * 6 > TRACE_LIMITS.maxSpanJsonBytes) fitBudget(row);
  return row;
}

/** A capped resource's JSON, made once per resource (it is the same object for all its spans). */
const resourceJsonCache = new WeakMap<object, string>();

/**
 * The row as one element of the statement's JSON array (worker/db/spans.ts), with its tenant.
 * Made when the row is queued, so the drain only joins strings: no large stringify blocks the
 * isolate's requests, and the resource, repeated in every span of a body, is encoded once.
 */
export function spanRowJson(row: SpanRow, tenantId: string): string {
  const { resource, ...rest } = row;
  let res = resourceJsonCache.get(resource);
  if (res === undefined) {
    res = JSON.stringify(resource);
    resourceJsonCache.set(resource, res);
  }
  return `${JSON.stringify(rest).slice(0, -1)},"tenant_id":${JSON.stringify(tenantId)},"resource":${res}}`;
}

/** Past the JSON budget: events go first (latest first), then links, then span attributes (last first). */
function fitBudget(row: SpanRow) {
  const max = TRACE_LIMITS.maxSpanJsonBytes;
  let size = jsonLength(row.attributes) + jsonLength(row.resource) + jsonLength(row.events) + jsonLength(row.links);
  if (size <= max) return;
  while (size > max && row.events.length) {
    size -= jsonLength(row.events.pop()) + 1;
    row.dropped.events++;
  }
  while (size > max && row.links.length) {
    size -= jsonLength(row.links.pop()) + 1;
    row.dropped.links++;
  }
  const keys = Object.keys(row.attributes);
  while (size > max && keys.length) {
    const k = keys.pop()!;
    size -= jsonLength(k) + jsonLength(row.attributes[k]) + 2;
    delete row.attributes[k];
    row.dropped.attributes++;
  }
}
