// Protobuf ExportLogsServiceRequest -> LogsRequest (field numbers from logs.proto).
import { readAnyValue, readEnvelope, readKeyValue } from './pb-common.ts';
import { isZeroId, within } from './shared.ts';
import type { LogRecord, LogsRequest } from './types.ts';
import { fieldName, fields, Reader } from './wire.ts';

const LOG = fields({
  1: ['timeUnixNano', 1],
  11: ['observedTimeUnixNano', 1],
  2: ['severityNumber', 0],
  3: ['severityText', 2],
  5: ['body', 2],
  6: ['attributes', 2],
  7: ['droppedAttributesCount', 0],
  8: ['flags', 5],
  9: ['traceId', 2],
  10: ['spanId', 2],
  12: ['eventName', 2],
});

const NAMES = ['resourceLogs', 'scopeLogs', 'logRecords'] as const;

export function decodeLogsProto(body: Uint8Array): LogsRequest {
  return readEnvelope(body, NAMES, readLog) as unknown as LogsRequest;
}

export function newLogRecord(): LogRecord {
  return {
    timeUnixNano: 0n,
    observedTimeUnixNano: 0n,
    severityNumber: 0,
    severityText: '',
    body: undefined,
    attributes: {},
    droppedAttributesCount: 0,
    flags: 0,
    traceId: '',
    spanId: '',
    eventName: '',
  };
}

/** All-zero ids mean "no trace context" in logs; both decoders map them to ''. */
export function normaliseLogIds(l: LogRecord): LogRecord {
  if (isZeroId(l.traceId)) l.traceId = '';
  if (isZeroId(l.spanId)) l.spanId = '';
  return l;
}

function readLog(r: Reader, end: number): LogRecord {
  const l = newLogRecord();
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = r.tag(end);
      switch (tag) {
        case 0x09:
          l.timeUnixNano = r.fixed64(end);
          break;
        case 0x59:
          l.observedTimeUnixNano = r.fixed64(end);
          break;
        case 0x10:
          l.severityNumber = r.int32(end);
          break;
        case 0x1a:
          l.severityText = r.string(end);
          break;
        case 0x2a: {
          // A repeated message field merges; an empty repeat leaves the body as it was.
          const b = readAnyValue(r, r.len(end), 0);
          if (b !== undefined) l.body = b;
          break;
        }
        case 0x32:
          readKeyValue(r, r.len(end), l.attributes, 0);
          break;
        case 0x38:
          l.droppedAttributesCount = r.varint(end);
          break;
        case 0x45:
          l.flags = r.fixed32(end);
          break;
        case 0x4a:
          l.traceId = r.hex(end);
          break;
        case 0x52:
          l.spanId = r.hex(end);
          break;
        case 0x62:
          l.eventName = r.string(end);
          break;
        default:
          r.other(tag, end, LOG);
      }
    }
  } catch (e) {
    throw within(e, fieldName(LOG, tag));
  }
  return normaliseLogIds(l);
}
