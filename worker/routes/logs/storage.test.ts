// Migration 0009 and the ingest write path against the real Postgres: log_words gives the same
// words as 0007's body (so the GIN index built with it stays valid), the service + level index
// exists and serves a filtered search, one INSERT is all-or-nothing, and a body too large for the
// HTTP query endpoint is stored whole over a connection.
import { env } from 'cloudflare:test';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { LOG_LIMITS } from '../../../protocol/logs.ts';
import type { StoredLine } from '../../../protocol/log-lines.ts';
import { seedTenant } from '../../../test/helpers.ts';
import { postShipperLogs, searchLogs } from '../../../test/logs.ts';
import { httpDb, withDb } from '../../db/client.ts';
import { insertLines, isoMicros, linesJson, NEWEST_SCAN } from '../../db/logs.ts';
import { HTTP_INSERT_MAX_CHARS } from '../../logs/store.ts';

const ASCII = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('');
const SAMPLES = [
  ASCII,
  `a${ASCII.split('').join('b')}c`,
  'GET /api/v1/users/42?x=1&y=2 200 in 12.5 ms user_id=7 db.example.com',
  'Straße ÄÖÜ café — naïve “quoted” 東京 €100 x-y_z',
  'error: upstream timeout after 3000 ms (retry=3) [pool:main] {k: "v"}',
  'tab\there\nnewline\\back`tick~tilde|pipe^caret',
  '',
];

const line = (over: Partial<StoredLine>): StoredLine => ({
  tsMicros: Date.now() * 1000,
  ts: Date.now(),
  service: 'svc',
  severity: 9,
  level: 'info',
  message: 'hello',
  traceId: null,
  spanId: null,
  attributes: {},
  truncated: false,
  droppedAttributes: 0,
  ...over,
});

describe('migration 0009', () => {
  it("log_words gives 0007's words for every printable ASCII character and mixed text", async () => {
    const rows = await withDb(env, (db) =>
      db.execute(sql`
        SELECT s, log_words(s)::text AS now, to_tsvector('simple', translate(s, '!"#$%&''()*+,-./:;<=>?@[\\]^_\`{|}~', '                                '))::text AS before
        FROM unnest(ARRAY[${sql.join([...SAMPLES, ...ASCII.split('').map((ch) => `x${ch}y`)].map((v) => sql`${v}`), sql`, `)}]::text[]) AS s`),
    );
    expect(rows.rows.length).toBe(SAMPLES.length + 95);
    for (const r of rows.rows) expect({ s: r.s, words: r.now }).toEqual({ s: r.s, words: r.before });
    // Not vacuous: punctuation splits words, letters and digits do not.
    const split = rows.rows.find((r) => r.s === 'x/y')!;
    expect(split.now).toBe("'x':1 'y':2");
    expect(rows.rows.find((r) => r.s === 'x9y')!.now).toBe("'x9y':1");
  });

  it('replaces the service index by service + level', async () => {
    // Which index a window's read takes is measured with EXPLAIN ANALYZE over the 5 M lines of
    // bench:logs (docs/performance.md); a test table's few rows and shared statistics cannot say.
    await withDb(env, async (db) => {
      const ix = await db.execute(sql`SELECT indexname FROM pg_indexes WHERE tablename = 'log_lines' ORDER BY 1`);
      expect(ix.rows.map((r) => r.indexname)).toEqual(['log_lines_service_level', 'log_lines_time', 'log_lines_trace', 'log_lines_ts', 'log_lines_words']);
      const def = await db.execute(sql`SELECT indexdef FROM pg_indexes WHERE indexname = 'log_lines_service_level'`);
      expect(String(def.rows[0]!.indexdef)).toMatch(/\(tenant_id, service, severity, ts DESC\)/);
    });
  });
});

describe('log line writes', () => {
  it('one INSERT is all-or-nothing: a bad row stores none of the batch', async () => {
    const { tenant } = await seedTenant();
    const lines = [line({ message: 'first' }), line({ message: 'second', severity: 70_000 }), line({ message: 'third' })];
    await expect(insertLines(httpDb(env), tenant.id, lines, Date.now())).rejects.toThrow(/smallint|out of range/);
    const n = await withDb(env, (db) => db.execute(sql`SELECT count(*)::int AS n FROM log_lines WHERE tenant_id = ${tenant.id}`));
    expect(n.rows[0]!.n).toBe(0);
    await insertLines(httpDb(env), tenant.id, [lines[0]!, lines[2]!], Date.now());
    const m = await withDb(env, (db) => db.execute(sql`SELECT count(*)::int AS n FROM log_lines WHERE tenant_id = ${tenant.id}`));
    expect(m.rows[0]!.n).toBe(2);
  });

  it('stores a body over the HTTP endpoint bound whole, over a connection', async () => {
    const { ingestKey, readKey } = await seedTenant();
    const big = 'x'.repeat(LOG_LIMITS.maxMessageBytes - 64);
    const n = Math.ceil(HTTP_INSERT_MAX_CHARS / big.length) + 5;
    const text = Array.from({ length: n }, (_, i) => JSON.stringify({ log: `bulk${i} ${big}`, service: 'bulk', level: 'info' })).join('\n');
    expect(linesJson(Array.from({ length: n }, () => line({ message: big }))).length).toBeGreaterThan(HTTP_INSERT_MAX_CHARS);
    const res = await postShipperLogs(ingestKey, text);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { accepted: number }).accepted).toBe(n);
    const first = await searchLogs(readKey, { service: 'bulk', q: 'bulk0' });
    const last = await searchLogs(readKey, { service: 'bulk', q: `bulk${n - 1}` });
    expect([first.lines.length, last.lines.length]).toEqual([1, 1]);
  });
});

describe('word search past the newest lines it rechecks in time order', () => {
  // The newest lines are rechecked within the first (5-minute) window: lines an hour old are all
  // below it; lines of the last minute straddle the NEWEST_SCAN boundary inside it.
  it.each([
    { name: 'an hour old (all below the first window)', ageMs: 3_600_000 },
    { name: 'of the last minute (across the boundary inside the first window)', ageMs: 60_000 },
  ])('pages every match once, newest first, above and below the newest NEWEST_SCAN lines: $name', async ({ ageMs }) => {
    const { tenant, readKey } = await seedTenant();
    const n = NEWEST_SCAN + 250;
    const t0 = (Date.now() - ageMs) * 1000;
    // Line i is i ms older than the newest; "alpha" on every line, "omega" on three (one among
    // the newest NEWEST_SCAN, two below them).
    const omega = new Set([3, NEWEST_SCAN + 40, NEWEST_SCAN + 200]);
    const lines = Array.from({ length: n }, (_, i) => line({ tsMicros: t0 - i * 1000, message: `alpha line${i}${omega.has(i) ? ' omega' : ''}` }));
    await insertLines(httpDb(env), tenant.id, lines, Date.now());
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 20; page++) {
      const r = await searchLogs(readKey, { q: 'alpha', limit: 100, ...(cursor ? { cursor } : {}) });
      seen.push(...r.lines.map((l) => l.message.split(' ')[1]!));
      cursor = r.nextCursor;
      if (!cursor) break;
    }
    expect(seen).toEqual(lines.map((_, i) => `line${i}`));
    const rare = await searchLogs(readKey, { q: 'omega' });
    expect(rare.lines.map((l) => l.message)).toEqual([...omega].map((i) => `alpha line${i} omega`));
  });
});
