// The stored-span drain writes over the HTTP query endpoint (httpDb): no Postgres connection is
// opened for it, each statement of up to 500 rows is one POST /sql, and every queued row is
// stored. Counted at the local shim under `localhost` (as worker/auth/connections.test.ts does),
// so other test files' traffic through the shared shim is not in the counts.
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Span } from '../../protocol/otlp/types.ts';
import { seedTenant } from '../../test/helpers.ts';
import { withDb } from '../db/client.ts';
import { spanRow } from './span-rows.ts';
import { queueSpans } from './span-writer.ts';

const tagged = new URL(env.DATABASE_URL);
tagged.hostname = 'localhost';
const taggedEnv = { ...env, DATABASE_URL: tagged.toString() } as Env;

async function stats(): Promise<{ ws: number; sql: number }> {
  const s = (await (await fetch(`http://${env.PG_WS_PROXY}/stats`)).json()) as { websockets: Record<string, number>; sql: Record<string, number> };
  return { ws: s.websockets[`localhost:${tagged.port}`] ?? 0, sql: s.sql.localhost ?? 0 };
}

const hex = (n: number, len: number) => n.toString(16).padStart(len, '0');
function row(i: number, now: number) {
  const ns = BigInt(now - 1000) * 1_000_000n + BigInt(i) * 1000n;
  const span: Span = {
    traceId: hex(i + 1, 32),
    spanId: hex(i + 1, 16),
    parentSpanId: '',
    traceState: '',
    name: `op ${i}`,
    kind: 1,
    startTimeUnixNano: ns,
    endTimeUnixNano: ns + 5_000_000n,
    attributes: { 'db.system': 'postgresql', n: i },
    droppedAttributesCount: 0,
    events: [],
    links: [],
    status: { code: 0, message: '' },
    flags: 0,
  };
  return spanRow({ service: 'writer-svc', resource: { 'service.name': 'writer-svc' }, span, route: null, error: false, endMs: Number(span.endTimeUnixNano) / 1e6, ms: 5 }, 'sample');
}

let tenantId = '';
beforeAll(async () => {
  tenantId = (await seedTenant('Span Writer Org')).tenant.id;
});

describe('span drain', () => {
  it('stores every queued row in statements of at most 500 rows over POST /sql, opening no connection', async () => {
    const now = Date.now();
    const rows = Array.from({ length: 1_201 }, (_, i) => row(i, now));
    const before = await stats();
    const ctx = createExecutionContext();
    queueSpans(taggedEnv, ctx, tenantId, rows);
    await waitOnExecutionContext(ctx);
    const after = await stats();
    expect(after.ws - before.ws).toBe(0);
    expect(after.sql - before.sql).toBe(3); // 500 + 500 + 201
    const stored = await withDb(env, (db) => db.execute(sql`SELECT count(*)::int AS n, count(DISTINCT span_id)::int AS ids FROM spans WHERE tenant_id = ${tenantId} AND service = 'writer-svc'`));
    expect(stored.rows[0]).toEqual({ n: 1_201, ids: 1_201 });
  });
});
