// npm run bench:logs -- --seconds S [--lines N] [--batch B] [--concurrency C] [--queries Q] [--data tmpfs|disk|DIR]
// 1. Seeds N stored lines (default 5 M) straight into the stack's Postgres (bench/logs-seed.ts).
// 2. For S seconds, C clients post NDJSON bodies of B lines (a Fluent Bit json_lines flush) to
//    POST /api/v1/logs as fast as they are answered, while a probe posts one line every 100 ms to
//    a service a live tail subscriber watches: tail = POST sent -> line arrives on the socket.
// 3. Search: Q rounds of a rare word, a common word and a filtered query (service, level and a
//    word) over the last 24 h, through GET /api/v1/logs, over every stored line.
// 4. Lost: acknowledged lines not found afterwards (counted per run in Postgres, and each probe
//    line looked up by its word through the API).
// Last line: logs: <lines/s> lines/s, search p95 <ms> ms over <N> lines, tail p99 <ms> ms, lost <n>
import pg from 'pg';
import { WebSocket } from 'undici';
import type { LogSearchResponse, LogTailMessage } from '../protocol/logs.ts';
import { startStack } from '../scripts/lib/stack.ts';
import { benchDataDir, parseArgs, percentile } from './args.ts';
import { RARE_WORD, seedLines } from './logs-seed.ts';
import { traceLookupLine } from './trace-lookup-hook.ts';

const log = (m: string) => console.error(`[bench] ${m}`);
const DAY = 86_400_000;
const PROBE_EVERY_MS = 100;

/**
 * Figures other parts add to the summary line, each as ", <name> p95 <ms> ms" (the traces work
 * appends its trace lookup by id here; issue #14).
 */
export const summaryHooks: ((ctx: { url: string; readKey: string; ingestKey: string }) => Promise<string>)[] = [];
summaryHooks.push(traceLookupLine); // prints its own line before the summary (bench/trace-lookup-hook.ts)

