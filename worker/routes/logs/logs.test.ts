// Log ingest (POST /v1/logs, POST /api/v1/logs), storage and search through the real worker and
// Postgres: mapping, caps, bad input, cursor, histogram, tenant isolation, rate limit.
import { env } from 'cloudflare:test';
import { gzipSync } from 'node:zlib';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { APM_LIMITS } from '../../../protocol/apm.ts';
import { LOG_LIMITS, words } from '../../../protocol/logs.ts';
import { uniq } from '../../../test/alert-helpers.ts';
import { get, seedTenant } from '../../../test/helpers.ts';
import { histogram, otlpLogs, postOtlpLogs, postShipperLogs, searchLogs } from '../../../test/logs.ts';
import { withDb } from '../../db/client.ts';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

describe('POST /v1/logs', () => {
  it('stores records as lines: body, severity, service, trace context, the record and resource attributes; bad records are a partial success', async () => {
    const { ingestKey, readKey } = await seedTenant();
    const now = Date.now() - 1000;
    const body = otlpLogs(
      'mailer',
      [
        { time: now, body: 'user signed in', severityNumber: 9, severityText: 'INFO', traceId: TRACE, spanId: SPAN, attrs: { 'user.id': 42, admin: false } },
        { time: now + 1, body: 'smtp send failed: timeout', severityNumber: 17, attrs: { attempt: 3 } },
        { time: now + 2, body: 'cache miss', severityText: 'debug' },
        { time: now + 3, body: 'bad id', traceId: 'xyz' }, // rejected: bad trace id
        { time: now - 8 * 86_400_000, body: 'too old' }, // rejected: past retention
      ],
      { 'k8s.pod.name': 'mailer-7f9c' },
    );
    const res = await postOtlpLogs(ingestKey, body);
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { partialSuccess?: { rejectedLogRecords?: string; errorMessage?: string } };
    expect(Number(answer.partialSuccess?.rejectedLogRecords)).toBe(2);
    expect(answer.partialSuccess?.errorMessage).toMatch(/logRecords\[3\].*trace id/);

    // Acknowledged means stored: searchable at once.
    const all = await searchLogs(readKey, { service: 'mailer' });
    expect(all.lines.map((l) => l.message)).toEqual(['cache miss', 'smtp send failed: timeout', 'user signed in']);
    const signedIn = all.lines[2]!;
    expect(signedIn).toMatchObject({ service: 'mailer', severity: 9, level: 'INFO', traceId: TRACE, spanId: SPAN, truncated: false, droppedAttributes: 0 });
    expect(signedIn.attributes).toEqual({ 'user.id': 42, admin: false, 'k8s.pod.name': 'mailer-7f9c' });
    expect(Math.abs(signedIn.ts - now)).toBeLessThan(0.01);
    expect(all.lines[0]).toMatchObject({ severity: 5, level: 'debug', traceId: null });

    expect((await searchLogs(readKey, { trace_id: TRACE })).lines.map((l) => l.message)).toEqual(['user signed in']);
    expect((await searchLogs(readKey, { trace_id: TRACE.toUpperCase(), span_id: SPAN })).lines).toHaveLength(1);
    expect((await searchLogs(readKey, { level: 'warn' })).lines.map((l) => l.message)).toEqual(['smtp send failed: timeout']);
    expect((await searchLogs(readKey, { level: 'info' })).lines).toHaveLength(2);
    expect((await searchLogs(readKey, { 'attr.user.id': '42' })).lines).toHaveLength(1);
    expect((await searchLogs(readKey, { 'attr.k8s.pod.name': 'mailer-7f9c', 'attr.attempt': '3' })).lines.map((l) => l.message)).toEqual(['smtp send failed: timeout']);
    expect((await searchLogs(readKey, { 'attr.admin': 'true' })).lines).toHaveLength(0);
    expect((await searchLogs(readKey, { q: 'SMTP timeout' })).lines).toHaveLength(1);
    expect((await searchLogs(readKey, { service: 'other' })).lines).toHaveLength(0);
  });

  it('answers client mistakes with 4xx google.rpc.Status bodies and stores nothing of them', async () => {
    const { ingestKey, readKey } = await seedTenant();
    const bad = async (res: Response, status: number, message: RegExp) => {
      expect(res.status).toBe(status);
      const b = (await res.json()) as { code: number; message: string };
      expect(typeof b.code).toBe('number');
      expect(b.message).toMatch(message);
    };
    await bad(await postOtlpLogs(ingestKey, null, { raw: '{"resourceLogs": [' }), 400, /json/i);
    await bad(await postOtlpLogs(ingestKey, null, { raw: '' }), 400, /empty/i);
    await bad(await postOtlpLogs(ingestKey, null, { raw: '{}', headers: { 'content-type': 'text/plain' } }), 415, /content-type/i);
    await bad(await postOtlpLogs(ingestKey, null, { raw: '{}', headers: { 'content-encoding': 'br' } }), 415, /encoding/i);
    await bad(await postOtlpLogs('mk_ingest_nope', otlpLogs('x', [])), 401, /key/i);
    await bad(await postOtlpLogs(readKey, otlpLogs('x', [])), 403, /ingest/i);
    await bad(await postOtlpLogs(ingestKey, { resourceLogs: [{ scopeLogs: [{ logRecords: [{ severityNumber: 'LOUD' }] }] }] }), 400, /severity/i);
    const bomb = gzipSync(Buffer.alloc(APM_LIMITS.maxBodyBytes + 1024, 32));
    await bad(await postOtlpLogs(ingestKey, null, { raw: bomb, headers: { 'content-encoding': 'gzip' } }), 413, /bytes/);
    const pb = await postOtlpLogs(ingestKey, null, { raw: new Uint8Array([0x0a, 0xff, 0xff]), headers: { 'content-type': 'application/x-protobuf' } });
    expect(pb.status).toBe(400);
    expect(pb.headers.get('content-type')).toBe('application/x-protobuf');
    const empty = await postOtlpLogs(ingestKey, null, { raw: new Uint8Array(0), headers: { 'content-type': 'application/x-protobuf' } });
    expect(empty.status).toBe(200);
    // gzip JSON is taken like plain JSON.
    const gz = await postOtlpLogs(ingestKey, null, { raw: gzipSync(JSON.stringify(otlpLogs('gz-svc', [{ time: Date.now(), body: 'zipped line' }]))), headers: { 'content-encoding': 'gzip' } });
    expect(gz.status).toBe(200);
    expect((await searchLogs(readKey, {})).lines.map((l) => l.message)).toEqual(['zipped line']);
  });

  it('caps lines: a long message is cut and marked, attributes past the count or key size are dropped and counted, long values cut', async () => {
    const { ingestKey, readKey } = await seedTenant();
    const attrs: Record<string, unknown> = { ['k'.repeat(LOG_LIMITS.maxAttributeKeyLength + 1)]: 'long key', big: 'v'.repeat(LOG_LIMITS.maxAttributeValueLength + 10) };
    for (let i = 0; i < LOG_LIMITS.maxAttributes + 5; i++) attrs[`a${i}`] = i;
    const long = `start ${'é'.repeat(LOG_LIMITS.maxMessageBytes)} end`;
    const res = await postOtlpLogs(ingestKey, otlpLogs('caps', [{ time: Date.now(), body: long, attrs }, { time: Date.now(), body: 'nul\u0000inside' }]));
    expect(res.status).toBe(200);
    const [nul, line] = (await searchLogs(readKey, { service: 'caps' })).lines;
    expect(new TextEncoder().encode(line!.message).length).toBeLessThanOrEqual(LOG_LIMITS.maxMessageBytes);
    expect(line!.message.startsWith('start é')).toBe(true);
    expect(line!.truncated).toBe(true);
    expect(Object.keys(line!.attributes)).toHaveLength(LOG_LIMITS.maxAttributes);
    // 71 sent: the long key, then 64 kept (big, a0…a62), then a63…a68 past the count.
    expect(line!.droppedAttributes).toBe(1 + 6);
    expect(String(line!.attributes.big)).toHaveLength(LOG_LIMITS.maxAttributeValueLength);
    expect(nul!.message).toBe('nul\uFFFDinside');
    expect((await searchLogs(readKey, { q: 'start' })).lines).toHaveLength(1);
  });
});

