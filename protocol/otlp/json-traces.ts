// OTLP/HTTP JSON ExportTraceServiceRequest -> TracesRequest (the same records as pb-traces.ts).
import { enumValue, envelope, hexId, keyValues, mapList, obj, parseJson, str, time, u32, type EnvelopeNames } from './json-common.ts';
import { isZeroId, within } from './shared.ts';
import type { Span, SpanEvent, SpanLink, TracesRequest } from './types.ts';

export const SPAN_KINDS = ['SPAN_KIND_UNSPECIFIED', 'SPAN_KIND_INTERNAL', 'SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT', 'SPAN_KIND_PRODUCER', 'SPAN_KIND_CONSUMER'];
export const STATUS_CODES = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'];

const NAMES: EnvelopeNames = [
  ['resourceSpans', 'resource_spans'],
  ['scopeSpans', 'scope_spans'],
  ['spans', 'spans'],
];

export function decodeTracesJson(body: Uint8Array): TracesRequest {
  return envelope(parseJson(body), NAMES, span) as unknown as TracesRequest;
}

function span(v: unknown): Span {
  const m = obj(v, '');
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
  for (const k in m) {
    const x = m[k];
    if (x === null) continue;
    switch (k) {
      case 'traceId':
      case 'trace_id':
        s.traceId = hexId(x, k);
        break;
      case 'spanId':
      case 'span_id':
        s.spanId = hexId(x, k);
        break;
      case 'parentSpanId':
      case 'parent_span_id':
        s.parentSpanId = hexId(x, k);
        break;
      case 'traceState':
      case 'trace_state':
        s.traceState = str(x, k);
        break;
      case 'name':
        s.name = str(x, k);
        break;
      case 'kind':
        s.kind = enumValue(x, k, SPAN_KINDS);
        break;
      case 'startTimeUnixNano':
      case 'start_time_unix_nano':
        s.startTimeUnixNano = time(x, k);
        break;
      case 'endTimeUnixNano':
      case 'end_time_unix_nano':
        s.endTimeUnixNano = time(x, k);
        break;
      case 'attributes':
        keyValues(x, s.attributes, k);
        break;
      case 'droppedAttributesCount':
      case 'dropped_attributes_count':
        s.droppedAttributesCount = u32(x, k);
        break;
      case 'events':
        s.events = mapList(x, k, event);
        break;
      case 'links':
        s.links = mapList(x, k, link);
        break;
      case 'status':
        status(x, k, s.status);
        break;
      case 'flags':
        s.flags = u32(x, k);
        break;
    }
  }
  if (isZeroId(s.parentSpanId)) s.parentSpanId = '';
  return s;
}

function event(v: unknown): SpanEvent {
  const m = obj(v, '');
  const ev: SpanEvent = { timeUnixNano: 0n, name: '', attributes: {} };
  for (const k in m) {
    const x = m[k];
    if (x === null) continue;
    if (k === 'timeUnixNano' || k === 'time_unix_nano') ev.timeUnixNano = time(x, k);
    else if (k === 'name') ev.name = str(x, k);
    else if (k === 'attributes') keyValues(x, ev.attributes, k);
  }
  return ev;
}

function link(v: unknown): SpanLink {
  const m = obj(v, '');
  const l: SpanLink = { traceId: '', spanId: '', traceState: '', attributes: {}, flags: 0 };
  for (const k in m) {
    const x = m[k];
    if (x === null) continue;
    if (k === 'traceId' || k === 'trace_id') l.traceId = hexId(x, k);
    else if (k === 'spanId' || k === 'span_id') l.spanId = hexId(x, k);
    else if (k === 'traceState' || k === 'trace_state') l.traceState = str(x, k);
    else if (k === 'attributes') keyValues(x, l.attributes, k);
    else if (k === 'flags') l.flags = u32(x, k);
  }
  return l;
}

function status(v: unknown, name: string, into: Span['status']): void {
  try {
    const m = obj(v, '');
    for (const k in m) {
      const x = m[k];
      if (x === null) continue;
      if (k === 'code') into.code = enumValue(x, k, STATUS_CODES);
      else if (k === 'message') into.message = str(x, k);
    }
  } catch (e) {
    throw within(e, name);
  }
}
