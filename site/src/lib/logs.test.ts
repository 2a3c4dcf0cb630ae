import { describe, expect, it } from 'vitest';
import { histogramPath, levelOf, livePath, logsOfTraceUrl, logViewSearch, mergeLive, readLogView, readPickedRange, searchPath, traceUrl, type ShownLine } from './logs.ts';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

describe('the log explorer URL', () => {
  it('reads what the trace page links with and writes it back', () => {
    const v = readLogView(`?trace_id=${TRACE.toUpperCase()}&span_id=00f067aa0ba902b7`);
    expect(v).toEqual({ q: '', service: '', level: '', traceId: TRACE, spanId: '00f067aa0ba902b7', range: '7d' });
    expect(readLogView(logViewSearch(v))).toEqual(v);
    expect(logsOfTraceUrl(TRACE, '00f067aa0ba902b7')).toBe(`/app/logs/?trace_id=${TRACE}&span_id=00f067aa0ba902b7`);
    expect(readLogView(logsOfTraceUrl(TRACE).slice('/app/logs/'.length))).toMatchObject({ traceId: TRACE, range: '7d' });
  });

  it('drops what it cannot use and keeps the default out of the URL', () => {
    expect(readLogView('?level=loud&trace_id=xyz&range=3y&q=a%20b')).toEqual({ q: 'a b', service: '', level: '', traceId: '', spanId: '', range: '1h' });
    expect(logViewSearch(readLogView(''))).toBe('');
  });

  it('keeps a range narrowed from the histogram', () => {
    const v = readLogView('?q=x');
    expect(logViewSearch(v, { from: 1000, to: 2000 })).toBe('?q=x&from=1000&to=2000');
    expect(readPickedRange('?q=x&from=1000&to=2000')).toEqual({ from: 1000, to: 2000 });
    expect(readPickedRange('?from=2000&to=1000')).toBeNull();
    expect(readPickedRange('?from=abc&to=1000')).toBeNull();
    expect(readPickedRange('?q=x')).toBeNull();
  });

  it('builds the API paths from the filters', () => {
    const v = { q: 'db -retry', service: 'api', level: 'error', traceId: '', spanId: '', range: '1h' };
    expect(searchPath(v, 1, 2)).toBe('/api/v1/logs?q=db%20-retry&service=api&level=error&from=1&to=2&limit=100');
    expect(histogramPath({ ...v, q: '' }, 1, 2)).toBe('/api/v1/logs/histogram?service=api&level=error&from=1&to=2&buckets=60');
    expect(livePath(v)).toBe('/api/v1/logs/live?q=db%20-retry&service=api&level=error');
    expect(traceUrl(TRACE, null)).toBe(`/app/trace/?id=${TRACE}`);
    expect(levelOf(17)).toBe('error');
    expect(levelOf(0)).toBe('');
  });
});

describe('mergeLive', () => {
  const line = (ts: number): ShownLine => ({ key: String(ts), ts, service: 's', severity: 9, level: 'info', message: `m${ts}`, traceId: null, spanId: null, attributes: {}, truncated: false, droppedAttributes: 0 });
  it('puts live lines in time order, late ones below newer, and keeps the newest max', () => {
    const list = [line(30), line(10)];
    expect(mergeLive(list, [line(40), line(20)], 10).map((l) => l.ts)).toEqual([40, 30, 20, 10]);
    expect(mergeLive(list, [line(40), line(20)], 3).map((l) => l.ts)).toEqual([40, 30, 20]);
    expect(mergeLive(list, [], 3)).toBe(list);
  });
});
