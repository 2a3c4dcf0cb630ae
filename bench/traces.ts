// npm run bench:traces -- [--spans N] [--lookups N] [--searches N] [--data tmpfs|disk|DIR] [--via runtime|proxy]
// Trace lookup by id and trace search over a stored volume of spans, through the API of the local
// stack (worker, Neon driver over the WebSocket shim, Postgres), one request at a time.
// The volume: N spans (default 1,000,000) in traces of 8 spans over 10 services, spread over the
// 7 days kept (every day partition holds some), rows shaped like the product's (about 10
// attributes, a resource, an event on some), written straight into Postgres with
// generate_series (the ingest path is measured by bench:apm); plus traces posted through
// POST /v1/traces, so the lookups also hit spans the product wrote itself.
// Last line: traces: lookup p95 <ms> ms over <N> spans, search p95 <ms> ms
import pg from 'pg';
import { sha256Hex } from '../worker/auth/crypto.ts';
import { otlpTraces } from '../test/otlp-body.ts';
import { startStack } from '../scripts/lib/stack.ts';
import { benchDataDir, parseArgs, percentile } from './args.ts';

const log = (m: string) => console.error(`[bench] ${m}`);
const SPANS_PER_TRACE = 8;
const SERVICES = 10;
const DAY_MS = 86_400_000;

export interface LatencyFigures {
  p50: number;
  p95: number;
  max: number;
}

function figures(times: number[]): LatencyFigures {
  const sorted = [...times].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), max: sorted[sorted.length - 1] ?? NaN };
}

async function timed(url: string, key: string, expectStatus = 200): Promise<{ ms: number; body: unknown }> {
  const t = performance.now();
  const res = await fetch(url, { headers: { authorization: `Bearer ${key}` } });
  const text = await res.text();
  const ms = performance.now() - t;
  if (res.status !== expectStatus) throw new Error(`${url} answered ${res.status}: ${text.slice(0, 200)}`);
  return { ms, body: JSON.parse(text) };
}

/**
 * GET /api/v1/traces/{id} for each id (sequentially, `count` in all, cycling), checking each
 * answer has spans. Exported for other benchmarks (bench:logs) to print the same figure.
 */
export async function benchTraceLookup(opts: { url: string; readKey: string; traceIds: string[]; count: number }): Promise<LatencyFigures> {
  const times: number[] = [];
  for (let i = 0; i < opts.count; i++) {
    const id = opts.traceIds[i % opts.traceIds.length]!;
    const { ms, body } = await timed(`${opts.url}/api/v1/traces/${id}`, opts.readKey);
    if (!(body as { spans: unknown[] }).spans.length) throw new Error(`trace ${id}: no spans`);
    times.push(ms);
  }
  return figures(times);
}

/** GET /api/v1/traces with a rotation of filters (service, route, duration, errors, a page further). */
export async function benchTraceSearch(opts: { url: string; readKey: string; services: string[]; count: number; now: number }): Promise<LatencyFigures> {
  const times: number[] = [];
  for (let i = 0; i < opts.count; i++) {
    const service = encodeURIComponent(opts.services[i % opts.services.length]!);
    const from = opts.now - (1 + (i % 7)) * DAY_MS;
    const queries = [
      `service=${service}&from=${from}`,
      `service=${service}&min_duration=150&from=${from}`,
      `service=${service}&error=true&from=${from}`,
      `from=${opts.now - 3600_000}`,
      `service=${service}&route=${encodeURIComponent('GET /api/items/{id}')}&from=${from}`,
    ];
    const q = queries[i % queries.length]!;
    const first = await timed(`${opts.url}/api/v1/traces?${q}`, opts.readKey);
    times.push(first.ms);
    const next = (first.body as { nextCursor: string | null }).nextCursor;
    if (i % 5 === 0 && next) times.push((await timed(`${opts.url}/api/v1/traces?${q}&cursor=${next}`, opts.readKey)).ms);
  }
  return figures(times);
}

