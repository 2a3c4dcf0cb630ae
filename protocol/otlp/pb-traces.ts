// Protobuf ExportTraceServiceRequest -> TracesRequest (field numbers from trace.proto).
import { KeyMatcher, readEnvelope, readKeyValue, readKeyValueIf } from './pb-common.ts';
import { isZeroId, within } from './shared.ts';
import type { Attrs, Span, SpanEvent, SpanLink, TracesRequest } from './types.ts';
import { fieldName, fields, Reader } from './wire.ts';

const SPAN = fields({
  1: ['traceId', 2],
  2: ['spanId', 2],
  3: ['traceState', 2],
  4: ['parentSpanId', 2],
  5: ['name', 2],
  6: ['kind', 0],
  7: ['startTimeUnixNano', 1],
  8: ['endTimeUnixNano', 1],
  9: ['attributes', 2],
  10: ['droppedAttributesCount', 0],
  11: ['events', 2],
  12: ['droppedEventsCount', 0],
  13: ['links', 2],
  14: ['droppedLinksCount', 0],
  15: ['status', 2],
  16: ['flags', 5],
});
const EVENT = fields({ 1: ['timeUnixNano', 1], 2: ['name', 2], 3: ['attributes', 2], 4: ['droppedAttributesCount', 0] });
const LINK = fields({ 1: ['traceId', 2], 2: ['spanId', 2], 3: ['traceState', 2], 4: ['attributes', 2], 5: ['droppedAttributesCount', 0], 6: ['flags', 5] });
const STATUS = fields({ 2: ['message', 2], 3: ['code', 0] });

const NAMES = ['resourceSpans', 'scopeSpans', 'spans'] as const;

export interface TracesDecodeOptions {
  /**
   * Span attributes to decode now; the others are checked but made only when spanAttributes()
   * asks (a span to store). For a route that reads a few keys of every span and stores few
   * spans: making them all was a third of the decoder's time (docs/performance.md, "Deferred
   * span attributes").
   */
  onlyAttributes?: readonly string[];
}

const matchers = new WeakMap<readonly string[], KeyMatcher>();

export function decodeTracesProto(body: Uint8Array, opts: TracesDecodeOptions = {}): TracesRequest {
  const only = opts.onlyAttributes;
  if (!only) return readEnvelope(body, NAMES, (r, end) => readSpan(r, end, null)) as unknown as TracesRequest;
  let keys = matchers.get(only);
  if (!keys) matchers.set(only, (keys = new KeyMatcher(only)));
  return readEnvelope(body, NAMES, (r, end) => readSpan(r, end, keys)) as unknown as TracesRequest;
}

/**
 * A span's attributes, all of them: those of a span decoded with onlyAttributes are made now,
 * from its bytes, as the full decoder would have made them (same order, same caps).
 */
export function spanAttributes(s: Span): Attrs {
  const d = s.deferred;
  if (!d) return s.attributes;
  const r = new Reader(d.buf);
  r.pos = d.start;
  const attrs: Attrs = {};
  while (r.pos < d.end) {
    const tag = r.tag(d.end);
    if (tag === 0x4a) readKeyValue(r, r.len(d.end), attrs, 0);
    else r.skip(tag, d.end, 0);
  }
  s.attributes = attrs;
  s.deferred = null;
  return attrs;
}

function readSpan(r: Reader, end: number, keys: KeyMatcher | null): Span {
  const start = r.pos;
  let deferred = false;
  const s: Span = {
    traceId: '',
    spanId: '',
    parentSpanId: '',
    traceState: '',
    name: '',
    kind: 0,
    startTimeUnixNano: 0n,
    endTimeUnixNano: 0n,
    attributes: {},
    droppedAttributesCount: 0,
    events: [],
    links: [],
    status: { code: 0, message: '' },
    flags: 0,
  };
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = r.tag(end);
      switch (tag) {
        case 0x0a:
          s.traceId = r.hex(end);
          break;
        case 0x12:
          s.spanId = r.hex(end);
          break;
        case 0x1a:
          s.traceState = r.string(end);
          break;
        case 0x22:
          s.parentSpanId = r.hex(end);
          break;
        case 0x2a:
          s.name = r.string(end);
          break;
        case 0x30:
          s.kind = r.int32(end);
          break;
        case 0x39:
          s.startTimeUnixNano = r.fixed64(end);
          break;
        case 0x41:
          s.endTimeUnixNano = r.fixed64(end);
          break;
        case 0x4a:
          if (keys === null) readKeyValue(r, r.len(end), s.attributes, 0);
          else if (!readKeyValueIf(r, r.len(end), s.attributes, keys)) deferred = true;
          break;
        case 0x50:
          s.droppedAttributesCount = r.varint(end);
          break;
        case 0x5a:
          s.events.push(readEvent(r, r.len(end)));
          break;
        case 0x6a:
          s.links.push(readLink(r, r.len(end)));
          break;
        case 0x7a:
          readStatus(r, r.len(end), s.status);
          break;
        case 0x85:
          s.flags = r.fixed32(end);
          break;
        default:
          r.other(tag, end, SPAN);
      }
    }
  } catch (e) {
    throw within(e, tag === 0x5a ? `events[${s.events.length}]` : tag === 0x6a ? `links[${s.links.length}]` : fieldName(SPAN, tag));
  }
  if (isZeroId(s.parentSpanId)) s.parentSpanId = '';
  if (keys !== null) s.deferred = deferred ? { buf: r.buf, start, end } : null;
  return s;
}

function readEvent(r: Reader, end: number): SpanEvent {
  const ev: SpanEvent = { timeUnixNano: 0n, name: '', attributes: {} };
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = r.tag(end);
      if (tag === 0x09) ev.timeUnixNano = r.fixed64(end);
      else if (tag === 0x12) ev.name = r.string(end);
      else if (tag === 0x1a) readKeyValue(r, r.len(end), ev.attributes, 0);
      else r.other(tag, end, EVENT);
    }
  } catch (e) {
    throw within(e, fieldName(EVENT, tag));
  }
  return ev;
}

function readLink(r: Reader, end: number): SpanLink {
  const l: SpanLink = { traceId: '', spanId: '', traceState: '', attributes: {}, flags: 0 };
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = r.tag(end);
      if (tag === 0x0a) l.traceId = r.hex(end);
      else if (tag === 0x12) l.spanId = r.hex(end);
      else if (tag === 0x1a) l.traceState = r.string(end);
      else if (tag === 0x22) readKeyValue(r, r.len(end), l.attributes, 0);
      else if (tag === 0x35) l.flags = r.fixed32(end);
      else r.other(tag, end, LINK);
    }
  } catch (e) {
    throw within(e, fieldName(LINK, tag));
  }
  return l;
}

function readStatus(r: Reader, end: number, into: Span['status']): void {
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = r.tag(end);
      if (tag === 0x12) into.message = r.string(end);
      else if (tag === 0x18) into.code = r.int32(end);
      else r.other(tag, end, STATUS);
    }
  } catch (e) {
    throw within(e, fieldName(STATUS, tag));
  }
}