describe('POST /api/v1/logs', () => {
  it('takes NDJSON and JSON arrays, maps the documented fields, keeps the rest as attributes, and names bad lines', async () => {
    const { ingestKey, readKey } = await seedTenant();
    const t = Date.now() - 5000;
    const ndjson = [
      JSON.stringify({ date: t / 1000, log: 'GET /health 200\n', level: 'info', service: 'nginx', kubernetes: { pod_name: 'nginx-1', labels: { app: 'web' } } }),
      JSON.stringify({ '@timestamp': new Date(t + 1).toISOString(), message: 'upstream timed out', severity: 'ERROR', trace_id: TRACE, span_id: SPAN, host: 'web-1' }),
      '{"broken": ',
      JSON.stringify({ time: 'yesterday-ish', msg: 'bad time' }),
      JSON.stringify({ timestamp: (t + 2) * 1e6, msg: 'nanoseconds', trace_id: 'not-a-trace' }),
    ].join('\n');
    const res = await postShipperLogs(ingestKey, ndjson, { query: '?service=default-svc' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { accepted: number; rejected: number; errors: { line: number; message: string }[] };
    expect(body.accepted).toBe(3);
    expect(body.rejected).toBe(2);
    expect(body.errors.map((e) => e.line)).toEqual([3, 4]);
    expect(body.errors[1]!.message).toMatch(/^time: .*not a date/);

    const lines = (await searchLogs(readKey, {})).lines;
    expect(lines.map((l) => [l.service, l.message, l.level, l.severity])).toEqual([
      ['default-svc', 'nanoseconds', '', 0],
      ['default-svc', 'upstream timed out', 'ERROR', 17],
      ['nginx', 'GET /health 200', 'info', 9],
    ]);
    expect(lines[2]!.attributes).toEqual({ 'kubernetes.pod_name': 'nginx-1', 'kubernetes.labels.app': 'web' });
    expect(lines[2]!.ts).toBeCloseTo(t, 0);
    expect(lines[1]).toMatchObject({ traceId: TRACE, spanId: SPAN, attributes: { host: 'web-1' } });
    expect(lines[0]).toMatchObject({ traceId: null, attributes: { trace_id: 'not-a-trace' } });
    expect(lines[0]!.ts).toBeCloseTo(t + 2, 0);
    expect((await searchLogs(readKey, { 'attr.kubernetes.labels.app': 'web' })).lines).toHaveLength(1);

    // A JSON array (Logstash json_batch), gzip.
    const arr = JSON.stringify([{ '@timestamp': new Date(t + 3).toISOString(), message: 'from logstash', '@version': '1' }]);
    const gz = await postShipperLogs(ingestKey, gzipSync(arr), { headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } });
    expect(gz.status).toBe(200);
    expect((await searchLogs(readKey, { q: 'logstash' })).lines[0]).toMatchObject({ service: 'unknown_service', attributes: { '@version': '1' } });
  });

  it('refuses a body with no readable line (400 naming it), other media types (415), and other keys (401/403)', async () => {
    const { ingestKey, readKey } = await seedTenant();
    const err = async (res: Response, status: number, code: string, message: RegExp) => {
      expect(res.status).toBe(status);
      const b = (await res.json()) as { error: { code: string; message: string } };
      expect(b.error.code).toBe(code);
      expect(b.error.message).toMatch(message);
    };
    await err(await postShipperLogs(ingestKey, '{"a": \n{"b": '), 400, 'invalid_json', /not valid JSON.*all 2 lines rejected/);
    await err(await postShipperLogs(ingestKey, '[1, 2]'), 400, 'invalid_request', /must be a JSON object/);
    await err(await postShipperLogs(ingestKey, '{}', { headers: { 'content-type': 'text/plain' } }), 415, 'unsupported_media_type', /x-ndjson/);
    await err(await postShipperLogs(readKey, '{}'), 403, 'forbidden', /ingest/);
    await err(await postShipperLogs('mk_ingest_nope', '{}'), 401, 'unauthorized', /key/);
    const tooMany = Array.from({ length: LOG_LIMITS.maxLinesPerRequest + 1 }, () => '"x"').join('\n');
    await err(await postShipperLogs(ingestKey, tooMany), 413, 'body_too_large', /lines/);
    expect((await searchLogs(readKey, {})).lines).toHaveLength(0);
  });
});

describe('GET /api/v1/logs', () => {
  it('pages newest first with a cursor, searches words, phrases, OR and exclusions, and counts per bucket', async () => {
    const { ingestKey, readKey } = await seedTenant();
    const base = Math.floor((Date.now() - 10 * 60_000) / 60_000) * 60_000;
    const words = ['alpha', 'beta', 'gamma'];
    // 30 lines, one per 10 s, at the same microsecond in pairs (the cursor's tie-break is the id).
    const lines = Array.from({ length: 30 }, (_, i) => JSON.stringify({ time: (base + Math.floor(i / 2) * 10_000) / 1000, msg: `line ${i} ${words[i % 3]} user_id=${i}` }));
    expect((await postShipperLogs(ingestKey, lines.join('\n'))).status).toBe(200);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await searchLogs(readKey, { limit: 7, from: base, ...(cursor && { cursor }) });
      seen.push(...page.lines.map((l) => l.message.split(' ')[1]!));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(5);
    expect(seen).toHaveLength(30);
    expect(new Set(seen).size).toBe(30);
    const order = seen.map(Number);
    for (let i = 1; i < order.length; i++) expect(Math.floor(order[i - 1]! / 2)).toBeGreaterThanOrEqual(Math.floor(order[i]! / 2));

    const count = async (q: string) => (await searchLogs(readKey, { q, limit: 100 })).lines.length;
    expect(await count('alpha')).toBe(10);
    expect(await count('ALPHA OR beta')).toBe(20);
    expect(await count('line -gamma')).toBe(20);
    expect(await count('"user id 7"')).toBe(1); // punctuation splits words, as in the index
    expect(await count('"id user"')).toBe(0);
    expect(await count('user_id=7')).toBe(1);

    const h = await histogram(readKey, { from: base, to: base + 300_000, buckets: 10 });
    expect(h.stepMs).toBe(30_000);
    expect(h.buckets).toHaveLength(10);
    expect(h.buckets.reduce((a, b) => a + b.count, 0)).toBe(30);
    expect(h.buckets[0]).toEqual({ ts: base, count: 6 });
    expect((await histogram(readKey, { from: base, to: base + 300_000, buckets: 10, q: 'alpha' })).buckets.reduce((a, b) => a + b.count, 0)).toBe(10);
  });

  it('answers a query it cannot take with 400 naming the problem, and never runs it as SQL', async () => {
    const { ingestKey, readKey } = await seedTenant();
    expect((await postShipperLogs(ingestKey, JSON.stringify({ msg: "it's fine; DROP TABLE log_lines; --" }))).status).toBe(200);
    const bad = async (q: string, message: RegExp, path = '/api/v1/logs') => {
      const res = await get(readKey, `${path}?q=${encodeURIComponent(q)}`);
      expect(res.status, q).toBe(400);
      const b = (await res.json()) as { error: { code: string; field: string; message: string } };
      expect(b.error).toMatchObject({ code: 'invalid_query', field: 'q' });
      expect(b.error.message).toMatch(message);
    };
    await bad('"unclosed', /unclosed quote at position 1/);
    await bad('timeout OR', /OR at position 9/);
    await bad('-timeout', /only excludes/);
    await bad('a !!! b', /"!!!" at position 3/);
    await bad('a '.repeat(LOG_LIMITS.maxQueryTerms + 1), /terms/);
    await bad('"unclosed', /unclosed/, '/api/v1/logs/histogram');
    expect((await get(readKey, '/api/v1/logs?cursor=nope')).status).toBe(400);
    expect((await get(readKey, '/api/v1/logs?level=loud')).status).toBe(400);
    expect((await get(readKey, '/api/v1/logs?trace_id=xyz')).status).toBe(400);
    expect((await get(readKey, '/api/v1/logs?from=2000-01-01')).status).toBe(400);
    // SQL and tsquery syntax in a query are words to look for.
    expect((await searchLogs(readKey, { q: 'DROP TABLE log_lines;' })).lines).toHaveLength(1);
    expect((await searchLogs(readKey, { q: "it's" })).lines).toHaveLength(1);
    expect((await searchLogs(readKey, { q: "fine&!drop|'x':*" })).lines).toHaveLength(0); // the phrase "fine drop x"
    expect((await searchLogs(readKey, { q: "fine;drop'table" })).lines).toHaveLength(1);
    const alive = await withDb(env, (db) => db.execute(sql`SELECT count(*)::int AS n FROM log_lines`));
    expect(Number(alive.rows[0]!.n)).toBeGreaterThan(0);
  });

  it("splits messages into the same words in Postgres's index as the live tail does (protocol/logs.ts words)", async () => {
    const samples = [
      'GET /api/v1/users?id=42 took 3.5s (user_id=7)',
      'db.example.com:5432 refused; retry #3 in 2.5e3 ms',
      'naïve ÉTÉ façade — “quoted” «guillemets» 東京 tokyo',
      "it's [WARN] <tag> {json: \"x\"} a|b a&b ~home `cmd` 50% $5 @user ^caret",
    ];
    for (const m of samples) {
      const res = await withDb(env, (db) => db.execute(sql`SELECT lexeme FROM unnest(log_words(${m}))`));
      const pg = res.rows.map((r) => String(r.lexeme)).sort();
      expect(pg, m).toEqual([...new Set(words(m))].sort());
    }
  });

  it("keeps organizations apart: B's keys find none of A's lines, by word, trace id or attribute", async () => {
    const a = await seedTenant('Logs A');
    const b = await seedTenant('Logs B');
    const mark = `secret${uniq()}`;
    expect((await postShipperLogs(a.ingestKey, JSON.stringify({ msg: `${mark} here`, trace_id: TRACE, tag: mark }))).status).toBe(200);
    expect((await searchLogs(a.readKey, { q: mark })).lines).toHaveLength(1);
    const queries: Record<string, string>[] = [{ q: mark }, { trace_id: TRACE }, { 'attr.tag': mark }, {}];
    for (const q of queries) {
      const r = await searchLogs(b.readKey, q);
      expect(JSON.stringify(r)).not.toContain(mark);
      expect((await histogram(b.readKey, q)).buckets.every((x) => x.count === 0)).toBe(true);
    }
  });
});

