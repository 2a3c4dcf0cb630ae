// The log search language, levels and cursors (protocol/logs.ts), and the caps and shipper field
// mapping (log-lines.ts, log-shippers.ts), without a runtime.
import { describe, expect, it } from 'vitest';
import { capLine, checkTime, cutBytes, normaliseId } from './log-lines.ts';
import { parseTime, shipperLine, splitBody } from './log-shippers.ts';
import { decodeCursor, encodeCursor, levelName, LOG_LIMITS, matchesQuery, parseLogQuery, QueryError, severityOf, tailMatches, words } from './logs.ts';

describe('parseLogQuery', () => {
  it('makes groups of atoms: words AND, OR joins neighbours, -excludes, quotes make phrases', () => {
    expect(parseLogQuery('')).toEqual([]);
    expect(parseLogQuery('Timeout  db')).toEqual([[{ words: ['timeout'], negated: false }], [{ words: ['db'], negated: false }]]);
    expect(parseLogQuery('a OR b c')).toEqual([
      [
        { words: ['a'], negated: false },
        { words: ['b'], negated: false },
      ],
      [{ words: ['c'], negated: false }],
    ]);
    expect(parseLogQuery('"connection reset" -retry user_id')).toEqual([
      [{ words: ['connection', 'reset'], negated: false }],
      [{ words: ['retry'], negated: true }],
      [{ words: ['user', 'id'], negated: false }],
    ]);
    expect(parseLogQuery('or')).toEqual([[{ words: ['or'], negated: false }]]); // only upper-case OR is the operator
  });

  it.each([
    ['"open', /unclosed quote at position 1/],
    ['OR a', /OR at position 1/],
    ['a OR OR b', /OR at position 6/],
    ['a OR', /OR at position 3/],
    ['-a -b', /only excludes/],
    ['a ... b', /"\.\.\." at position 3/],
    ['x'.repeat(LOG_LIMITS.maxQueryLength + 1), /characters/],
    [Array.from({ length: LOG_LIMITS.maxQueryTerms + 1 }, (_, i) => `w${i}`).join(' '), /terms/],
  ])('refuses %j naming the problem', (q, message) => {
    expect(() => parseLogQuery(q)).toThrow(QueryError);
    expect(() => parseLogQuery(q)).toThrow(message);
  });

  it('matches messages word for word as the index splits them', () => {
    const m = 'GET /api/v1/users?id=42 took 3.5s (user_id=7) Connection reset by peer';
    expect(words('db.example.com:5432')).toEqual(['db', 'example', 'com', '5432']);
    const yes = ['users', 'GET users', '"connection reset"', 'user_id', '"id 7"', 'nothing OR peer', 'reset -retry', 'naïve OR 42'];
    const no = ['use', '"reset connection"', 'reset -peer', 'retry', '"users 42"'];
    for (const q of yes) expect(matchesQuery(parseLogQuery(q), m), q).toBe(true);
    for (const q of no) expect(matchesQuery(parseLogQuery(q), m), q).toBe(false);
    expect(matchesQuery(parseLogQuery('ÉTÉ'), 'un été chaud')).toBe(true);
  });
});

describe('levels', () => {
  it('reads names, aliases, OTLP names with a digit and severity numbers', () => {
    expect(['TRACE', 'debug', 'Info', 'WARNING', 'err', 'CRITICAL', 'fatal'].map(severityOf)).toEqual([1, 5, 9, 13, 17, 21, 21]);
    expect(['INFO2', 'ERROR4', 'notice', '13', 24, 0, 25, 'loud', null].map(severityOf)).toEqual([10, 20, 10, 13, 24, 0, 0, 0, 0]);
    expect([0, 1, 4, 5, 9, 16, 17, 24, 25].map(levelName)).toEqual(['', 'trace', 'trace', 'debug', 'info', 'warn', 'error', 'fatal', '']);
  });

  it('the tail filter: service, level and above, words', () => {
    const line = { ts: 1, service: 'api', severity: 17, level: 'ERROR', message: 'db down', traceId: null, spanId: null, attributes: {}, truncated: false, droppedAttributes: 0 };
    expect(tailMatches({ minSeverity: 13, q: parseLogQuery('db') }, line)).toBe(true);
    expect(tailMatches({ minSeverity: 21, q: [] }, line)).toBe(false);
    expect(tailMatches({ service: 'web', minSeverity: 0, q: [] }, line)).toBe(false);
    expect(tailMatches({ minSeverity: 0, q: parseLogQuery('up') }, line)).toBe(false);
  });
});

describe('cursors', () => {
  it('round-trip and refuse what they did not make', () => {
    const c = encodeCursor(1_764_612_345_123_456n, 9_007_199_254_740_993n);
    expect(decodeCursor(c)).toEqual({ tsMicros: 1_764_612_345_123_456n, id: 9_007_199_254_740_993n });
    for (const bad of ['', 'abc', '1.2.3', 'ZZ.1', `${'z'.repeat(15)}.1`]) expect(decodeCursor(bad), bad).toBeNull();
  });
});