async function main() {
  const args = parseArgs(process.argv.slice(2), { seconds: 30, lines: 5_000_000, batch: 1000, concurrency: 8, queries: 40, data: 'tmpfs' });
  const stack = await startStack({ dataDir: benchDataDir(args.data, 'monitor-bench-logs'), persistent: false, rateLimits: false, runtimeUrl: true, log });
  const url = stack.runtimeUrl ?? stack.url;
  const { ingestKey, readKey } = stack.credentials;
  let ws: WebSocket | null = null;
  try {
    const db = new pg.Client({ connectionString: stack.databaseUrl });
    // The stack's Postgres goes away first when a run fails: say so, do not crash over it.
    db.on('error', (err) => log(`postgres client: ${err.message}`));
    await db.connect();
    // A throwaway stack has the one organization it seeded.
    const tenantId = String((await db.query(`SELECT id FROM tenants ORDER BY created_at LIMIT 1`)).rows[0]?.id ?? '');
    if (!tenantId) throw new Error('the stack seeded no organization');
    log(`seeding ${args.lines.toLocaleString('en')} lines over the last 24 h`);
    const seedS = await seedLines(stack.databaseUrl, tenantId, args.lines, Date.now() - 60_000, DAY - 120_000, log);
    log(`seeded in ${seedS.toFixed(0)} s`);

    // The tail: one subscriber watching the probe's service.
    const run = `r${process.pid}`;
    const probeService = `${run}-probe`;
    const arrivals = new Map<number, number>();
    let skipped = 0;
    ws = new WebSocket(`${url.replace(/^http/, 'ws')}/api/v1/logs/live?service=${probeService}`, { headers: { authorization: `Bearer ${readKey}` } });
    await new Promise<void>((resolve, reject) => {
      ws!.addEventListener('message', (e) => {
        const at = performance.now();
        const m = JSON.parse(String(e.data)) as LogTailMessage;
        if (m.type === 'hello') resolve();
        else if (m.type === 'error') reject(new Error(m.message));
        else if (m.type === 'skipped') skipped += m.count;
        else if (m.type === 'lines') for (const l of m.lines) arrivals.set(Number(l.attributes.seq), at);
      });
      ws!.addEventListener('error', () => reject(new Error('tail socket error')));
    });

    // Ingest: closed loop, C clients, B lines a body.
    const ingestService = (c: number) => `${run}-ingest-${c % 10}`;
    let acked = 0;
    let failed = 0;
    const latencies: number[] = [];
    const levels = ['info', 'info', 'info', 'debug', 'warn', 'error'];
    const body = (c: number, n: number) => {
      const t = Date.now() / 1000;
      let s = '';
      for (let i = 0; i < args.batch; i++)
        s += `${JSON.stringify({ date: t, level: levels[i % levels.length], log: `GET /api/items/${i} 200 in ${i % 97} ms request=${c}-${n}-${i}`, service: ingestService(c), kubernetes: { pod_name: `pod-${c}`, namespace_name: 'bench' } })}\n`;
      return s;
    };
    const post = (text: string) => fetch(`${url}/api/v1/logs`, { method: 'POST', headers: { authorization: `Bearer ${ingestKey}`, 'content-type': 'application/x-ndjson' }, body: text });
    const sent = new Map<number, number>();
    const probeAcked: number[] = [];
    const start = performance.now();
    const end = start + args.seconds * 1000;
    const client = async (c: number) => {
      for (let n = 0; performance.now() < end; n++) {
        const text = body(c, n);
        const t0 = performance.now();
        let res: Response;
        try {
          res = await post(text);
          await res.arrayBuffer();
        } catch (err) {
          failed++;
          log(`ingest request failed: ${String(err)}`);
          continue;
        }
        if (res.status === 200) {
          acked += args.batch;
          latencies.push(performance.now() - t0);
        } else {
          failed++;
          log(`ingest answered ${res.status}`);
        }
      }
    };
    const probe = async () => {
      for (let seq = 0; performance.now() < end; seq++) {
        const due = start + seq * PROBE_EVERY_MS;
        if (due > performance.now()) await new Promise((r) => setTimeout(r, due - performance.now()));
        const t0 = performance.now();
        sent.set(seq, t0);
        try {
          const res = await post(JSON.stringify({ msg: `probe ${run}x${seq}`, service: probeService, seq }));
          await res.arrayBuffer();
          if (res.status === 200) probeAcked.push(seq);
          else failed++;
        } catch (err) {
          failed++;
          log(`probe request failed: ${String(err)}`);
        }
      }
    };
    const progress = setInterval(() => log(`${Math.round((performance.now() - start) / 1000)} s: ${acked.toLocaleString('en')} lines acknowledged`), 5000);
    await Promise.all([...Array.from({ length: args.concurrency }, (_, c) => client(c)), probe()]);
    clearInterval(progress);
    const elapsed = (performance.now() - start) / 1000;
    await new Promise((r) => setTimeout(r, 1500)); // the last pushes
    const rate = acked / elapsed;
    // A probe line acknowledged but never pushed counts as infinitely late.
    const tail = probeAcked.map((s) => (arrivals.has(s) ? arrivals.get(s)! - sent.get(s)! : Infinity)).sort((a, b) => a - b);
    const neverTailed = tail.filter((t) => t === Infinity).length;
    latencies.sort((a, b) => a - b);
    log(`ingest: ${acked.toLocaleString('en')} lines in ${elapsed.toFixed(1)} s, post p50 ${percentile(latencies, 50).toFixed(0)} ms p99 ${percentile(latencies, 99).toFixed(0)} ms, ${failed} failed`);
    log(`tail: ${tail.length} probe lines, p50 ${percentile(tail, 50).toFixed(0)} ms, ${neverTailed} acknowledged but never pushed, ${skipped} reported skipped`);

    // Lost: every acknowledged line of this run is stored, and each probe line is found by the API.
    // By the run's ten service names (an index serves service =, not LIKE over every line).
    const runServices = Array.from({ length: 10 }, (_, c) => ingestService(c));
    const stored = Number((await db.query(`SELECT count(*)::bigint AS n FROM log_lines WHERE tenant_id = $1 AND service = ANY($2::text[])`, [tenantId, runServices])).rows[0].n);
    let lost = Math.max(0, acked - stored);
    for (const seq of probeAcked.filter((_, i) => i % 10 === 0)) {
      const r = (await (await fetch(`${url}/api/v1/logs?service=${probeService}&q=${run}x${seq}`, { headers: { authorization: `Bearer ${readKey}` } })).json()) as LogSearchResponse;
      if (r.lines.length !== 1) lost++;
    }
    const total = Number((await db.query(`SELECT count(*)::bigint AS n FROM log_lines WHERE tenant_id = $1`, [tenantId])).rows[0].n);
    await db.end();

    // Search over everything stored.
    const queries: [string, string][] = [
      ['rare word', `q=${RARE_WORD}`],
      ['common word', 'q=GET'],
      ['filtered', 'service=seed-svc-3&level=error&q=timeout'],
    ];
    const times: Record<string, number[]> = {};
    const all: number[] = [];
    for (let round = 0; round < args.queries; round++)
      for (const [name, qs] of queries) {
        const t0 = performance.now();
        const res = await fetch(`${url}/api/v1/logs?${qs}`, { headers: { authorization: `Bearer ${readKey}` } });
        const r = (await res.json()) as LogSearchResponse;
        const ms = performance.now() - t0;
        if (res.status !== 200 || r.lines.length === 0) throw new Error(`${name}: ${res.status}, ${r.lines?.length} lines`);
        (times[name] ??= []).push(ms);
        all.push(ms);
      }
    for (const [name, t] of Object.entries(times)) {
      t.sort((a, b) => a - b);
      log(`search ${name}: p50 ${percentile(t, 50).toFixed(1)} ms, p95 ${percentile(t, 95).toFixed(1)} ms`);
    }
    all.sort((a, b) => a - b);
    let extra = '';
    for (const hook of summaryHooks) extra += await hook({ url, readKey, ingestKey });
    console.log(
      `logs: ${Math.round(rate)} lines/s, search p95 ${percentile(all, 95).toFixed(1)} ms over ${total} lines, tail p99 ${percentile(tail, 99).toFixed(0)} ms, lost ${lost}${extra}`,
    );
    if (lost || failed || neverTailed) process.exitCode = 1;
  } catch (err) {
    log(`failed: ${(err as Error)?.stack ?? String(err)}`);
    process.exitCode = 1;
  } finally {
    ws?.close();
    await stack.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
