// Per-record checks the decoders leave to the route, so one bad span or log record is dropped
// (and counted in partial_success) instead of failing the whole request. Each returns a short
// reason, or null when the record is usable.
import { isHexId } from './shared.ts';
import type { LogRecord, Span } from './types.ts';

export function validateSpan(s: Span): string | null {
  if (!isHexId(s.traceId, 32)) return 'bad trace id';
  if (!isHexId(s.spanId, 16)) return 'bad span id';
  if (s.parentSpanId !== '' && !isHexId(s.parentSpanId, 16)) return 'bad parent span id';
  if (s.kind < 0 || s.kind > 5) return 'bad kind';
  if (s.status.code < 0 || s.status.code > 2) return 'bad status code';
  if (s.startTimeUnixNano === 0n) return 'missing start time';
  if (s.endTimeUnixNano === 0n) return 'missing end time';
  if (s.endTimeUnixNano < s.startTimeUnixNano) return 'end before start';
  for (const l of s.links) {
    if (!isHexId(l.traceId, 32)) return 'bad link trace id';
    if (!isHexId(l.spanId, 16)) return 'bad link span id';
  }
  return null;
}

export function validateLogRecord(l: LogRecord): string | null {
  if (l.traceId !== '' && !isHexId(l.traceId, 32)) return 'bad trace id';
  if (l.spanId !== '' && !isHexId(l.spanId, 16)) return 'bad span id';
  if (l.spanId !== '' && l.traceId === '') return 'span id without trace id';
  if (l.severityNumber < 0 || l.severityNumber > 24) return 'bad severity number';
  if (l.timeUnixNano === 0n && l.observedTimeUnixNano === 0n) return 'missing time';
  return null;
}