describe('caps', () => {
  it('cuts at a character boundary in UTF-8 bytes', () => {
    expect(cutBytes('aé', 2)).toEqual({ text: 'a', cut: true });
    expect(cutBytes('aé', 3)).toEqual({ text: 'aé', cut: false });
    expect(cutBytes('😀😀', 5)).toEqual({ text: '😀', cut: true });
  });

  it('cleans text Postgres cannot store, checks ids, fills level and service', () => {
    const l = capLine({ tsMicros: 5, service: ' ', severity: 13, level: '', message: 'a\u0000b\ud800\n', traceId: '4BF92F3577B34DA6A3CE929D0E0E4736', spanId: '0000000000000000', attributes: { k: 'v\u0000', n: NaN, o: { x: 1 }, u: undefined } });
    expect(l).toMatchObject({ service: 'unknown_service', level: 'warn', message: 'a\uFFFDb\uFFFD', traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: null, truncated: false });
    expect(l.attributes).toEqual({ k: 'v\uFFFD', n: 'NaN', o: '{"x":1}' });
    expect(normaliseId('00000000000000000000000000000000', 'trace')).toBeNull();
  });

  it('accepts times within retention and not too far ahead', () => {
    const now = Date.UTC(2026, 11, 1);
    expect(checkTime(now * 1000, now)).toBeNull();
    expect(checkTime((now - LOG_LIMITS.retentionMs - 1) * 1000, now)).toMatch(/older than the 7 days/);
    expect(checkTime((now + LOG_LIMITS.acceptFutureMs + 1) * 1000, now)).toMatch(/60 minutes ahead/);
  });
});

describe('shipper bodies', () => {
  it('reads NDJSON, arrays and one pretty-printed object', () => {
    expect(splitBody('{"a":1}\n\n{"b":2}\r\n')).toEqual([
      { n: 1, value: { a: 1 } },
      { n: 3, value: { b: 2 } },
    ]);
    expect(splitBody('[{"a":1},"x"]')).toEqual([
      { n: 1, value: { a: 1 } },
      { n: 2, value: 'x' },
    ]);
    expect(splitBody('{\n  "message": "pretty"\n}')).toEqual([{ n: 1, value: { message: 'pretty' } }]);
    expect(splitBody('{"a":1}\n{"b":')[1]).toMatchObject({ n: 2, error: expect.stringMatching(/^not valid JSON/) });
  });

  it('parses every time format the shippers send', () => {
    const us = Date.UTC(2024, 0, 2, 3, 4, 5) * 1000;
    expect(parseTime(us / 1e6 + 0.123456)).toBe(us + 123456); // Fluent Bit "double"
    expect(parseTime(us / 1e6)).toBe(us); // "epoch"
    expect(parseTime(us / 1000 + 7)).toBe(us + 7000); // epoch ms
    expect(parseTime(us * 1000 + 5000)).toBe(us + 5); // ns
    expect(parseTime(String(us / 1000))).toBe(us);
    expect(parseTime('2024-01-02T03:04:05.123456Z')).toBe(us + 123456); // Fluent Bit iso8601
    expect(parseTime('2024-01-02T03:04:05.123456789Z')).toBe(us + 123456); // Vector
    expect(parseTime('2024-01-02 03:04:05.000681')).toBe(us + 681); // java_sql_timestamp, UTC
    expect(parseTime('2024-01-02T05:04:05+02:00')).toBe(us);
    expect(parseTime('2024-01-01T22:04:05.5-0500')).toBe(us + 500_000);
    expect(parseTime('Tue, 02 Jan 2024 03:04:05 GMT')).toBe(us);
    expect(parseTime('2024-13-02T03:04:05Z')).toMatch(/not a valid date/);
    expect(parseTime('soon')).toMatch(/not a date/);
    expect(parseTime(true)).toMatch(/must be a number or a date/);
  });

  it('maps the documented fields, the first of each list present, the rest to flattened attributes', () => {
    const l = shipperLine({ time: 1_700_000_000, date: 5, msg: 'hi', log: 'second', severity: 'warning', service: 'api', traceId: 'ABCDEF0123456789ABCDEF0123456789', a: { b: { c: 1 } }, list: [1, 2] }, 0, 'dflt');
    expect(l).toEqual({
      tsMicros: 1_700_000_000_000_000,
      service: 'api',
      severity: 13,
      level: 'warning',
      message: 'hi',
      traceId: 'ABCDEF0123456789ABCDEF0123456789',
      spanId: '',
      attributes: { date: 5, log: 'second', 'a.b.c': 1, list: [1, 2] },
    });
    expect(shipperLine('plain text', 7, 'dflt')).toMatchObject({ tsMicros: 7, service: 'dflt', message: 'plain text' });
    expect(shipperLine(42, 7, 'dflt')).toMatch(/JSON object/);
    expect(shipperLine({ '@timestamp': 'never' }, 7, 'dflt')).toMatch(/^@timestamp: /);
    expect(shipperLine({ message: { nested: true }, span_id: '00f067aa0ba902b7' }, 7, 'd')).toMatchObject({ message: '{"nested":true}', spanId: '', attributes: {} });
  });
});
