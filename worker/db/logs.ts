// Log lines in Postgres (migrations/0007_logs.sql): one INSERT per request, search newest first
// with a (ts, id) cursor, counts per time bucket. Every value from a request is a parameter; the
// search words go through phraseto_tsquery one parameter each (protocol/logs.ts parses them).
import { sql, type SQL } from 'drizzle-orm';
import { encodeCursor, type LogLine, type LogQuery } from '../../protocol/logs.ts';
import type { StoredLine } from '../../protocol/log-lines.ts';
import { executeWithPartitions, type SqlExec } from './partitions.ts';

/** The rows of one INSERT as the JSON json_to_recordset reads. */
export function linesJson(lines: StoredLine[]): string {
  return JSON.stringify(
    lines.map((l) => ({ t: l.tsMicros, s: l.service, v: l.severity, l: l.level, m: l.message, tr: l.traceId, sp: l.spanId, a: l.attributes, x: l.truncated, d: l.droppedAttributes })),
  );
}

/**
 * Writes every line in one statement (json_to_recordset), committed before the caller answers:
 * one statement is all-or-nothing on its own, so it needs no transaction and can go over the
 * HTTP query endpoint (worker/logs/store.ts).
 */
export async function insertLines(db: SqlExec, tenantId: string, lines: StoredLine[] | string, now: number): Promise<void> {
  if (lines.length === 0) return;
  const rows = typeof lines === 'string' ? lines : linesJson(lines);
  await executeWithPartitions(
    db,
    sql`INSERT INTO log_lines (tenant_id, ts, service, severity, level, message, trace_id, span_id, attributes, truncated, dropped_attributes)
        SELECT ${tenantId}, 'epoch'::timestamptz + r.t * interval '1 microsecond', r.s, r.v, r.l, r.m, r.tr, r.sp, r.a, r.x, r.d
        FROM json_to_recordset(${rows}::json) AS r(t bigint, s text, v smallint, l text, m text, tr text, sp text, a jsonb, x boolean, d integer)`,
    now,
  );
}

export interface LogFilter {
  from: number;
  to: number;
  service?: string;
  minSeverity?: number;
  traceId?: string;
  spanId?: string;
  attrs: [string, string][];
  q: LogQuery;
}

/** A time in whole microseconds since the epoch as ISO text (microsecond digits kept). */
export function isoMicros(us: bigint | number): string {
  const v = BigInt(us);
  const ms = v / 1000n;
  const rest = ((v % 1000n) + 1000n) % 1000n;
  const whole = rest !== 0n && v < 0n ? ms - 1n : ms;
  return `${new Date(Number(whole)).toISOString().slice(0, 23)}${rest.toString().padStart(3, '0')}Z`;
}

// A typed parameter, not `'epoch' + n * interval` (a stable expression): the planner then prunes
// the day partitions of each window at plan time instead of planning every partition for every
// window of the search (~30 ms of planning per search over 10 partitions, measured).
const micros = (us: bigint | number) => sql`${isoMicros(us)}::timestamptz`;

/** The tsquery of a parsed query: && of groups, || within one, !! for excluded terms. */
function tsquery(q: LogQuery): SQL {
  const atom = (words: string[], negated: boolean) => {
    const p = sql`phraseto_tsquery('simple', ${words.join(' ')})`;
    return negated ? sql`(!! ${p})` : p;
  };
  return sql.join(
    q.map((g) => sql`(${sql.join(g.map((a) => atom(a.words, a.negated)), sql` || `)})`),
    sql` && `,
  );
}

function where(tenantId: string, f: LogFilter): SQL {
  const c: SQL[] = [sql`tenant_id = ${tenantId}`, sql`ts >= ${micros(Math.round(f.from * 1000))}`, sql`ts < ${micros(Math.round(f.to * 1000))}`];
  if (f.service !== undefined) c.push(sql`service = ${f.service}`);
  if (f.minSeverity) c.push(sql`severity >= ${f.minSeverity}`);
  if (f.traceId !== undefined) c.push(sql`trace_id = ${f.traceId}`);
  if (f.spanId !== undefined) c.push(sql`span_id = ${f.spanId}`);
  for (const [k, v] of f.attrs) c.push(sql`attributes ->> ${k} = ${v}`);
  if (f.q.length) c.push(sql`log_words(message) @@ (${tsquery(f.q)})`);
  return sql.join(c, sql` AND `);
}

interface Row {
  id: string;
  us: string;
  service: string;
  severity: number;
  level: string;
  message: string;
  trace_id: string | null;
  span_id: string | null;
  attributes: Record<string, unknown>;
  truncated: boolean;
  dropped_attributes: number;
}

/**
 * Newest-first windows a page is looked for in, each ending where the last began: a page of a
 * common word fills from the first minutes, and a filtered or rare search never sorts more than
 * one window's matches (a bitmap scan over a whole day must fetch every match before it can sort).
 */
const WINDOWS_MS = [5 * 60_000, 15 * 60_000, 3600_000, 4 * 3600_000, 12 * 3600_000, 86_400_000, 2 * 86_400_000, 4 * 86_400_000, 8 * 86_400_000];

/** How many of the newest lines a word search rechecks in time order before the GIN windows. */
export const NEWEST_SCAN = 500;

const COLUMNS = sql`id::text AS id, (extract(epoch FROM ts) * 1000000)::bigint::text AS us, service, severity, level, message, trace_id, span_id, attributes, truncated, dropped_attributes`;

