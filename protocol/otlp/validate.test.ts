// validateSpan / validateLogRecord: each reason, on records decoded from JSON bodies (so the
// route's path, decode then drop, is what is tested), and bad records never fail the request.
import { describe, expect, it } from 'vitest';
import { decodeLogs, decodeTraces, validateLogRecord, validateSpan } from './index.ts';
import { utf8 } from './test-helpers.ts';

const TRACE = '5b8efff798038103d269b633813fc60c';
const SPAN = 'eee19b7ec3c1b174';
const good = { traceId: TRACE, spanId: SPAN, startTimeUnixNano: '10', endTimeUnixNano: '20', kind: 2 };

describe('validateSpan', () => {
  const cases: [string, Record<string, unknown>, string | null][] = [
    ['valid', {}, null],
    ['root with an empty parent', { parentSpanId: '' }, null],
    ['zero duration', { endTimeUnixNano: '10' }, null],
    ['short trace id', { traceId: TRACE.slice(2) }, 'bad trace id'],
    ['all-zero trace id', { traceId: '0'.repeat(32) }, 'bad trace id'],
    ['non-hex trace id', { traceId: 'g'.repeat(32) }, 'bad trace id'],
    ['missing trace id', { traceId: null }, 'bad trace id'],
    ['long span id', { spanId: SPAN + '00' }, 'bad span id'],
    ['all-zero span id', { spanId: '0'.repeat(16) }, 'bad span id'],
    ['bad parent', { parentSpanId: 'xyz' }, 'bad parent span id'],
    ['kind out of range', { kind: 6 }, 'bad kind'],
    ['negative kind', { kind: -1 }, 'bad kind'],
    ['status out of range', { status: { code: 3 } }, 'bad status code'],
    ['no start', { startTimeUnixNano: '0' }, 'missing start time'],
    ['no end', { endTimeUnixNano: null }, 'missing end time'],
    ['end before start', { endTimeUnixNano: '9' }, 'end before start'],
    ['bad link trace id', { links: [{ traceId: 'ab', spanId: SPAN }] }, 'bad link trace id'],
    ['bad link span id', { links: [{ traceId: TRACE, spanId: '' }] }, 'bad link span id'],
  ];
  it.each(cases)('%s', (_, patch, reason) => {
    const body = utf8(JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ ...good, ...patch }] }] }] }));
    expect(validateSpan(decodeTraces(body, 'json').resourceSpans[0]!.scopeSpans[0]!.spans[0]!)).toBe(reason);
  });

  it('one bad span leaves its neighbours decodable and valid', () => {
    const spans = [good, { ...good, traceId: 'nope' }, { ...good, spanId: 'a'.repeat(16) }];
    const req = decodeTraces(utf8(JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans }] }] })), 'json');
    expect(req.resourceSpans[0]!.scopeSpans[0]!.spans.map(validateSpan)).toStrictEqual([null, 'bad trace id', null]);
  });
});

describe('validateLogRecord', () => {
  const cases: [string, Record<string, unknown>, string | null][] = [
    ['valid without trace context', {}, null],
    ['valid with trace context', { traceId: TRACE, spanId: SPAN }, null],
    ['observed time only', { timeUnixNano: null, observedTimeUnixNano: '5' }, null],
    ['bad trace id', { traceId: 'abc' }, 'bad trace id'],
    ['bad span id', { traceId: TRACE, spanId: 'abc' }, 'bad span id'],
    ['span id without trace id', { spanId: SPAN }, 'span id without trace id'],
    ['severity out of range', { severityNumber: 25 }, 'bad severity number'],
    ['no time at all', { timeUnixNano: null }, 'missing time'],
  ];
  it.each(cases)('%s', (_, patch, reason) => {
    const body = utf8(JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ timeUnixNano: '1', body: { stringValue: 'm' }, ...patch }] }] }] }));
    expect(validateLogRecord(decodeLogs(body, 'json').resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!)).toBe(reason);
  });
});