/** Fills `spans` with N synthetic rows for the tenant, in chunks of one INSERT … generate_series each. */
async function fill(client: pg.Client, tenantId: string, n: number, now: number) {
  const chunk = 200_000;
  const seed = Math.random().toString(36).slice(2, 8);
  for (let from = 0; from < n; from += chunk) {
    const to = Math.min(n, from + chunk) - 1;
    const t = performance.now();
    await client.query(
      `INSERT INTO spans (tenant_id, trace_id, span_id, parent_span_id, service, route, name, kind, start_time, duration_ms, error,
                          status_code, status_message, kept, entry, attributes, resource, events, links, dropped)
       SELECT $1, md5($2 || (i / ${SPANS_PER_TRACE})::text), substr(md5($2 || i::text), 1, 16),
              CASE WHEN i % ${SPANS_PER_TRACE} = 0 THEN '' ELSE substr(md5($2 || (i - i % ${SPANS_PER_TRACE})::text), 1, 16) END,
              'svc-' || ((i / ${SPANS_PER_TRACE}) % ${SERVICES}), CASE WHEN i % 4 = 0 THEN 'GET /api/items/{id}' END,
              CASE WHEN i % 4 = 0 THEN 'GET /api/items/{id}' ELSE 'db.query' END, CASE WHEN i % 4 = 0 THEN 2 ELSE 3 END,
              to_timestamp(($3::float8 - ((i / ${SPANS_PER_TRACE})::float8 * $4::float8)) / 1000) + (i % ${SPANS_PER_TRACE}) * interval '1 millisecond',
              1 + (i * 7919 % 200), i % 97 = 0, CASE WHEN i % 97 = 0 THEN 2 ELSE 0 END, '', CASE WHEN i % 97 = 0 THEN 'error' ELSE 'sample' END,
              i % 4 = 0,
              json_build_object('http.request.method', 'GET', 'http.route', '/api/items/{id}', 'url.path', '/api/items/' || i,
                'http.response.status_code', 200, 'server.address', 'bench', 'network.protocol.version', '1.1',
                'user_agent.original', 'Mozilla/5.0 (X11; Linux x86_64) bench/1.0', 'client.address', '10.0.' || (i % 250) || '.1',
                'db.system', 'postgresql', 'db.query.text', 'SELECT * FROM items WHERE id = $1'),
              json_build_object('service.name', 'svc-' || ((i / ${SPANS_PER_TRACE}) % ${SERVICES}), 'host.name', 'host-' || (i % 20), 'service.version', '1.4.2',
                'telemetry.sdk.name', 'opentelemetry', 'telemetry.sdk.language', 'nodejs'),
              CASE WHEN i % 16 = 0 THEN json_build_array(json_build_object('timeUs', 0, 'name', 'cache.miss', 'attributes', json_build_object('key', 'item:' || i))) ELSE '[]'::json END,
              '[]'::json, '{"attributes":0,"events":0,"links":0,"truncated":0}'::json
       FROM generate_series($5::bigint, $6::bigint) AS i`,
      [tenantId, seed, now - 60_000, (7 * DAY_MS - 3600_000) / (n / SPANS_PER_TRACE), from, to],
    );
    log(`stored ${to + 1} of ${n} spans (${Math.round(performance.now() - t)} ms for this chunk)`);
  }
  await client.query('ANALYZE spans');
  const ids = await client.query(`SELECT md5($1 || (k * 7919 % $2)::text) AS id FROM generate_series(1, 500) AS k`, [seed, Math.floor(n / SPANS_PER_TRACE)]);
  return ids.rows.map((r) => String(r.id));
}