/** One page, newest first: `limit` lines before the cursor, and the cursor of the next page. */
export async function searchLines(
  db: SqlExec,
  tenantId: string,
  f: LogFilter,
  limit: number,
  cursor: { tsMicros: bigint; id: bigint } | null,
): Promise<{ lines: LogLine[]; nextCursor: string | null }> {
  const after = cursor ? sql` AND (ts, id) < (${micros(cursor.tsMicros)}, ${String(cursor.id)}::bigint)` : sql``;
  const from = BigInt(Math.round(f.from * 1000));
  let hi = BigInt(Math.round(f.to * 1000));
  if (cursor && cursor.tsMicros + 1n < hi) hi = cursor.tsMicros + 1n;
  const hi0 = hi;
  const windows: [bigint, bigint][] = [];
  for (let w = 0; hi > from; w++) {
    const span = BigInt(WINDOWS_MS[Math.min(w, WINDOWS_MS.length - 1)]! * 1000);
    const lo = hi - span > from ? hi - span : from;
    windows.push([lo, hi]);
    hi = lo;
  }
  const cond = where(tenantId, f);
  type Got = Row & { w: number };
  // ORDER BY names the table's columns: a bare `id` is the text output column (ids of one
  // microsecond ordered as text, and no index order for the planner to use).
  const ordered = sql`ORDER BY log_lines.ts DESC, log_lines.id DESC`;
  // With words, a window is read through the GIN index and sorted (`ts + interval '0'` keeps the
  // planner from walking the time index instead): the newest windows are past the statistics'
  // last ANALYZE, estimated at a row or two, and a time-ordered scan that rechecks every line's
  // words for a rare word then read the whole window (8.6 s over 180,000 fresh lines, measured).
  const order = f.q.length ? sql`ORDER BY log_lines.ts + interval '0' DESC, log_lines.id DESC` : ordered;
  // ...and a common word's page comes first from the newest NEWEST_SCAN lines of the other
  // filters, in time order: a bounded recheck (a rare word pays at most that many), where the
  // GIN bitmap of a word in half the lines would be most of a day partition. The windows then
  // start below the oldest of those lines (none when there were fewer), so no line comes twice.
  // Those lines are looked for in the first window only: over the whole range, a filter the
  // indexes cannot return in time order (level and above, across severities) sorted every match
  // of the day before taking 500. With fewer in the first window, the windows start below it.
  const base = where(tenantId, { ...f, q: [] });
  const lo0 = windows[0]?.[0] ?? from;
  const newestLines = sql`SELECT * FROM log_lines WHERE ${base} AND ts >= ${micros(lo0)} AND ts < ${micros(hi0)}${after} ${ordered} LIMIT ${NEWEST_SCAN}`;
  const boundary = sql`SELECT b.ts, b.id FROM ((SELECT n.ts, n.id, 0 AS o FROM (${newestLines}) AS n ORDER BY n.ts DESC, n.id DESC OFFSET ${NEWEST_SCAN - 1} LIMIT 1) UNION ALL SELECT ${micros(lo0)}, 0::bigint, 1) AS b ORDER BY b.o LIMIT 1`;
  const below = f.q.length ? sql` AND (ts + interval '0', id) < (${boundary})` : sql``;
  const one = ([lo, hi]: [bigint, bigint], n: number, k: number) =>
    sql`(SELECT ${n} AS w, ${COLUMNS} FROM log_lines WHERE ${cond} AND ts >= ${micros(lo)} AND ts < ${micros(hi)}${after}${below} ${order} LIMIT ${k})`;
  const newest = (k: number) =>
    sql`(SELECT -1 AS w, ${COLUMNS} FROM (${newestLines}) AS log_lines WHERE log_words(message) @@ (${tsquery(f.q)}) ${ordered} LIMIT ${k})`;
  // One round trip: Append runs the parts in order and the outer LIMIT stops it once the page
  // is full, so later (larger) windows are not searched at all.
  const parts = [...(f.q.length ? [newest(limit + 1)] : []), ...windows.map((w, n) => one(w, n, limit + 1))];
  let rows: Got[] = [];
  if (windows.length) {
    const res = await db.execute(sql`SELECT * FROM (${sql.join(parts, sql` UNION ALL `)}) AS page LIMIT ${limit + 1}`);
    rows = res.rows as unknown as Got[];
  }
  // A parallel plan may interleave the parts; then ask part by part.
  if (rows.some((r, i) => i > 0 && Number(r.w) < Number(rows[i - 1]!.w))) {
    rows = [];
    for (let n = 0; n < parts.length && rows.length <= limit; n++)
      rows.push(...((await db.execute(sql`SELECT * FROM ${parts[n]!} AS p LIMIT ${limit + 1 - rows.length}`)).rows as unknown as Got[]));
  }
  const more = rows.length > limit;
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    lines: page.map((r) => ({
      id: r.id,
      ts: Number(r.us) / 1000,
      service: r.service,
      severity: r.severity,
      level: r.level,
      message: r.message,
      traceId: r.trace_id,
      spanId: r.span_id,
      attributes: r.attributes,
      truncated: r.truncated,
      droppedAttributes: r.dropped_attributes,
    })),
    nextCursor: more && last ? encodeCursor(BigInt(last.us), BigInt(last.id)) : null,
  };
}

/** Lines per bucket of `stepMs` (aligned to the epoch) over the filter's range. */
export async function countBuckets(db: SqlExec, tenantId: string, f: LogFilter, stepMs: number): Promise<Map<number, number>> {
  const res = await db.execute(sql`
    SELECT (floor(extract(epoch FROM ts) * 1000 / ${stepMs}) * ${stepMs})::bigint::text AS b, count(*)::int AS n
    FROM log_lines WHERE ${where(tenantId, f)} GROUP BY 1`);
  return new Map(res.rows.map((r) => [Number(r.b), Number(r.n)]));
}
