// Stored spans in Postgres (migrations/0008_spans.sql): one INSERT for many rows (a JSON array
// expanded by json_to_recordset, so the statement's text never depends on the rows), a trace by
// id, and the newest-first search. Request input is always a bound parameter.
import { sql, type SQL } from 'drizzle-orm';
import { TRACE_LIMITS, type Exemplar, type StoredSpan, type TraceSummary } from '../../protocol/traces.ts';
import type { SpanRow } from '../otlp/span-rows.ts';
import { executeWithPartitions, type SqlExec } from './partitions.ts';

/** One statement for rows of many requests (each row carries its tenant); a retried row is skipped. */
export async function insertSpans(db: SqlExec, rows: readonly (SpanRow & { tenant_id: string })[], now: number): Promise<void> {
  await insertSpanJson(db, rows.map((r) => JSON.stringify(r)), now);
}

/** The same from rows already encoded (worker/otlp/span-rows.ts spanRowJson): the array is only joined. */
export async function insertSpanJson(db: SqlExec, rows: readonly string[], now: number): Promise<void> {
  if (rows.length === 0) return;
  const statement = sql`
    INSERT INTO spans (tenant_id, trace_id, span_id, parent_span_id, service, route, name, kind, start_time, duration_ms, error,
                       status_code, status_message, kept, entry, attributes, resource, events, links, dropped)
    SELECT r.tenant_id, r.trace_id, r.span_id, r.parent_span_id, r.service, r.route, r.name, r.kind,
           timestamptz 'epoch' + r.start_us * interval '1 microsecond', r.duration_ms, r.error, r.status_code, r.status_message,
           r.kept, r.entry, r.attributes, r.resource, r.events, r.links, r.dropped
    FROM json_to_recordset(${`[${rows.join(',')}]`}::json) AS r(
      tenant_id text, trace_id text, span_id text, parent_span_id text, service text, route text, name text, kind smallint,
      start_us bigint, duration_ms float8, error boolean, status_code smallint, status_message text, kept text, entry boolean,
      attributes json, resource json, events json, links json, dropped json)
    ON CONFLICT DO NOTHING`;
  await executeWithPartitions(db, statement, now);
}

const startUs = sql`(extract(epoch from start_time) * 1000000)::bigint`;

function toSpan(r: Record<string, unknown>): StoredSpan {
  return {
    traceId: String(r.trace_id),
    spanId: String(r.span_id),
    parentSpanId: String(r.parent_span_id),
    service: String(r.service),
    route: r.route === null ? null : String(r.route),
    name: String(r.name),
    kind: Number(r.kind),
    startUs: Number(r.start_us),
    durationMs: Number(r.duration_ms),
    error: Boolean(r.error),
    statusCode: Number(r.status_code),
    statusMessage: String(r.status_message),
    kept: r.kept as StoredSpan['kept'],
    attributes: r.attributes as StoredSpan['attributes'],
    resource: r.resource as StoredSpan['resource'],
    events: r.events as StoredSpan['events'],
    links: r.links as StoredSpan['links'],
    dropped: r.dropped as StoredSpan['dropped'],
  };
}

/** A trace's spans in the organization, earliest first (at most maxSpansPerTrace, plus one to tell). */
export async function traceSpans(db: SqlExec, tenantId: string, traceId: string): Promise<{ spans: StoredSpan[]; truncated: boolean }> {
  const res = await db.execute(sql`
    SELECT trace_id, span_id, parent_span_id, service, route, name, kind, ${startUs} AS start_us, duration_ms, error,
           status_code, status_message, kept, attributes, resource, events, links, dropped
    FROM spans WHERE tenant_id = ${tenantId} AND trace_id = ${traceId}
    ORDER BY start_time, span_id LIMIT ${TRACE_LIMITS.maxSpansPerTrace + 1}`);
  const spans = res.rows.map(toSpan);
  const truncated = spans.length > TRACE_LIMITS.maxSpansPerTrace;
  return { spans: truncated ? spans.slice(0, TRACE_LIMITS.maxSpansPerTrace) : spans, truncated };
}

export interface SpanSearch {
  service?: string;
  route?: string;
  minDurationMs?: number;
  error?: boolean;
  from: number;
  to: number;
  /** Keyset: entries strictly older than (startUs, spanId). */
  before?: { startUs: number; spanId: string };
  limit: number;
}

/** Entry spans (server or root) matching the filters, newest first. */
export async function searchSpans(db: SqlExec, tenantId: string, q: SpanSearch): Promise<TraceSummary[]> {
  const where: SQL[] = [
    sql`tenant_id = ${tenantId}`,
    sql`entry`,
    sql`start_time >= ${new Date(q.from).toISOString()}::timestamptz`,
    sql`start_time < ${new Date(q.to).toISOString()}::timestamptz`,
  ];
  if (q.service !== undefined) where.push(sql`service = ${q.service}`);
  if (q.route !== undefined) where.push(sql`route = ${q.route}`);
  if (q.minDurationMs !== undefined) where.push(sql`duration_ms >= ${q.minDurationMs}`);
  if (q.error !== undefined) where.push(sql`error = ${q.error}`);
  if (q.before) {
    const at = sql`timestamptz 'epoch' + ${q.before.startUs}::bigint * interval '1 microsecond'`;
    where.push(sql`(start_time < ${at} OR (start_time = ${at} AND span_id < ${q.before.spanId}))`);
  }
  const res = await db.execute(sql`
    SELECT trace_id, span_id, parent_span_id, service, route, name, kind, ${startUs} AS start_us, duration_ms, error, kept
    FROM spans WHERE ${sql.join(where, sql` AND `)}
    ORDER BY start_time DESC, span_id DESC LIMIT ${q.limit}`);
  return res.rows.map((r) => ({
    traceId: String(r.trace_id),
    spanId: String(r.span_id),
    parentSpanId: String(r.parent_span_id),
    service: String(r.service),
    route: r.route === null ? null : String(r.route),
    name: String(r.name),
    kind: Number(r.kind),
    startUs: Number(r.start_us),
    durationMs: Number(r.duration_ms),
    error: Boolean(r.error),
    kept: r.kept as TraceSummary['kept'],
  }));
}

/** Exemplars past the object's memory: a range's slowest stored slow spans (bounded by the caller's range). */
export async function slowSpans(db: SqlExec, tenantId: string, service: string, from: number, to: number, route: string | undefined, limit: number): Promise<Exemplar[]> {
  const res = await db.execute(sql`
    SELECT trace_id, span_id, route, duration_ms, ${startUs} AS start_us FROM spans
    WHERE tenant_id = ${tenantId} AND service = ${service} AND kept = 'slow' AND route IS NOT NULL
      AND start_time >= ${new Date(from).toISOString()}::timestamptz AND start_time < ${new Date(to).toISOString()}::timestamptz
      ${route === undefined ? sql`` : sql`AND route = ${route}`}
    ORDER BY duration_ms DESC LIMIT ${limit}`);
  return res.rows
    .map((r) => ({ ts: Math.round(Number(r.start_us) / 1000 + Number(r.duration_ms)), ms: Number(r.duration_ms), route: String(r.route), traceId: String(r.trace_id), spanId: String(r.span_id) }))
    .sort((a, b) => a.ts - b.ts);
}
