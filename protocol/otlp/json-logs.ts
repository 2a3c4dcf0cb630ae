// OTLP/HTTP JSON ExportLogsServiceRequest -> LogsRequest (the same records as pb-logs.ts).
import { anyValue, enumValue, envelope, hexId, keyValues, obj, parseJson, str, time, u32, type EnvelopeNames } from './json-common.ts';
import { newLogRecord, normaliseLogIds } from './pb-logs.ts';
import type { LogRecord, LogsRequest } from './types.ts';

const LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];
export const SEVERITY_NUMBERS = ['SEVERITY_NUMBER_UNSPECIFIED'];
for (const level of LEVELS) for (const n of ['', '2', '3', '4']) SEVERITY_NUMBERS.push(`SEVERITY_NUMBER_${level}${n}`);

const NAMES: EnvelopeNames = [
  ['resourceLogs', 'resource_logs'],
  ['scopeLogs', 'scope_logs'],
  ['logRecords', 'log_records'],
];

export function decodeLogsJson(body: Uint8Array): LogsRequest {
  return envelope(parseJson(body), NAMES, logRecord) as unknown as LogsRequest;
}

function logRecord(v: unknown): LogRecord {
  const m = obj(v, '');
  const l = newLogRecord();
  for (const k in m) {
    const x = m[k];
    if (x === null) continue;
    switch (k) {
      case 'timeUnixNano':
      case 'time_unix_nano':
        l.timeUnixNano = time(x, k);
        break;
      case 'observedTimeUnixNano':
      case 'observed_time_unix_nano':
        l.observedTimeUnixNano = time(x, k);
        break;
      case 'severityNumber':
      case 'severity_number':
        l.severityNumber = enumValue(x, k, SEVERITY_NUMBERS);
        break;
      case 'severityText':
      case 'severity_text':
        l.severityText = str(x, k);
        break;
      case 'body':
        l.body = anyValue(x, k, 0);
        break;
      case 'attributes':
        keyValues(x, l.attributes, k);
        break;
      case 'droppedAttributesCount':
      case 'dropped_attributes_count':
        l.droppedAttributesCount = u32(x, k);
        break;
      case 'flags':
        l.flags = u32(x, k);
        break;
      case 'traceId':
      case 'trace_id':
        l.traceId = hexId(x, k);
        break;
      case 'spanId':
      case 'span_id':
        l.spanId = hexId(x, k);
        break;
      case 'eventName':
      case 'event_name':
        l.eventName = str(x, k);
        break;
    }
  }
  return normaliseLogIds(l);
}
