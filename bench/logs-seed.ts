// bench:logs' stored lines: N lines straight into Postgres with one INSERT … SELECT over
// generate_series per chunk (no HTTP, no worker), spread over the last `spanMs`, as a bulk load
// is done: the table's indexes are dropped first and built again after (the same definitions,
// read from pg_indexes), since growing a GIN index row by row is what makes inserts slow. The
// vocabulary is what the search queries look for:
// - common: every line has an HTTP method and a route word ("GET" in ~60 % of lines);
// - rare: "quasar" in one line of 100,000;
// - filtered: error lines (5 %) say "upstream timeout" or "connection refused".
import pg from 'pg';

export const SEED_SERVICES = 10;
export const RARE_WORD = 'quasar';
export const RARE_EVERY = 100_000;

export async function seedLines(databaseUrl: string, tenantId: string, n: number, now: number, spanMs: number, log: (m: string) => void): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const t0 = performance.now();
  const chunk = 250_000;
  try {
    await client.query("SET synchronous_commit = off; SET maintenance_work_mem = '512MB'");
    const indexes = (await client.query<{ name: string; def: string }>(`SELECT indexname AS name, indexdef AS def FROM pg_indexes WHERE tablename = 'log_lines'`)).rows;
    for (const ix of indexes) await client.query(`DROP INDEX ${ix.name}`);
    for (let start = 0; start < n; start += chunk) {
      const end = Math.min(n, start + chunk);
      // i runs over the whole seed, so times, services and words are the same whatever the chunking.
      await client.query(
        `INSERT INTO log_lines (tenant_id, ts, service, severity, level, message, trace_id, span_id, attributes)
         SELECT $1,
                to_timestamp($2::double precision / 1000) - (i::double precision / $3) * ($4::double precision / 1000) * interval '1 second',
                'seed-svc-' || ((i / 3) % ${SEED_SERVICES}),
                sev, lvl,
                (ARRAY['GET','GET','GET','POST','PUT','DELETE'])[1 + (i * 7) % 6] || ' /api/' ||
                  (ARRAY['users','orders','cart','search','items','login','feed','health'])[1 + (i * 13) % 8] || '/' || (i % 5000) || ' ' ||
                  CASE WHEN sev >= 17 THEN (ARRAY['upstream timeout after ','connection refused after '])[1 + (i / 20) % 2] || (i % 3000) || ' ms'
                       ELSE (ARRAY['200','200','200','201','204','304','404'])[1 + (i * 3) % 7] || ' in ' || (i % 997) || ' ms user=' || (i % 100000) END ||
                  CASE WHEN i % ${RARE_EVERY} = 4242 THEN ' ${RARE_WORD} detected' ELSE '' END,
                CASE WHEN i % 10 = 0 THEN lpad(to_hex(i), 32, '0') END,
                CASE WHEN i % 10 = 0 THEN lpad(to_hex(i), 16, '0') END,
                jsonb_build_object('region', (ARRAY['eu-west-1','us-east-1','ap-south-1'])[1 + i % 3], 'pod', 'pod-' || (i % 50))
         FROM (SELECT i,
                      CASE WHEN i % 20 = 0 THEN 17 WHEN i % 20 = 1 THEN 13 WHEN i % 20 < 8 THEN 5 ELSE 9 END AS sev,
                      CASE WHEN i % 20 = 0 THEN 'error' WHEN i % 20 = 1 THEN 'warn' WHEN i % 20 < 8 THEN 'debug' ELSE 'info' END AS lvl
               FROM generate_series($5::bigint, $6::bigint) AS i) s`,
        [tenantId, now, n, spanMs, start, end - 1],
      );
      log(`seeded ${end.toLocaleString('en')} of ${n.toLocaleString('en')} lines (${Math.round(end / ((performance.now() - t0) / 1000)).toLocaleString('en')} lines/s)`);
    }
    for (const ix of indexes) {
      const t = performance.now();
      await client.query(ix.def.replace(' ON ONLY ', ' ON ')); // the parent's definition, built on every partition
      log(`rebuilt ${ix.name} in ${((performance.now() - t) / 1000).toFixed(0)} s`);
    }
    await client.query('ANALYZE log_lines');
  } finally {
    await client.end();
  }
  return (performance.now() - t0) / 1000;
}