async function main() {
  const args = parseArgs(process.argv.slice(2), { spans: 1_000_000, lookups: 400, searches: 200, data: 'tmpfs', via: 'runtime' });
  if (args.via !== 'runtime' && args.via !== 'proxy') throw new Error('--via must be runtime or proxy');
  let stack: Awaited<ReturnType<typeof startStack>> | null = null;
  try {
    stack = await startStack({ dataDir: benchDataDir(args.data, 'monitor-bench-traces'), persistent: false, rateLimits: false, runtimeUrl: args.via === 'runtime', log });
    const url = args.via === 'runtime' && stack.runtimeUrl ? stack.runtimeUrl : stack.url;
    const { ingestKey, readKey } = stack.credentials;
    const client = new pg.Client({ connectionString: stack.databaseUrl });
    await client.connect();
    let ids: string[];
    const now = Date.now();
    try {
      const tenant = await client.query('SELECT tenant_id FROM api_keys WHERE hash = $1', [await sha256Hex(readKey)]);
      const tenantId = String(tenant.rows[0]!.tenant_id);
      ids = await fill(client, tenantId, args.spans, now);
    } finally {
      await client.end();
    }
    // Traces the product itself stores: 50 of 4 spans each, through POST /v1/traces.
    const posted: string[] = [];
    for (let i = 0; i < 50; i++) {
      const traceId = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
      posted.push(traceId);
      const spans = [0, 1, 2, 3].map((k) => ({ route: '/api/cart', kind: k === 0 ? 2 : 3, durationMs: 5 + k, end: Date.now() - 1000, traceId }));
      const res = await fetch(`${url}/v1/traces`, { method: 'POST', headers: { authorization: `Bearer ${ingestKey}`, 'content-type': 'application/json' }, body: JSON.stringify(otlpTraces('bench-posted', spans)) });
      if (!res.ok) throw new Error(`/v1/traces answered ${res.status}: ${await res.text()}`);
    }
    await new Promise((r) => setTimeout(r, 500)); // the stored copies are written just after the answers
    const traceIds = ids.flatMap((id, i) => (i < posted.length ? [id, posted[i]!] : [id]));
    await benchTraceLookup({ url, readKey, traceIds: traceIds.slice(0, 20), count: 20 }); // warm-up
    const lookup = await benchTraceLookup({ url, readKey, traceIds, count: args.lookups });
    log(`lookup: p50 ${lookup.p50.toFixed(1)} ms, p95 ${lookup.p95.toFixed(1)} ms, max ${lookup.max.toFixed(1)} ms (${args.lookups} lookups)`);
    // Where the time goes: the same lookup's query alone in Postgres, and a read route with a
    // trivial query (the worker, the key check and a Postgres connection through the shim).
    const direct = new pg.Client({ connectionString: stack.databaseUrl });
    await direct.connect();
    try {
      const q: number[] = [];
      for (let i = 0; i < 100; i++) {
        const t = performance.now();
        await direct.query('SELECT * FROM spans WHERE tenant_id = (SELECT tenant_id FROM api_keys WHERE hash = $1) AND trace_id = $2 ORDER BY start_time, span_id LIMIT 2001', [await sha256Hex(readKey), traceIds[i % traceIds.length]]);
        q.push(performance.now() - t);
      }
      const f = figures(q);
      log(`the lookup's query alone (node-postgres, one connection): p50 ${f.p50.toFixed(2)} ms, p95 ${f.p95.toFixed(2)} ms`);
      const plan = await direct.query(`EXPLAIN (ANALYZE, BUFFERS) SELECT * FROM spans WHERE tenant_id = (SELECT tenant_id FROM api_keys WHERE hash = $1) AND trace_id = $2 ORDER BY start_time, span_id LIMIT 2001`, [await sha256Hex(readKey), traceIds[0]]);
      log(plan.rows.map((r) => r['QUERY PLAN']).filter((l: string) => /Execution|Planning/.test(l)).join('; '));
    } finally {
      await direct.end();
    }
    const base: number[] = [];
    for (let i = 0; i < 50; i++) base.push((await timed(`${url}/api/v1/services`, readKey)).ms);
    const b = figures(base);
    log(`GET /api/v1/services (one small query): p50 ${b.p50.toFixed(1)} ms, p95 ${b.p95.toFixed(1)} ms`);
    const services = Array.from({ length: SERVICES }, (_, i) => `svc-${i}`);
    const search = await benchTraceSearch({ url, readKey, services, count: args.searches, now });
    log(`search: p50 ${search.p50.toFixed(1)} ms, p95 ${search.p95.toFixed(1)} ms, max ${search.max.toFixed(1)} ms`);
    const total = args.spans + posted.length * 4;
    console.log(`traces: lookup p95 ${lookup.p95.toFixed(1)} ms over ${total} spans, search p95 ${search.p95.toFixed(1)} ms`);
  } finally {
    await stack?.stop();
  }
}

// Run only as a script (bench:logs imports the measuring functions).
if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
